"""Where export_files writes the day's files, and where and how filed_images files images."""

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from content_pipeline.warehouse.storage import Location, is_object_store, root_location
from resources.fields.exporter import ExportFields

if TYPE_CHECKING:  # imported on use: `content-pipeline config` reads only the fields
    from content_pipeline.export.image_filing import FilingResult, ImageToFile
    from content_pipeline.moved_images import MovedImages

IMAGES_FOLDER = "images"


class ExportResource(ExportFields, dg.ConfigurableResource):
    @property
    def output_root(self) -> Location:
        """The output: a local folder, or an object store's `s3://bucket/prefix`."""
        return root_location(self.output)

    @property
    def images_root(self) -> Location:
        """Where images are filed: a local folder or `s3://bucket/prefix` (by default `<output>/images`, so an output
        on an object store files its images there too)."""
        if self.images_output:
            return root_location(self.images_output)
        output = self.output_root
        return output / IMAGES_FOLDER if isinstance(output, Path) else f"{output}/{IMAGES_FOLDER}"

    def moved_images_ledger(self) -> "MovedImages | None":
        """The ledger of the images move mode took out of their folders (ingest and fetch read it too)."""
        from content_pipeline.moved_images import MovedImages

        return MovedImages(Path(self.moved_images), self.images_root) if self.moved_images else None

    def file_images(self, items: Sequence["ImageToFile"]) -> list["FilingResult"]:
        root = self.images_root
        if is_object_store(root):
            from content_pipeline.export.object_filing import file_images_to_store

            return file_images_to_store(items, str(root), self.images_mode, self.moved_images_ledger())
        from content_pipeline.export.image_filing import file_images

        return file_images(items, Path(root), self.images_mode, self.moved_images_ledger())
