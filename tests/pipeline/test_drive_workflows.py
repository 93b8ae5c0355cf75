"""The two workflows of issue 18, whole, against the local Drive server: the image analyzer (a Drive folder of images
in, Drive category folders out, in move mode) and a scraper's day (its records and report uploaded to Drive)."""

from pathlib import Path

import dagster as dg
import polars as pl

from content_pipeline.sample_site.server import sample_urls
from content_pipeline.warehouse.partition_store import PartitionStore
from pipeline_defs.runner import run_partition
from tests.core.image_samples import FAKE_IMAGE_TEXT, corrupt_jpeg
from tests.fakes.drive_server import FOLDER_TYPE, FakeDriveServer
from tests.pipeline.conftest import drive_settings
from tests.pipeline.test_image_folders import DAY, picture

CREATED = f"{DAY}T09:30:00.000Z"
EXPORTS = ["records.csv", "records.parquet", "report.html"]


def tree(server: FakeDriveServer, folder: str, prefix: str = "") -> dict[str, tuple[str, bytes]]:
    """Every untrashed file below `folder`: its path -> (id, bytes)."""
    found: dict[str, tuple[str, bytes]] = {}
    for entry in server.children(folder):
        if entry.mime_type == FOLDER_TYPE:
            found |= tree(server, entry.id, f"{prefix}{entry.name}/")
        else:
            found[prefix + entry.name] = (entry.id, entry.data)
    return found


def link(folder: str) -> str:
    return f"https://drive.google.com/drive/folders/{folder}"


def test_the_image_analyzer_runs_from_a_drive_folder_into_drive_category_folders_and_a_rerun_changes_nothing(
    tmp_path: Path, drive: FakeDriveServer, instance: dg.DagsterInstance
) -> None:
    inbox = drive.add_folder("Camera uploads")
    trip = drive.add_folder("trip", inbox)
    album = drive.add_folder("Shared album")  # reached through a shortcut in the inbox
    reports = drive.add_folder("Reports")
    images = {
        "photo": (inbox, "Holiday Snap.JPG", picture("photo", "JPEG"), "image/jpeg"),
        "graphic": (trip, "logo.png", picture("graphic", "PNG"), "image/png"),
        "greyscale": (album, "scan.webp", picture("greyscale", "WEBP"), "image/webp"),
        "icon": (inbox, "button.gif", picture("icon", "GIF"), "image/gif"),
        "broken": (inbox, "broken.jpg", corrupt_jpeg(), "image/jpeg"),
        "fake": (trip, "fake.png", FAKE_IMAGE_TEXT, "image/png"),
    }
    ids = {key: drive.add_image(name, where, data, mime, CREATED) for key, (where, name, data, mime) in images.items()}
    drive.set_times(drive.add_shortcut("scan.webp", inbox, ids["greyscale"]), CREATED)
    drive.set_times(drive.add_shortcut("Logo.png", inbox, ids["graphic"]), CREATED)  # trip/logo.png reached twice
    settings = drive_settings(
        tmp_path / "home",
        drive,
        CONTENT_PIPELINE_DRIVE_IMAGE_FOLDERS=link(inbox),
        CONTENT_PIPELINE_DRIVE_IMAGES_MODE="move",
        CONTENT_PIPELINE_DRIVE_EXPORT_FOLDER=link(reports),  # images go to its `images` sub-folder
    )

    assert run_partition(settings, DAY, instance).success
    filed = tree(drive, reports)
    expected = {
        "images/photo/holiday-snap.jpg": "photo",
        "images/graphic/logo.png": "graphic",  # by its first row, the shortcut (rows go by path)
        "images/greyscale/scan.webp": "greyscale",
        "images/icon/button.gif": "icon",
        "images/failures/broken.jpg": "broken",
        "images/failures/fake.png": "fake",
    }
    for path, key in expected.items():  # moved, not copied: the same Drive file, with its bytes
        assert filed[path] == (ids[key], images[key][2]), path
    assert b"not an image" in filed["images/failures/fake.png.reason.txt"][1]
    assert b"classify" in filed["images/failures/broken.jpg.reason.txt"][1]
    assert sorted(p for p in filed if not p.startswith("images/")) == [f"{DAY}/{name}" for name in EXPORTS]
    assert [f for f in tree(drive, inbox).values() if f[0] in ids.values()] == []  # the inbox was emptied
    assert tree(drive, album) == {}
    export = PartitionStore(settings.warehouse).read("export", DAY)
    assert len(export) == 7 and set(export["source"].to_list()) == {"drive"}
    assert dict(zip(export["input_url"], export["filed_status"], strict=True)) == {
        "Logo.png": "filed",
        "Holiday Snap.JPG": "filed",
        "trip/logo.png": "skipped",  # the same Drive file as the shortcut Logo.png: filed once, by its first row
        "scan.webp": "filed",
        "button.gif": "filed",
        "broken.jpg": "failed",
        "trip/fake.png": "failed",
    }
    csv = pl.read_csv(filed[f"{DAY}/records.csv"][1])
    assert sorted(csv["record_id"].to_list()) == sorted(export["record_id"].to_list())

    drive.drive_requests.clear()
    assert run_partition(settings, DAY, instance).success  # the rerun: the images are no longer in the inbox
    # downloaded again: only the file whose bytes were refused (the HTTP cache keeps what was fetched whole)
    assert [r.path.rsplit("/", 1)[-1] for r in drive.media_requests()] == [ids["fake"]]
    written = [r for r in drive.drive_requests if r.method in ("POST", "DELETE") and "/upload/" not in r.path]
    assert written == []  # no file created, copied or deleted (the day's three exports are replaced in place)
    assert {path: f for path, f in tree(drive, reports).items() if path.startswith("images/")} == {
        path: f for path, f in filed.items() if path.startswith("images/")
    }
    again = PartitionStore(settings.warehouse).read("export", DAY)
    columns = ["record_id", "status", "filed_status", "filed_path"]
    # every image keeps its row; the duplicate's path (trip/logo.png) went with the file it led to, so it is gone
    kept = export.filter(pl.col("input_url") != "trip/logo.png")
    assert again.select(columns).sort("record_id").equals(kept.select(columns).sort("record_id"))


def test_a_scrapers_day_writes_its_records_and_report_to_drive(
    tmp_path: Path, sample_site: str, drive: FakeDriveServer, instance: dg.DagsterInstance
) -> None:
    reports = drive.add_folder("Scraper output")
    settings = drive_settings(tmp_path / "home", drive, CONTENT_PIPELINE_DRIVE_EXPORT_FOLDER=reports)
    settings.inbox.mkdir(parents=True)
    lines = ["url,expected_kind", *[f"{url},{kind}" for url, kind in sample_urls(sample_site)]]
    (settings.inbox / f"links-{DAY}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    assert run_partition(settings, DAY, instance).success
    uploaded = tree(drive, reports)
    assert sorted(uploaded) == [f"{DAY}/{name}" for name in EXPORTS]
    output = Path(settings.resources.exporter.output) / DAY
    assert all(uploaded[f"{DAY}/{name}"][1] == (output / name).read_bytes() for name in EXPORTS)
    records = pl.read_parquet(uploaded[f"{DAY}/records.parquet"][1])
    assert len(records) == len(lines) - 1
    assert records.filter(pl.col("status") == "ok").height > 0
    assert b"<html" in uploaded[f"{DAY}/report.html"][1].lower()
