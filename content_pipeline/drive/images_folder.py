"""The Drive folder images are filed into (checked, or made inside the export folder), its link, and how fetch reads
back an image that move mode put into Drive."""

from collections.abc import Callable

from content_pipeline.drive.client import DriveApiError, DriveClient
from content_pipeline.drive.errors import DriveError
from content_pipeline.drive.settings import folder_id
from content_pipeline.moved_images import ReadDrive

IMAGES_SUB_FOLDER = "images"  # the output folder inside the export folder when no images folder is set
FOLDER_LINK = "https://drive.google.com/drive/folders/{}"


def output_folder(client: DriveClient, images_folder: str, export_folder: str) -> str:
    """The id of the Drive folder images are filed into: `images_folder`, else the `images` sub-folder of
    `export_folder` (created when missing); a DriveError in one line when neither is set or the folder cannot be
    used."""
    if images_folder.strip():
        chosen = folder_id(images_folder)
        client.folder(chosen)
        return chosen
    if not export_folder.strip():
        raise DriveError(
            "filing images into Drive needs a folder: set CONTENT_PIPELINE_DRIVE_IMAGES_FOLDER (or "
            "CONTENT_PIPELINE_DRIVE_EXPORT_FOLDER, whose `images` sub-folder is used), or set "
            "CONTENT_PIPELINE_DRIVE_IMAGES_MODE=off"
        )
    parent = folder_id(export_folder)
    client.folder(parent)
    try:
        return str(client.ensure_folder(parent, IMAGES_SUB_FOLDER)["id"])
    except DriveApiError as exc:
        raise client.refused(parent, exc) from None


def drive_reader(client_of: Callable[[], DriveClient]) -> ReadDrive:
    """How fetch reads an image that move mode put into Drive: its bytes by file id (signing in on first use); a
    refusal (gone, not shared) as an OSError, the item's failure. Drive staying unavailable stops the step."""
    clients: list[DriveClient] = []

    def read(file_id: str, max_bytes: int) -> bytes:
        if not clients:
            clients.append(client_of())
        try:
            return clients[0].download(file_id, max_bytes)
        except DriveApiError as exc:
            raise OSError(f"Google Drive would not give the file {file_id}: {exc}") from None

    return read


def folder_link(file_id: str) -> str:
    return FOLDER_LINK.format(file_id)
