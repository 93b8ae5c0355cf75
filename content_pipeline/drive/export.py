"""The day's export files in Drive: `<export folder>/<day>/records.csv`, `records.parquet` and `report.html`, each
replacing the previous upload of the same name."""

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from content_pipeline.drive.client import DriveApiError, DriveClient
from content_pipeline.export.output_store import output_at
from content_pipeline.warehouse.storage import Location

MIME_TYPES = {
    ".csv": "text/csv",
    ".parquet": "application/vnd.apache.parquet",
    ".html": "text/html",
}


@dataclass(frozen=True)
class DriveUpload:
    name: str
    file_id: str
    link: str  # webViewLink
    bytes: int


def upload_day(client: DriveClient, export_folder: str, day: str, files: Mapping[str, Path]) -> list[DriveUpload]:
    """Upload the day's files (name -> local path) into the day's sub-folder of `export_folder`."""
    client.folder(export_folder)  # one clear line when it is missing or not shared
    try:
        day_folder = client.ensure_folder(export_folder, day)
        uploads = []
        for name, path in files.items():
            mime_type = MIME_TYPES.get(path.suffix, "application/octet-stream")
            done = client.put_file(day_folder["id"], name, path, mime_type)
            uploads.append(DriveUpload(name, str(done["id"]), str(done.get("webViewLink", "")), path.stat().st_size))
    except DriveApiError as exc:
        raise client.refused(export_folder, exc) from None
    return uploads


def upload_day_outputs(
    client: DriveClient, export_folder: str, day: str, locations: Sequence[Location]
) -> list[DriveUpload]:
    """Upload the day's written files wherever they are (a local folder, or an object store: a local copy first)."""
    with contextlib.ExitStack() as stack:
        paths = {str(loc).rsplit("/", 1)[-1]: stack.enter_context(output_at(loc).local_copy(loc)) for loc in locations}
        return upload_day(client, export_folder, day, paths)
