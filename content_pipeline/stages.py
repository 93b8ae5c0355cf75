"""The pipeline's stages, in an order where each comes after every stage it reads: each is a Dagster asset of the
same name, and those that hold rows are a folder of the warehouse.

`Stage` is a `StrEnum`: a member equals (and hashes as) its name, so `Stage.FETCH == "fetch"` and a mapping keyed by
stages answers a lookup by name (an asset key's string, a folder name read back from the warehouse).

The record stages (ingest to categorize) each add their outcome to every record. `filed_images` files the day's
images, `export` joins all of them into one row per record, and `export_files` and `sheet_results` write that
joined partition out of the warehouse (the day's files and report, the Google Sheet's results worksheet).
"""

from enum import StrEnum


class Stage(StrEnum):
    INGEST = "ingest"
    FETCH = "fetch"
    CLASSIFY = "classify"
    CATEGORIZE = "categorize"
    FILED_IMAGES = "filed_images"
    EXPORT = "export"
    EXPORT_FILES = "export_files"
    SHEET_RESULTS = "sheet_results"

    @property
    def reads(self) -> tuple["Stage", ...]:
        """The stages whose partition of the day this one reads: its dependencies in the lineage graph."""
        return _READS[self]

    @property
    def upstream(self) -> "Stage | None":
        """The stage whose rows this one goes through a chunk at a time, in their order: the first one it reads
        (None for ingest, which reads the inbox)."""
        return self.reads[0] if self.reads else None

    @property
    def in_warehouse(self) -> bool:
        """Whether its partitions are warehouse partitions (the others write files or a Sheet, outside it)."""
        return self not in OUTSIDE_WAREHOUSE


RECORD_STAGES = (Stage.INGEST, Stage.FETCH, Stage.CLASSIFY, Stage.CATEGORIZE)  # whose outcome every record carries
OUTSIDE_WAREHOUSE = frozenset({Stage.EXPORT_FILES, Stage.SHEET_RESULTS})
_READS: dict[Stage, tuple[Stage, ...]] = {
    Stage.INGEST: (),
    Stage.FETCH: (Stage.INGEST,),
    Stage.CLASSIFY: (Stage.FETCH,),
    Stage.CATEGORIZE: (Stage.CLASSIFY,),
    Stage.FILED_IMAGES: (Stage.INGEST, Stage.FETCH, Stage.CLASSIFY),  # paths and names, bodies, visual categories
    Stage.EXPORT: (*RECORD_STAGES, Stage.FILED_IMAGES),
    Stage.EXPORT_FILES: (Stage.EXPORT,),
    Stage.SHEET_RESULTS: (Stage.EXPORT,),
}
