"""Where the export stage writes its files, and where and how it files images."""

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import dagster as dg
import polars as pl

from content_pipeline.export.image_filing import FilingResult, ImageToFile, file_images
from content_pipeline.export.writers import write_exports

IMAGES_FOLDER = "images"


class ExportResource(dg.ConfigurableResource):
    output_dir: str
    images_dir: str | None = None  # where images are filed by category; None: <output_dir>/images
    images_mode: Literal["copy", "move"] = "copy"  # move: a source file is deleted once its copy is verified

    def write(self, records: pl.DataFrame, day: str) -> dict[str, Path]:
        return write_exports(records, Path(self.output_dir), day)

    @property
    def images_root(self) -> Path:
        return Path(self.images_dir) if self.images_dir else Path(self.output_dir) / IMAGES_FOLDER

    def file_images(self, items: Sequence[ImageToFile]) -> list[FilingResult]:
        return file_images(items, self.images_root, self.images_mode)
