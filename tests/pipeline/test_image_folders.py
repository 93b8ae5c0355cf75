"""A folder of images through the whole graph: read from disk, classified, filed by category, failures set aside."""

import io
import random
from pathlib import Path

import dagster as dg
import polars as pl
from PIL import Image

from content_pipeline.warehouse.partition_store import PartitionStore
from pipeline_defs.runner import run_partition
from pipeline_defs.settings import Settings
from tests.core.image_samples import FAKE_IMAGE_TEXT, corrupt_jpeg

DAY = "2026-11-24"


def picture(kind: str, fmt: str) -> bytes:
    """A real image that the offline heuristic sorts into a known visual category."""
    rng = random.Random(7)
    if kind == "photo":
        image = Image.new("RGB", (160, 120))
        image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(160 * 120)])
    elif kind == "graphic":
        image = Image.new("RGB", (160, 120), (250, 250, 250))
        image.paste((220, 30, 30), (20, 20, 90, 100))
    elif kind == "greyscale":
        image = Image.new("RGB", (160, 120))
        image.putdata([(x % 160, x % 160, x % 160) for x in range(160 * 120)])
    else:
        image = Image.new("RGB", (32, 32), (30, 90, 200))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def drop_images(folder: Path) -> dict[str, bytes]:
    contents = {
        "Holiday Snap.JPG": picture("photo", "JPEG"),
        "logo.png": picture("graphic", "PNG"),
        "scan.webp": picture("greyscale", "WEBP"),
        "button.gif": picture("icon", "GIF"),
        "broken.jpg": corrupt_jpeg(),
        "fake.png": FAKE_IMAGE_TEXT,
    }
    day_folder = folder / DAY
    day_folder.mkdir(parents=True)
    for name, data in contents.items():
        (day_folder / name).write_bytes(data)
    (day_folder / "notes.txt").write_text("not an image name: never ingested")
    return contents


def filed_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_images_in_the_inbox_are_filed_by_category_and_failures_set_aside_with_their_reason(
    settings: Settings, instance: dg.DagsterInstance
) -> None:
    contents = drop_images(settings.inbox / "images")
    assert run_partition(settings, DAY, instance).success
    root = settings.output / "images"
    files = filed_files(root)
    assert files["photo/holiday-snap.jpg"] == contents["Holiday Snap.JPG"]
    assert files["graphic/logo.png"] == contents["logo.png"]
    assert files["greyscale/scan.webp"] == contents["scan.webp"]
    assert files["icon/button.gif"] == contents["button.gif"]
    assert files["failures/broken.jpg"] == contents["broken.jpg"]
    assert files["failures/fake.png"] == contents["fake.png"]
    assert b"not an image" in files["failures/fake.png.reason.txt"]
    assert b"classify" in files["failures/broken.jpg.reason.txt"]
    assert len(files) == 8

    export = PartitionStore(settings.warehouse).read("export", DAY)
    filed = dict(zip(export["input_url"], export["filed_status"], strict=True))
    assert filed == {
        f"{DAY}/Holiday Snap.JPG": "filed",
        f"{DAY}/logo.png": "filed",
        f"{DAY}/scan.webp": "filed",
        f"{DAY}/button.gif": "filed",
        f"{DAY}/broken.jpg": "failed",
        f"{DAY}/fake.png": "failed",
    }
    fake = export.filter(export["input_url"] == f"{DAY}/fake.png").row(0, named=True)
    assert fake["status"] == "fetch:unsupported_file" and "not an image" in fake["reason"]
    filed_rows = PartitionStore(settings.warehouse).read("filed_images", DAY)  # the asset export takes them from
    as_exported = export.drop_nulls("filed_status").select("record_id", "filed_status", "filed_path", "filed_reason")
    assert (
        filed_rows.rename({"status": "filed_status", "path": "filed_path", "reason": "filed_reason"})
        .select(as_exported.columns)
        .sort("record_id")
        .equals(as_exported.sort("record_id"))
    )
    csv = pl.read_csv(settings.output / DAY / "records.csv", infer_schema=False)  # the day's files say the same
    columns = ["record_id", "status", "filed_status", "filed_path"]
    assert csv.select(columns).fill_null("").equals(export.select(columns).fill_null(""))
    report = (settings.output / DAY / "report.html").read_text(encoding="utf-8")
    assert "<h2>Images filed</h2>" in report and '<td>filed</td><td class="n">4</td>' in report

    assert run_partition(settings, DAY, instance).success  # a rerun files nothing twice
    assert filed_files(root) == files
    again = PartitionStore(settings.warehouse).read("export", DAY)
    assert dict(zip(again["input_url"], again["filed_path"], strict=True)) == dict(
        zip(export["input_url"], export["filed_path"], strict=True)
    )


