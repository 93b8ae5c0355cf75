"""The inbox: a folder users drop CSV files of URLs into, its `images` folder, and more image folders."""

from datetime import date
from pathlib import Path

import dagster as dg

from content_pipeline.ingest.csv_inbox import inbox_rows
from content_pipeline.ingest.image_folder import image_folder_rows
from content_pipeline.moved_images import MovedImages
from resources.fields.inbox import InboxFields

INBOX_IMAGES = "images"  # <inbox>/images is an image folder whenever it exists


class InboxResource(InboxFields, dg.ConfigurableResource):
    def image_roots(self) -> list[Path]:
        """Every image folder in use: <inbox>/images when it exists, then the configured ones."""
        own = Path(self.path) / INBOX_IMAGES
        return ([own] if own.is_dir() else []) + [Path(p) for p in self.image_folders]

    def csv_rows(self, day: date) -> list[dict[str, object]]:
        return inbox_rows(Path(self.path), day)

    def image_rows(self, day: date, moved: MovedImages | None) -> list[dict[str, object]]:
        """The day's images, with those move mode took out of their folders (`moved`: the exporter's ledger)."""
        return image_folder_rows(self.image_roots(), day, moved)
