"""The inbox: a folder users drop CSV files of URLs into, its `images` folder, and more image folders."""

from datetime import date
from pathlib import Path

import dagster as dg
from pydantic import Field

from content_pipeline.ingest.csv_inbox import inbox_rows
from content_pipeline.ingest.image_folder import image_folder_rows
from content_pipeline.moved_images import MovedImages

INBOX_IMAGES = "images"  # <inbox>/images is an image folder whenever it exists


class InboxResource(dg.ConfigurableResource):
    path: str
    image_folders: list[str] = Field(default_factory=list)  # more image folders; a missing one is a bad row
    # the ledger of the images move mode took out of the folders, and where they were filed (ExportResource's)
    moved_images_path: str | None = None
    images_root: str | None = None

    def image_roots(self) -> list[Path]:
        """Every image folder in use: <inbox>/images when it exists, then the configured ones."""
        own = Path(self.path) / INBOX_IMAGES
        return ([own] if own.is_dir() else []) + [Path(p) for p in self.image_folders]

    def csv_rows(self, day: date) -> list[dict[str, object]]:
        return inbox_rows(Path(self.path), day)

    def image_rows(self, day: date) -> list[dict[str, object]]:
        return image_folder_rows(self.image_roots(), day, self.moved_images())

    def moved_images(self) -> MovedImages | None:
        if not (self.moved_images_path and self.images_root):
            return None
        return MovedImages(Path(self.moved_images_path), Path(self.images_root))
