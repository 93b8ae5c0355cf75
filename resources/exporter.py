"""Where export_files writes the day's files, and where and how filed_images files images."""

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import dagster as dg

from content_pipeline.export.image_filing import FilingResult, ImageToFile, file_images
from content_pipeline.moved_images import MovedImages

IMAGES_FOLDER = "images"


class ExportResource(dg.ConfigurableResource):
    output_dir: str
    images_dir: str | None = None  # where images are filed by category; None: <output_dir>/images
    images_mode: Literal["copy", "move"] = "copy"  # move: a source file is deleted once its copy is verified
    moved_images_path: str | None = None  # the ledger of moves, so a rerun finds moved images (see moved_images.py)

    @property
    def images_root(self) -> Path:
        return Path(self.images_dir) if self.images_dir else Path(self.output_dir) / IMAGES_FOLDER

    @property
    def moved_images(self) -> MovedImages | None:
        """The ledger of the images move mode took out of their folders."""
        return MovedImages(Path(self.moved_images_path), self.images_root) if self.moved_images_path else None

    def file_images(self, items: Sequence[ImageToFile]) -> list[FilingResult]:
        return file_images(items, self.images_root, self.images_mode, self.moved_images)
