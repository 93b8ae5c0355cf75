"""Every setting read from the environment and checked, without Dagster: the fields of each resource (as the plain
pydantic models in resources/fields/), the home folder, the schedule's time zone, the first day of the partitions,
and where each value came from. pipeline_defs/settings.py builds the resources from these; `content-pipeline config`
prints them as they are, fast."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel

from pipeline_defs import environment
from pipeline_defs.home import home_defaults, home_from
from pipeline_defs.partition_start import start_from
from pipeline_defs.settings_reader import Reading, Source, origin, read_resource
from pipeline_defs.user_errors import SettingsRefusedError
from pipeline_defs.variables import HOME, START_DATE, TIMEZONE
from resources.fields.alerts import AlertsFields
from resources.fields.categorizer import CategorizerFields
from resources.fields.classifier import ClassifierFields
from resources.fields.cluster import ClusterFields
from resources.fields.drive import DriveFields
from resources.fields.exporter import ExportFields
from resources.fields.fetcher import FetcherFields
from resources.fields.gemini import GeminiFields
from resources.fields.inbox import InboxFields
from resources.fields.quality import QualityFields
from resources.fields.sheets import SheetsFields
from resources.fields.warehouse import WarehouseFields

DEFAULT_TIMEZONE = "UTC"
# settings of the Definitions that no resource holds
OUTSIDE_RESOURCES = {"home": HOME, "timezone": TIMEZONE, "start_date": START_DATE}
FIELD_CLASSES: dict[str, type[BaseModel]] = {  # resource key -> its fields, in the order of settings.Resources
    "inbox": InboxFields,
    "warehouse": WarehouseFields,
    "fetcher": FetcherFields,
    "classifier": ClassifierFields,
    "cluster": ClusterFields,
    "gemini": GeminiFields,
    "categorizer": CategorizerFields,
    "exporter": ExportFields,
    "sheets": SheetsFields,
    "drive": DriveFields,
    "quality": QualityFields,
    "alerts": AlertsFields,
}


def resource_name(key: str) -> str:
    """The resource class a fields class belongs to: `FetcherFields` -> `FetcherResource`."""
    return FIELD_CLASSES[key].__name__.removesuffix("Fields") + "Resource"


@dataclass(frozen=True)
class SettingValues:
    """What the environment sets, checked: each resource's reading, and the settings that no resource holds."""

    home: Path
    timezone: str
    start_date: date
    readings: dict[str, Reading]
    sources: dict[str, Source]  # "fetcher.concurrency" -> where its value came from

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "SettingValues":
        """The settings from `env` (the process's environment when None); SettingsRefusedError (a ValueError) with
        one line per bad variable."""
        env = environment.variables() if env is None else dict(env)
        problems: list[str] = []
        home = home_from(env.get(HOME, ""))
        timezone = env.get(TIMEZONE, "").strip() or DEFAULT_TIMEZONE
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"{TIMEZONE}={timezone!r} is not a time zone (an IANA name such as Europe/Berlin)")
        try:
            start_date = start_from(env.get(START_DATE, ""))
        except ValueError as exc:
            problems.append(str(exc))
            start_date = start_from("")
        derived = {name: str(path) for name, path in home_defaults(home).items()}
        sources = {
            name: Source(variable, origin(variable, env.get(variable, "").strip(), False))
            for name, variable in OUTSIDE_RESOURCES.items()
        }
        readings: dict[str, Reading] = {}
        for key, fields_class in FIELD_CLASSES.items():
            readings[key] = read_resource(key, fields_class, env, derived)
            problems += readings[key].problems
            sources |= readings[key].sources
        if problems:
            raise SettingsRefusedError(problems)
        return cls(home, timezone, start_date, readings, sources)

    def by_key(self) -> dict[str, BaseModel]:
        """Each resource's checked fields."""
        return {key: reading.fields for key, reading in self.readings.items() if reading.fields is not None}
