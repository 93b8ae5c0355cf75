"""FetchSettings from `CONTENT_PIPELINE_FETCH_<FIELD>` environment variables, one per field, parsed by the field's type.

Booleans take 1/0, true/false, yes/no, on/off; fields named `*_bytes` also take a unit (`500KB`, `10MiB`); tuples
are comma-separated. An empty or unset variable keeps the default. Every bad variable is named in one ValueError.
"""

import re
from collections.abc import Mapping
from dataclasses import fields
from typing import Any, get_origin, get_type_hints

from content_pipeline.fetch.settings import FetchSettings, rule_for
from content_pipeline.fetch.url_allowlist import check_entries

PREFIX = "CONTENT_PIPELINE_FETCH_"
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")
BYTE_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30}
UNITS_HINT = ", optionally with a unit: KB, MB, GB (x1000) or KiB, MiB, GiB (x1024), e.g. 10MiB"
_WHOLE = re.compile(r"[+-]?[0-9]+", re.ASCII)
_SIZE = re.compile(r"([0-9]+)\s*([a-z]*)", re.IGNORECASE | re.ASCII)


class UnreadableError(Exception):
    """The text is not a value of the field's type."""


def variable_name(field_name: str) -> str:
    """The environment variable of one FetchSettings field: `concurrency` -> `CONTENT_PIPELINE_FETCH_CONCURRENCY`."""
    return PREFIX + field_name.upper()


def variable_names() -> list[str]:
    """Every fetch variable, in field order."""
    return [variable_name(field.name) for field in fields(FetchSettings)]


def fetch_settings_from_env(env: Mapping[str, str]) -> FetchSettings:
    """FetchSettings with every set variable applied; raises ValueError with one line per bad variable."""
    kinds = get_type_hints(FetchSettings)
    values: dict[str, Any] = {}
    problems: list[str] = []
    for field in fields(FetchSettings):
        name = variable_name(field.name)
        text = env.get(name, "").strip()
        if not text:
            continue
        if field.name == "allow_private":  # its own, more precise messages (which entry, and why)
            entries = split_list(text)
            try:
                check_entries(entries, name)
            except ValueError as exc:
                problems.append(str(exc))
                continue
            values[field.name] = entries
            continue
        rule = rule_for(field.name)
        try:
            value = parse(text, kinds[field.name], field.name)
        except UnreadableError:
            value = None
        if value is None or not rule.accepts(value):
            problems.append(f"{name}={text!r}: expected {written_as(kinds[field.name], field.name, rule.expected)}")
            continue
        values[field.name] = value
    if problems:
        raise ValueError("\n".join(problems))
    return FetchSettings(**values)


def parse(text: str, kind: Any, field_name: str) -> object:
    """`text` as a value of `kind`; raises UnreadableError when it is not one."""
    if kind is bool:
        return parse_switch(text)
    if kind is int:
        return parse_size(text) if field_name.endswith("_bytes") else parse_whole(text)
    if kind is float:
        try:
            return float(text)
        except ValueError:
            raise UnreadableError(text) from None
    if kind is str:
        return text
    if get_origin(kind) is tuple:
        return split_list(text)
    raise TypeError(f"FetchSettings.{field_name}: no environment parsing for type {kind!r}")


def parse_switch(text: str) -> bool:
    word = text.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise UnreadableError(text)


def parse_whole(text: str) -> int:
    if not _WHOLE.fullmatch(text):
        raise UnreadableError(text)
    return int(text)


def parse_size(text: str) -> int:
    """Bytes from `1048576`, `500KB`, `10 MiB` (units in any case)."""
    match = _SIZE.fullmatch(text)
    if not match or match.group(2).lower() not in BYTE_UNITS:
        raise UnreadableError(text)
    return int(match.group(1)) * BYTE_UNITS[match.group(2).lower()]


def split_list(text: str) -> tuple[str, ...]:
    """Comma-separated items, each stripped, empty ones dropped."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


def written_as(kind: Any, field_name: str, expected: str) -> str:
    """What a variable accepts, in the words of the environment (switch words, byte units)."""
    if kind is bool:
        return f"one of {', '.join(TRUE_WORDS + FALSE_WORDS)}"
    if kind is int and field_name.endswith("_bytes"):
        return expected + UNITS_HINT
    return expected
