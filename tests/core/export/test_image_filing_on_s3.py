"""Images filed onto an S3-compatible store (moto on 127.0.0.1, through the real s3fs client) with the promises of
the local filing: the same names as in a folder, collisions numbered, a rerun adding nothing, failures with their
reason, and in move mode a source deleted only once its uploaded copy reads back the same."""

from datetime import date
from pathlib import Path

import pytest

from content_pipeline.export import object_filing
from content_pipeline.export.image_filing import SOURCE_KEPT, ImageToFile, file_images, load_source
from content_pipeline.export.object_filing import file_images_to_store
from content_pipeline.fetch.local_files import LocalFileRequest, read_local_files
from content_pipeline.ingest.image_folder import image_folder_rows
from content_pipeline.moved_images import MovedImages
from content_pipeline.status import FetchStatus
from content_pipeline.warehouse.object_storage import s3_filesystem
from tests.core.export.test_image_filing import files_under, item, statuses
from tests.core.image_samples import FAKE_IMAGE_TEXT, image_bytes, write_samples
from tests.fakes.s3_server import SECRET
from tests.fakes.s3_server import s3_endpoint as s3_endpoint  # the fixtures
from tests.fakes.s3_server import s3_root as s3_root

DAY = date(2026, 11, 24)


@pytest.fixture
def images(s3_root: str) -> str:
    """`s3://<the test's bucket>/images`."""
    return s3_root.rsplit("/", 1)[0] + "/images"


def objects_under(prefix: str) -> dict[str, bytes]:
    """Every object below `prefix` (an s3:// URL), by its key below it, with its bytes."""
    fs = s3_filesystem()
    bare = prefix.removeprefix("s3://")
    return {key[len(bare) + 1 :]: bytes(fs.cat_file(key)) for key in fs.find(bare)}


def test_copy_mode_files_onto_s3_the_names_and_bytes_a_folder_gets(tmp_path: Path, images: str) -> None:
    samples = write_samples(tmp_path / "in")
    items = [
        item("a", samples["cat.jpg"], "photo", "Sunset at the Beach", "jpg"),
        item("b", samples["leaf.png"], "graphic", None, "png"),
        item("c", samples["wave.webp"], "screenshot", "wave.png", "webp"),
        item("d", image_bytes("gif"), "graphic", "from the web", "gif"),
        item("e", samples["broken.jpg"], None, None, "jpg", failure="classify error: truncated"),
    ]
    on_s3 = file_images_to_store(items, images)
    in_folder = file_images(items, tmp_path / "out")
    assert statuses(on_s3) == ["filed", "filed", "filed", "filed", "failed"]
    assert [(r.path, r.sha256) for r in on_s3] == [(r.path, r.sha256) for r in in_folder]
    stored = objects_under(images)
    assert sorted(stored) == files_under(tmp_path / "out")  # the same keys as the folder's files, no temporary
    assert {key: (tmp_path / "out" / key).read_bytes() for key in stored} == stored
    assert stored["failures/broken.jpg.reason.txt"] == b"classify error: truncated\n"
    assert all(path.is_file() for path in samples.values())  # copy mode keeps the sources


def test_different_images_under_one_name_on_s3_get_numbered_and_a_rerun_adds_nothing(
    tmp_path: Path, images: str
) -> None:
    red = image_bytes("png", (200, 0, 0))
    blue = red[:-20] + bytes(byte ^ 0xFF for byte in red[-20:-12]) + red[-12:]  # the same size, other bytes
    items = [item("a", red, "graphic", "logo", "png"), item("b", blue, "graphic", "logo", "png")]
    first = file_images_to_store(items, images)
    assert [(r.status, r.path) for r in first] == [("filed", "graphic/logo.png"), ("filed", "graphic/logo-2.png")]
    before = {key: s3_filesystem().info(f"{images}/{key}")["ETag"] for key in objects_under(images)}
    again = file_images_to_store([*items, item("c", red, "graphic", "logo", "png")], images)
    assert statuses(again) == ["already_filed"] * 3
    assert [r.path for r in again] == ["graphic/logo.png", "graphic/logo-2.png", "graphic/logo.png"]
    assert {key: s3_filesystem().info(f"{images}/{key}")["ETag"] for key in objects_under(images)} == before


