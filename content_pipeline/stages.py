"""The pipeline's stages, in order: each is a Dagster asset of the same name and a folder of the warehouse.

`Stage` is a `StrEnum`: a member equals (and hashes as) its name, so `Stage.FETCH == "fetch"` and a mapping keyed by
stages answers a lookup by name (an asset key's string, a folder name read back from the warehouse).
"""

from enum import StrEnum


class Stage(StrEnum):
    INGEST = "ingest"
    FETCH = "fetch"
    CLASSIFY = "classify"
    CATEGORIZE = "categorize"
    EXPORT = "export"

    @property
    def upstream(self) -> "Stage | None":
        """The stage this one is computed from: its one dependency in the lineage graph (None for ingest)."""
        order = list(Stage)
        index = order.index(self)
        return order[index - 1] if index else None

    @property
    def reads(self) -> tuple["Stage", ...]:
        """The stages whose partition of the day this one reads: its upstream, and for export every stage above."""
        if self is Stage.EXPORT:
            return tuple(stage for stage in Stage if stage is not Stage.EXPORT)
        return (self.upstream,) if self.upstream else ()


RECORD_STAGES = tuple(stage for stage in Stage if stage is not Stage.EXPORT)  # the stages export joins, in order
