"""A setting's value from the text a user writes in an environment variable, read by the type of its field.

Switches take 1/0, true/false, yes/no, on/off; whole numbers of fields named `*_bytes` also take a unit (`500KB`,
`10MiB`); lists are comma-separated; other text is kept as written (stripped). Unreadable text raises UnreadableError.
"""

import re
from types import NoneType, UnionType
from typing import Any, Literal, Union, get_args, get_origin

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")
BYTE_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30}
UNITS_HINT = ", optionally with a unit: KB, MB, GB (x1000) or KiB, MiB, GiB (x1024), e.g. 10MiB"
_WHOLE = re.compile(r"[+-]?[0-9]+", re.ASCII)
_SIZE = re.compile(r"([0-9]+)\s*([a-z]*)", re.IGNORECASE | re.ASCII)


class UnreadableError(Exception):
    """The text is not a value of the field's type."""


def value_type(kind: Any) -> Any:
    """`kind` without `| None` (an optional field is read as its type; an empty variable leaves it unset)."""
    if get_origin(kind) in (Union, UnionType):
        rest = [arg for arg in get_args(kind) if arg is not NoneType]
        return rest[0] if len(rest) == 1 else kind
    return kind


def parse(text: str, kind: Any, field_name: str) -> object:
    """`text` as a value of `kind`; raises UnreadableError when it is not one."""
    kind = value_type(kind)
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
    if get_origin(kind) is Literal:
        return text.lower()
    if get_origin(kind) in (list, tuple):
        return split_list(text)
    raise TypeError(f"{field_name}: no reading from text for type {kind!r}")


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


def split_list(text: str) -> list[str]:
    """Comma-separated items, each stripped, empty ones dropped."""
    return [item.strip() for item in text.split(",") if item.strip()]


def kind_words(kind: Any) -> str:
    """What a value of `kind` is, in words: `a whole number`, `a number`, `one of copy, move`..."""
    kind = value_type(kind)
    if kind is int:
        return "a whole number"
    if kind is float:
        return "a number"
    if kind is bool:
        return "true or false"
    if get_origin(kind) is Literal:
        return f"one of {', '.join(str(arg) for arg in get_args(kind))}"
    return "text"


def bounds_words(minimum: float | None, above: bool, maximum: float | None) -> str:
    """` >= 1`, ` > 0`, ` from 0 to 1`: the bounds of a number in words ('' when it has none)."""
    if minimum is not None and maximum is not None:
        return f" from {minimum:g} to {maximum:g}"
    if minimum is not None:
        return f" {'>' if above else '>='} {minimum:g}"
    return f" <= {maximum:g}" if maximum is not None else ""


def written_as(kind: Any, field_name: str, expected: str) -> str:
    """What a variable accepts, in the words of the environment (switch words, byte units)."""
    kind = value_type(kind)
    if kind is bool:
        return f"one of {', '.join(TRUE_WORDS + FALSE_WORDS)}"
    if kind is int and field_name.endswith("_bytes"):
        return expected + UNITS_HINT
    return expected
