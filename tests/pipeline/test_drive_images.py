"""A day's run with a Drive image folder: its images (a sub-folder and a shortcut included) are ingested, fetched
through the Drive API of the local Drive server, classified and filed by visual category on disk; a rerun of the
day downloads nothing again."""

import json
from datetime import date
from pathlib import Path

import dagster as dg

from content_pipeline.drive.links import file_link
from content_pipeline.warehouse.partition_store import PartitionStore
from pipeline_defs.runner import run_partition
from pipeline_defs.settings import Settings
from resources.drive import DriveResource
from resources.sheets import SheetsResource
from tests.fakes.drive_server import FakeDriveServer
from tests.fakes.sheets_server import service_account_info
from tests.pipeline.conftest import drive_settings
from tests.pipeline.test_image_folders import filed_files, picture

DAY = "2026-11-24"
CREATED = f"{DAY}T08:15:00.000Z"


def settings_with_drive_images(home: Path, server: FakeDriveServer, folder: str) -> Settings:
    link = f"https://drive.google.com/drive/folders/{folder}?usp=sharing"
    return drive_settings(home, server, CONTENT_PIPELINE_DRIVE_IMAGE_FOLDERS=link)


def test_images_in_a_drive_folder_are_fetched_through_the_api_filed_by_category_and_not_downloaded_twice(
    tmp_path: Path, drive: FakeDriveServer, instance: dg.DagsterInstance
) -> None:
    root = drive.add_folder("Phone uploads")
    sub = drive.add_folder("screens", root)
    shared = drive.add_folder("Shared album")
    contents = {
        "photo": picture("photo", "JPEG"),
        "graphic": picture("graphic", "PNG"),
        "greyscale": picture("greyscale", "WEBP"),
    }
    ids = {
        "photo": drive.add_image("Holiday Snap.jpg", root, contents["photo"], created=CREATED),
        "graphic": drive.add_image("logo.png", sub, contents["graphic"], "image/png", created=CREATED),
        "greyscale": drive.add_image("scan.webp", shared, contents["greyscale"], "image/webp", created=CREATED),
    }
    drive.set_times(drive.add_shortcut("scan.webp", root, ids["greyscale"]), CREATED)
    drive.add_image("yesterday.jpg", root, picture("icon", "JPEG"), created="2026-11-23T10:00:00.000Z")
    settings = settings_with_drive_images(tmp_path / "home", drive, root)

    assert run_partition(settings, DAY, instance).success
    store = PartitionStore(settings.warehouse)
    export = store.read("export", DAY)
    assert sorted(export["input_url"].to_list()) == ["Holiday Snap.jpg", "scan.webp", "screens/logo.png"]
    assert set(export["source"].to_list()) == {"drive"}
    assert set(export["status"].to_list()) == {"ok"}, export.select("input_url", "status", "reason").to_dicts()
    assert set(export["filed_status"].to_list()) == {"filed"}
    assert sorted(export["url"].to_list()) == sorted(file_link(i) for i in ids.values())
    files = filed_files(settings.output / "images")
    assert sorted(Path(name).stem for name in files) == ["holiday-snap", "logo", "scan"]  # the names they had in Drive
    for category, data in contents.items():  # each image under its visual category, with its bytes
        assert [name for name, kept in files.items() if kept == data] == [
            path for path in files if path.startswith(f"{category}/")
        ]
    assert len(drive.media_requests()) == 3

    drive.drive_requests.clear()
    assert run_partition(settings, DAY, instance).success  # a rerun of the day
    assert drive.media_requests() == []  # no file downloaded again
    again = store.read("export", DAY)  # the same rows: the stored partitions are kept
    assert sorted(again["record_id"].to_list()) == sorted(export["record_id"].to_list())
    assert filed_files(settings.output / "images") == files


def test_the_drive_folder_images_are_filed_into_is_not_read_and_nothing_signs_in_without_image_folders(
    drive: FakeDriveServer,
) -> None:
    root = drive.add_folder("Camera")
    drive.add_image("new.jpg", root, picture("icon", "JPEG"), created=CREATED)
    filed = drive.add_folder("images", root)  # the `images` sub-folder of the export folder
    drive.add_image("filed.jpg", drive.add_folder("photo", filed), picture("photo", "JPEG"), created=CREATED)
    other = drive.add_folder("sorted", root)
    drive.add_image("sorted.jpg", other, picture("photo", "JPEG"), created=CREATED)
    sheets = SheetsResource(credentials_json=json.dumps(service_account_info(drive)))
    on = date.fromisoformat(DAY)

    def read(**fields: str) -> list[str]:
        resource = DriveResource(image_folders=[root], endpoint=drive.base_url, **fields)  # type: ignore[arg-type]
        return sorted(str(row["input_url"]) for row in resource.image_rows(sheets, on, None))

    assert read() == ["images/photo/filed.jpg", "new.jpg", "sorted/sorted.jpg"]  # no Drive filing: all are sources
    assert read(images_mode="file", export_folder=root) == ["new.jpg", "sorted/sorted.jpg"]
    assert read(images_mode="move", images_folder=other) == ["images/photo/filed.jpg", "new.jpg"]

    drive.drive_requests.clear()
    assert DriveResource().image_rows(SheetsResource(), on, None) == []  # no key needed: nothing signs in
    assert drive.drive_requests == []
