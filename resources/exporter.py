"""Where export_files writes the day's files, and where and how filed_images files images."""

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import dagster as dg
from pydantic import Field

from content_pipeline.export.image_filing import FilingResult, ImageToFile, file_images
from content_pipeline.moved_images import MovedImages

IMAGES_FOLDER = "images"


class ExportResource(dg.ConfigurableResource):
    output: str = Field(
        description="Where each day's records.csv, records.parquet and report.html go (default: under the home folder)"
    )
    images_output: str | None = Field(
        default=None, description="Where images are filed by category; None: <output>/images"
    )
    images_mode: Literal["copy", "move"] = Field(
        default="copy", description="copy the images, or move them: a source is deleted once its copy is verified"
    )
    moved_images: str | None = Field(
        default=None,
        description="The ledger (SQLite) of the images move mode took out of their folders, so reruns find them",
    )

    @property
    def images_root(self) -> Path:
        return Path(self.images_output) if self.images_output else Path(self.output) / IMAGES_FOLDER

    def moved_images_ledger(self) -> MovedImages | None:
        """The ledger of the images move mode took out of their folders (ingest and fetch read it too)."""
        return MovedImages(Path(self.moved_images), self.images_root) if self.moved_images else None

    def file_images(self, items: Sequence[ImageToFile]) -> list[FilingResult]:
        return file_images(items, self.images_root, self.images_mode, self.moved_images_ledger())
