"""Where export_files writes the day's files, and where and how filed_images files images."""

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from resources.fields.exporter import ExportFields

if TYPE_CHECKING:  # imported on use: `content-pipeline config` reads only the fields
    from content_pipeline.export.image_filing import FilingResult, ImageToFile
    from content_pipeline.moved_images import MovedImages

IMAGES_FOLDER = "images"


class ExportResource(ExportFields, dg.ConfigurableResource):
    @property
    def images_root(self) -> Path:
        return Path(self.images_output) if self.images_output else Path(self.output) / IMAGES_FOLDER

    def moved_images_ledger(self) -> "MovedImages | None":
        """The ledger of the images move mode took out of their folders (ingest and fetch read it too)."""
        from content_pipeline.moved_images import MovedImages

        return MovedImages(Path(self.moved_images), self.images_root) if self.moved_images else None

    def file_images(self, items: Sequence["ImageToFile"]) -> list["FilingResult"]:
        from content_pipeline.export.image_filing import file_images

        return file_images(items, self.images_root, self.images_mode, self.moved_images_ledger())
