"""The effective configuration: every resource of the Definitions, its fields read from the environment.

A setting is one resource field: its default and meaning are the field's (`Field(default=..., description=...)` in
resources/), its variable comes from pipeline_defs/variables.py, and its bounds are checked by the resource model.
A variable that is set is read by the field's type (content_pipeline/setting_text.py), checked by the model, and handed
to the resource as a value (pipeline_defs/settings_reader.py); a secret is handed over as `dg.EnvVar(name)`, so the
Definitions never hold it.
Paths without a variable default to folders under CONTENT_PIPELINE_HOME (`home_defaults`).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dagster as dg

from pipeline_defs import environment
from pipeline_defs.home import home_defaults, home_from
from pipeline_defs.partition_start import start_from
from pipeline_defs.settings_reader import Source, origin, read_resource
from pipeline_defs.user_errors import SettingsRefusedError
from pipeline_defs.variables import HOME, START_DATE, TIMEZONE
from resources.alerts import AlertsResource
from resources.categorizer import CategorizerResource
from resources.classifier import ClassifierResource
from resources.exporter import ExportResource
from resources.fetcher import FetcherResource
from resources.gemini import GeminiResource
from resources.inbox import InboxResource
from resources.quality import QualityResource
from resources.sheets import SheetsResource
from resources.warehouse import WarehouseResource

PROJECT_ROOT = environment.PROJECT_ROOT
DEFAULT_TIMEZONE = "UTC"
OUTSIDE_RESOURCES = {
    "home": HOME,
    "timezone": TIMEZONE,
    "start_date": START_DATE,
}  # settings of the Definitions that no resource holds


@dataclass(frozen=True)
class Resources:
    """The resources of the Definitions, by key."""

    inbox: InboxResource
    warehouse: WarehouseResource
    fetcher: FetcherResource
    classifier: ClassifierResource
    gemini: GeminiResource
    categorizer: CategorizerResource
    exporter: ExportResource
    sheets: SheetsResource
    quality: QualityResource
    alerts: AlertsResource

    def by_key(self) -> dict[str, dg.ConfigurableResource]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


RESOURCE_CLASSES: dict[str, type[dg.ConfigurableResource]] = get_type_hints(Resources)


@dataclass(frozen=True)
class Settings:
    """Every resource the Definitions are built from, the schedule's time zone, the first day of the partitions, and
    where each value came from."""

    home: Path
    resources: Resources
    timezone: str = DEFAULT_TIMEZONE
    start_date: date = field(default_factory=lambda: start_from(""))
    sources: dict[str, Source] = field(default_factory=dict, compare=False)  # "fetcher.concurrency" -> its source

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
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
        built: dict[str, Any] = {}
        sources = {
            name: Source(variable, origin(variable, env.get(variable, "").strip(), False))
            for name, variable in OUTSIDE_RESOURCES.items()
        }
        for key, resource_class in RESOURCE_CLASSES.items():
            reading = read_resource(key, resource_class, env, derived)
            problems += reading.problems
            sources |= reading.sources
            if reading.resource is not None:
                built[key] = reading.resource
        if problems:
            raise SettingsRefusedError(problems)
        return cls(home, Resources(**built), timezone, start_date, sources)

    def changed(self, resource: str, **values: Any) -> "Settings":
        """The same settings with some fields of one resource changed (in code, as a test or the demo does)."""
        current = getattr(self.resources, resource)
        kept = {name: getattr(current, name) for name in type(current).model_fields}
        resources: dict[str, Any] = {**self.resources.by_key(), resource: type(current)(**{**kept, **values})}
        changed = {f"{resource}.{name}": Source(self.sources[f"{resource}.{name}"].variable, "code") for name in values}
        return replace(self, resources=Resources(**resources), sources={**self.sources, **changed})

    def allowing(self, *hosts: str) -> "Settings":
        """The same settings with more hosts exempt from the fetcher's private-address guard."""
        allowed = list(dict.fromkeys([*self.resources.fetcher.allow_private, *hosts]))
        return self.changed("fetcher", allow_private=allowed)

    @property
    def inbox(self) -> Path:
        return Path(self.resources.inbox.path)

    @property
    def warehouse(self) -> Path:
        return Path(self.resources.warehouse.root)

    @property
    def catalog(self) -> Path:
        return Path(self.resources.warehouse.catalog)

    @property
    def output(self) -> Path:
        return Path(self.resources.exporter.output)

    @property
    def images_root(self) -> Path:
        return self.resources.exporter.images_root
