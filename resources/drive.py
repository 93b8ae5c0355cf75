"""Google Drive as a destination of the day's export files (off when no export folder is configured) and of filed
images (off unless images_mode is file or move). It signs in as the Sheets integration's service account, with the
Drive scope."""

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import dagster as dg

from content_pipeline.drive.errors import DriveError
from content_pipeline.drive.settings import DriveSettings, folder_id
from content_pipeline.sheets.errors import SheetsError
from content_pipeline.warehouse.storage import Location
from resources.fields.drive import DriveFields
from resources.sheets import SheetsResource

if TYPE_CHECKING:
    from content_pipeline.drive.client import DriveClient
    from content_pipeline.drive.export import DriveUpload
    from content_pipeline.drive.filing import DriveFiling
    from content_pipeline.export.image_filing import Mode
    from content_pipeline.moved_images import MovedImages, ReadDrive


class DriveResource(DriveFields, dg.ConfigurableResource):
    @property
    def enabled(self) -> bool:
        return bool(self.export_folder.strip())

    def settings(self) -> DriveSettings:
        return DriveSettings(
            timeout_s=self.timeout_s, max_attempts=self.max_attempts, backoff_initial_s=self.backoff_initial_s
        )

    def client(self, sheets: SheetsResource) -> "DriveClient":
        """A Drive client signed in as the Sheets integration's service account."""
        from content_pipeline.drive.connect import connect
        from content_pipeline.sheets.connect import credentials_from

        try:
            info = credentials_from(sheets.credentials_json, sheets.credentials_file)
        except SheetsError as exc:
            raise DriveError(f"Google Drive uses the Sheets service account: {exc}") from None
        return connect(self.settings(), info, self.endpoint)

    def image_rows(self, sheets: SheetsResource, day: date, moved: "MovedImages | None") -> list[dict[str, object]]:
        """The day's images in the Drive image folders, with those move mode filed away (`moved`: the exporter's
        ledger); none, and no sign-in, when no Drive image folder is configured."""
        if not self.image_folders:
            return []
        from content_pipeline.drive.image_source import drive_image_rows

        client = self.client(sheets)
        return drive_image_rows(client, self.image_folders, day, self.filing_folders(client), moved)

    def filing_folders(self, client: "DriveClient") -> list[str]:
        """The Drive folder images are filed into (when Drive filing is on and it exists): never read as a source."""
        from content_pipeline.drive.client import DriveApiError
        from content_pipeline.drive.images_folder import IMAGES_SUB_FOLDER

        if self.images_mode == "off":
            return []
        if self.images_folder.strip():
            return [folder_id(self.images_folder)]
        if not self.export_folder.strip():
            return []
        try:
            found = client.find_child(folder_id(self.export_folder), IMAGES_SUB_FOLDER, folder=True)
        except DriveApiError:  # the export folder is refused: export_files says so in one line
            return []
        return [str(found["id"])] if found else []

    def upload_day(self, sheets: SheetsResource, day: str, files: Sequence[Location]) -> list["DriveUpload"]:
        """Upload the day's files into `<export folder>/<day>`, replacing the previous upload of each name."""
        from content_pipeline.drive.export import upload_day_outputs

        return upload_day_outputs(self.client(sheets), folder_id(self.export_folder), day, files)

    @property
    def files_images(self) -> bool:
        """Whether filed_images files into Drive rather than into the images output."""
        return self.images_mode != "off"

    def image_filing(self, sheets: SheetsResource, ledger: "MovedImages | None") -> "DriveFiling":
        """A filer of images into the Drive images folder (checked first: one line when it cannot be used)."""
        from content_pipeline.drive.filing import DriveFiling
        from content_pipeline.drive.images_folder import output_folder

        client = self.client(sheets)
        folder = output_folder(client, self.images_folder, self.export_folder)
        mode: Mode = "move" if self.images_mode == "move" else "copy"
        return DriveFiling(client, folder, mode, ledger, self.concurrency)

    def image_reader(self, sheets: SheetsResource) -> "ReadDrive":
        """How fetch reads the images move mode put into Drive (signs in on first use only)."""
        from content_pipeline.drive.images_folder import drive_reader

        return drive_reader(lambda: self.client(sheets))