def test_move_mode_on_s3_deletes_each_source_after_its_upload_reads_back_and_a_rerun_finds_it(
    tmp_path: Path, images: str
) -> None:
    folder = tmp_path / "inbox" / DAY.isoformat()
    folder.mkdir(parents=True)
    originals = {"cat.jpg": image_bytes("jpg"), "leaf.png": image_bytes("png", (20, 160, 40))}
    for name, data in originals.items():
        (folder / name).write_bytes(data)
    ledger = MovedImages(tmp_path / "cache" / "moved-images.sqlite", images)
    rows = image_folder_rows([folder.parent], DAY, ledger)
    items = [
        ImageToFile(str(r["record_id"]), "photo", None, Path(str(r["path"])).name, Path(str(r["path"])), None,
                    None, None, {**r, "added_on": str(r["added_on"])})
        for r in rows
    ]  # fmt: skip
    results = file_images_to_store(items, images, "move", ledger)
    assert [(r.status, r.reason) for r in results] == [("filed", "source deleted")] * 2
    assert list(folder.iterdir()) == []
    assert objects_under(images) == {"photo/cat.jpg": originals["cat.jpg"], "photo/leaf.png": originals["leaf.png"]}
    assert sorted(went.filed for went in ledger.of_day(DAY.isoformat())) == [
        f"{images}/photo/cat.jpg",
        f"{images}/photo/leaf.png",
    ]

    again = image_folder_rows([folder.parent], DAY, ledger)  # a rerun of the day keeps the moved images' rows
    assert again == rows
    requests = [LocalFileRequest(str(r["record_id"]), str(r["path"])) for r in again]
    fetched = read_local_files(requests, [folder.parent], 1_000_000, ledger)
    assert [(r.status, r.body) for r in fetched] == [(FetchStatus.OK, originals[Path(q.path).name]) for q in requests]
    s3_filesystem().pipe_file(f"{images}/photo/cat.jpg", image_bytes("jpg", (1, 2, 3)))  # changed since
    changed, same = read_local_files(requests, [folder.parent], 1_000_000, ledger)
    assert changed.status == FetchStatus.FILE_ERROR and changed.reason.endswith("and that file has changed since")
    assert same.status == FetchStatus.OK


def test_move_mode_on_s3_keeps_the_source_when_the_uploaded_copy_does_not_read_back_the_same(
    tmp_path: Path, images: str
) -> None:
    source = tmp_path / "cat.jpg"
    source.write_bytes(image_bytes("jpg"))
    loaded = load_source(item("a", source))
    assert loaded is not None
    target = f"{images}/photo/cat.jpg"
    data = source.read_bytes()
    s3_filesystem().pipe_file(target, data[:-3] + b"\x00\x00\x00")  # the same size, not the source's bytes
    note = object_filing.release_source(s3_filesystem(), loaded, target)
    assert note == f"{SOURCE_KEPT}: the filed copy does not match it" and source.is_file()


def test_a_missing_bucket_is_an_error_row_per_image_in_one_line_without_the_secret(tmp_path: Path) -> None:
    results = file_images_to_store([item("a", image_bytes("png"), "graphic", "x", "png")], "s3://no-such-bucket/i")
    assert statuses(results) == ["error"]
    reason = results[0].reason
    assert "\n" not in reason and SECRET not in reason and "the bucket must exist" in reason


def test_a_fake_image_with_no_category_goes_to_failures_on_s3_under_its_original_name(images: str) -> None:
    results = file_images_to_store([item("a", FAKE_IMAGE_TEXT, None, None, None, "fetch ok", "note.png")], images)
    assert [(r.status, r.path) for r in results] == [("failed", "failures/note.png")]
    assert objects_under(images)["failures/note.png.reason.txt"] == b"fetch ok\n"
