"""The dispatcher's rules file and how many processes extraction may use."""

import os
from pathlib import Path

import dagster as dg


class ClassifierResource(dg.ConfigurableResource):
    rules_path: str | None = None  # None: the bundled content_pipeline/defaults/dispatch_rules.yaml
    workers: int = 0  # extraction processes; 0: one per core

    @property
    def rules(self) -> Path | None:
        return Path(self.rules_path) if self.rules_path else None

    @property
    def worker_count(self) -> int:
        return self.workers or os.cpu_count() or 1