def test_move_mode_empties_the_image_folder_only_into_verified_copies(
    settings: Settings, instance: dg.DagsterInstance
) -> None:
    settings = settings.changed("exporter", images_mode="move")
    contents = drop_images(settings.inbox / "images")
    assert run_partition(settings, DAY, instance).success
    left = sorted(p.name for p in (settings.inbox / "images" / DAY).iterdir())
    assert left == ["notes.txt"]
    files = filed_files(settings.output / "images")
    assert sorted(v for k, v in files.items() if not k.endswith(".reason.txt")) == sorted(contents.values())


def test_images_fetched_from_urls_are_filed_too(
    settings: Settings, instance: dg.DagsterInstance, sample_site: str
) -> None:
    settings.inbox.mkdir(parents=True)
    images = ["harbour-dusk.jpg", "port-volumes-chart.png"]
    urls = "\n".join(f"{sample_site}/images/{name}" for name in images)
    (settings.inbox / f"pictures-{DAY}.csv").write_text(f"url\n{urls}\n{sample_site}/news/nothing-here.jpg\n")
    assert run_partition(settings, DAY, instance).success
    files = filed_files(settings.output / "images")
    site = Path(__file__).parents[2] / "content_pipeline" / "sample_site" / "pages" / "images"
    assert files == {
        "photo/harbour-dusk.jpg": (site / images[0]).read_bytes(),
        "graphic/port-volumes-chart.png": (site / images[1]).read_bytes(),
    }
    export = PartitionStore(settings.warehouse).read("export", DAY)
    assert export.filter(export["url"].str.ends_with("nothing-here.jpg"))["filed_status"].to_list() == [None]


def test_a_move_mode_rerun_finds_the_moved_images_where_they_were_filed_and_the_day_keeps_every_row(
    settings: Settings, instance: dg.DagsterInstance
) -> None:
    settings = settings.changed("exporter", images_mode="move")
    drop_images(settings.inbox / "images")
    assert run_partition(settings, DAY, instance).success
    store = PartitionStore(settings.warehouse)
    first = {stage: store.read(stage, DAY) for stage in ("ingest", "fetch", "export")}
    files = filed_files(settings.output / "images")
    assert sorted(p.name for p in (settings.inbox / "images" / DAY).iterdir()) == ["notes.txt"]

    assert run_partition(settings, DAY, instance).success  # the sources are gone now: the day must not shrink
    again = {stage: store.read(stage, DAY) for stage in ("ingest", "fetch", "export")}
    assert again["ingest"].drop("reason").equals(first["ingest"].drop("reason"))
    columns = ["record_id", "status", "content_type", "bytes"]
    assert again["fetch"].select(columns).equals(first["fetch"].select(columns))
    assert again["fetch"].filter(pl.col("status") == "ok")["body"].null_count() == 0
    columns = ["record_id", "status", "filed_status", "filed_path"]
    assert again["export"].select(columns).sort("record_id").equals(first["export"].select(columns).sort("record_id"))
    assert filed_files(settings.output / "images") == files  # nothing filed twice, nothing lost
    with (settings.output / DAY / "records.csv").open(encoding="utf-8") as handle:
        assert len(handle.readlines()) == 1 + len(first["export"])
