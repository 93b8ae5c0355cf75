"""The effective configuration: every resource of the Definitions, its fields read from the environment.

A setting is one resource field: its default and meaning are the field's (`Field(default=..., description=...)` in
resources/fields/, which each resource inherits), its variable comes from pipeline_defs/variables.py, and its bounds
are checked by the fields model. A variable that is set is read by the field's type (content_pipeline/setting_text.py),
checked by the model, and handed to the resource as a value (pipeline_defs/setting_values.py, settings_reader.py); a
secret is handed over as `dg.EnvVar(name)`, so the Definitions never hold it.
Paths without a variable default to folders under CONTENT_PIPELINE_HOME (pipeline_defs/home.py).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any, get_type_hints

import dagster as dg

from content_pipeline.warehouse.storage import Location, root_location
from pipeline_defs import environment, setting_values
from pipeline_defs.partition_start import start_from
from pipeline_defs.setting_values import SettingValues
from pipeline_defs.settings_reader import Source
from resources.alerts import AlertsResource
from resources.categorizer import CategorizerResource
from resources.classifier import ClassifierResource
from resources.cluster import ClusterResource
from resources.drive import DriveResource
from resources.exporter import ExportResource
from resources.fetcher import FetcherResource
from resources.gemini import GeminiResource
from resources.inbox import InboxResource
from resources.quality import QualityResource
from resources.sheets import SheetsResource
from resources.warehouse import WarehouseResource

PROJECT_ROOT = environment.PROJECT_ROOT
DEFAULT_TIMEZONE = setting_values.DEFAULT_TIMEZONE


@dataclass(frozen=True)
class Resources:
    """The resources of the Definitions, by key."""

    inbox: InboxResource
    warehouse: WarehouseResource
    fetcher: FetcherResource
    classifier: ClassifierResource
    cluster: ClusterResource
    gemini: GeminiResource
    categorizer: CategorizerResource
    exporter: ExportResource
    sheets: SheetsResource
    drive: DriveResource
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
        values = SettingValues.from_env(env)
        built: dict[str, Any] = {}
        for key, resource_class in RESOURCE_CLASSES.items():
            reading = values.readings[key]
            secrets = {name: dg.EnvVar(str(reading.values[name])) for name in reading.secrets}
            built[key] = resource_class(**{**reading.values, **secrets})
        return cls(values.home, Resources(**built), values.timezone, values.start_date, values.sources)

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
    def warehouse_root(self) -> Location:
        """The warehouse root: a local folder, or an object store's `s3://bucket/prefix`."""
        return root_location(self.resources.warehouse.root)

    @property
    def warehouse(self) -> Path:
        """The warehouse's local folder (TypeError when the root is an object store: see `warehouse_root`)."""
        root = self.warehouse_root
        if not isinstance(root, Path):
            raise TypeError(f"the warehouse root {root} is an object store, not a folder")
        return root

    @property
    def catalog(self) -> Path:
        return Path(self.resources.warehouse.catalog)

    @property
    def output_root(self) -> Location:
        """The output: a local folder, or an object store's `s3://bucket/prefix`."""
        return self.resources.exporter.output_root

    @property
    def output(self) -> Path:
        """The output's local folder (TypeError when it is an object store: see `output_root`)."""
        root = self.output_root
        if not isinstance(root, Path):
            raise TypeError(f"the output {root} is an object store, not a folder")
        return root

    @property
    def images_root(self) -> Location:
        return self.resources.exporter.images_root
