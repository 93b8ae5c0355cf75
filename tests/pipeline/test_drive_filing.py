"""A day's run with CONTENT_PIPELINE_DRIVE_IMAGES_MODE=file files the images of an image folder into Drive category
folders of the local Drive server (through the Sheets service account), failures with their reason, and a rerun
creates nothing in Drive."""

from pathlib import Path

import dagster as dg

from content_pipeline.warehouse.partition_store import PartitionStore
from pipeline_defs.runner import run_partition
from tests.fakes.drive_server import FOLDER_TYPE, FakeDriveServer
from tests.fakes.sheets_server import DEFAULT_CLIENT_EMAIL
from tests.pipeline.conftest import drive_settings
from tests.pipeline.test_image_folders import DAY, drop_images


def drive_tree(server: FakeDriveServer, root: str) -> dict[str, bytes]:
    return {
        f"{folder.name}/{f.name}": f.data
        for folder in server.children(root)
        for f in server.children(folder.id)
        if f.mime_type != FOLDER_TYPE
    }


def test_images_are_filed_into_drive_category_folders_and_a_rerun_creates_nothing(
    tmp_path: Path, drive: FakeDriveServer, instance: dg.DagsterInstance
) -> None:
    root = drive.add_folder("Filed images")
    variables = {
        "CONTENT_PIPELINE_DRIVE_IMAGES_MODE": "file",
        "CONTENT_PIPELINE_DRIVE_IMAGES_FOLDER": f"https://drive.google.com/drive/folders/{root}",
    }
    settings = drive_settings(tmp_path / "home", drive, **variables)
    contents = drop_images(settings.inbox / "images")
    assert run_partition(settings, DAY, instance).success

    files = drive_tree(drive, root)
    assert files["photo/holiday-snap.jpg"] == contents["Holiday Snap.JPG"]
    assert files["graphic/logo.png"] == contents["logo.png"]
    assert files["greyscale/scan.webp"] == contents["scan.webp"]
    assert files["icon/button.gif"] == contents["button.gif"]
    assert files["failures/broken.jpg"] == contents["broken.jpg"]
    assert b"not an image" in files["failures/fake.png.reason.txt"]
    assert len(files) == 8
    assert not (settings.output / "images").exists()  # nothing filed on disk
    assert sorted(p.name for p in (settings.inbox / "images" / DAY).iterdir()) == sorted([*contents, "notes.txt"])

    rows = PartitionStore(settings.warehouse).read("filed_images", DAY)
    by_path = dict(zip(rows["path"], rows["status"], strict=True))
    assert by_path["photo/holiday-snap.jpg"] == "filed" and by_path["failures/fake.png"] == "failed"
    assert sorted(by_path) == sorted(k for k in files if not k.endswith(".reason.txt"))
    event = instance.get_latest_materialization_event(dg.AssetKey("filed_images"))
    assert event is not None and event.asset_materialization is not None
    metadata = event.asset_materialization.metadata
    assert metadata["images_folder"].value == f"https://drive.google.com/drive/folders/{root}"
    assert metadata["images_new_files"].value == 4  # the four filed by category (failures are counted apart)

    drive.drive_requests.clear()
    assert run_partition(settings, DAY, instance).success  # a rerun of the day
    assert any(r.path.endswith("/files") for r in drive.drive_requests)  # it looked again at what Drive holds
    assert [r for r in drive.drive_requests if r.method != "GET"] == []  # nothing created, moved or replaced
    assert drive_tree(drive, root) == files
    again = PartitionStore(settings.warehouse).read("filed_images", DAY)
    assert again.sort("record_id").equals(rows.sort("record_id"))


def test_move_mode_empties_the_image_folder_into_drive_and_a_rerun_reads_them_there_and_moves_nothing(
    tmp_path: Path, drive: FakeDriveServer, instance: dg.DagsterInstance
) -> None:
    root = drive.add_folder("Filed images")
    variables = {"CONTENT_PIPELINE_DRIVE_IMAGES_MODE": "move", "CONTENT_PIPELINE_DRIVE_IMAGES_FOLDER": root}
    settings = drive_settings(tmp_path / "home", drive, **variables)
    contents = drop_images(settings.inbox / "images")
    assert run_partition(settings, DAY, instance).success
    assert sorted(p.name for p in (settings.inbox / "images" / DAY).iterdir()) == ["notes.txt"]
    files = drive_tree(drive, root)
    assert sorted(v for k, v in files.items() if not k.endswith(".reason.txt")) == sorted(contents.values())
    store = PartitionStore(settings.warehouse)
    first = {stage: store.read(stage, DAY) for stage in ("ingest", "fetch", "filed_images", "export")}

    drive.drive_requests.clear()
    assert run_partition(settings, DAY, instance).success  # the sources are gone now: the day must not shrink
    assert [r for r in drive.drive_requests if r.method != "GET"] == []  # nothing uploaded, moved or replaced
    downloads = [r for r in drive.drive_requests if r.param("alt") == "media"]
    assert len(downloads) == len(contents)  # fetch read each moved image back from Drive
    assert drive_tree(drive, root) == files
    again = {stage: store.read(stage, DAY) for stage in ("ingest", "fetch", "filed_images", "export")}
    assert again["ingest"].drop("reason").equals(first["ingest"].drop("reason"))
    columns = ["record_id", "status", "content_type", "bytes"]
    assert again["fetch"].select(columns).equals(first["fetch"].select(columns))
    columns = ["record_id", "status", "path"]
    assert (
        again["filed_images"]
        .select(columns)
        .sort("record_id")
        .equals(first["filed_images"].select(columns).sort("record_id"))
    )
    columns = ["record_id", "status", "filed_status", "filed_path"]
    assert again["export"].select(columns).sort("record_id").equals(first["export"].select(columns).sort("record_id"))


def test_an_images_folder_not_shared_with_the_account_fails_the_step_with_one_line_naming_its_email(
    tmp_path: Path, drive: FakeDriveServer, instance: dg.DagsterInstance
) -> None:
    hidden = drive.add_folder("Private", shared=False)
    variables = {"CONTENT_PIPELINE_DRIVE_IMAGES_MODE": "file", "CONTENT_PIPELINE_DRIVE_IMAGES_FOLDER": hidden}
    settings = drive_settings(tmp_path / "home", drive, **variables)
    drop_images(settings.inbox / "images")
    result = run_partition(settings, DAY, instance)
    assert not result.success
    [failure] = [event for event in result.all_events if event.is_step_failure]
    assert failure.step_key == "filed_images"
    error = failure.step_failure_data.error
    assert error is not None
    line = error.message.strip()
    assert "\n" not in line and DEFAULT_CLIENT_EMAIL in line and hidden in line, line
    assert drive.children(hidden) == []
