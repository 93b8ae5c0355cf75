"""`content-pipeline config`: every resource field's effective value and where it came from; secrets as set/unset.

Read from the fields models (pipeline_defs/setting_values.py): no Dagster import, no Definitions."""

from collections.abc import Sequence
from pathlib import Path

from pipeline_defs import environment
from pipeline_defs.setting_values import SettingValues, resource_name
from pipeline_defs.settings_reader import origin
from pipeline_defs.variables import HOME, PATHS_OR_URLS, PROGRESS, SECRETS, START_DATE, TIMEZONE

PROGRESS_DEFAULT = "bars on a terminal, lines elsewhere"
ORIGINS = [
    "origin: environment (set in the environment), .env (from a .env file), default (the field's default),",
    "        home (a default under CONTENT_PIPELINE_HOME), code (set by the command)",
]


def shown(setting: str, value: object, secret: bool = False) -> str:
    """A value as the report shows it: a secret (a shared cache's database URL too) only as set or unset, never its
    value."""
    if setting in PATHS_OR_URLS and secret:
        return "set (database URL)"
    if setting in SECRETS or secret:
        return "set" if value else "unset"
    if value is None:
        return "(none)"
    if value == "":
        return "(blank)"
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value) or "(none)"
    return str(value)


def report_lines(settings: SettingValues, dotenv_files: Sequence[Path] = ()) -> list[str]:
    """The report, one line per setting (`field  value  origin  VARIABLE`) under a line per resource."""
    progress = environment.variable(PROGRESS).strip()
    rows: list[tuple[str, str, str, str]] = [
        ("home", str(settings.home), settings.sources["home"].origin, HOME),
        ("timezone", settings.timezone, settings.sources["timezone"].origin, TIMEZONE),
        ("start_date", settings.start_date.isoformat(), settings.sources["start_date"].origin, START_DATE),
        ("progress", progress or PROGRESS_DEFAULT, origin(PROGRESS, progress, False), PROGRESS),
    ]
    headings: dict[int, str] = {}
    for key, resource in settings.by_key().items():
        headings[len(rows)] = f"{key} ({resource_name(key)})"
        for name in type(resource).model_fields:
            setting = f"{key}.{name}"
            source = settings.sources[setting]
            value = shown(setting, getattr(resource, name), name in settings.readings[key].secrets)
            rows.append((f"  {name}", value, source.origin, source.variable))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["content-pipeline: the effective settings, and where each value comes from", *ORIGINS]
    lines += [f"  .env read: {path}" for path in dotenv_files]
    for index, row in enumerate(rows):
        if index in headings:
            lines.append(headings[index])
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, [*widths, 0], strict=True)).rstrip())
    return lines
