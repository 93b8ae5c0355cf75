from pathlib import Path

import pytest

from content_pipeline.fetch.local_files import LocalFileRequest, read_local_files
from content_pipeline.fetch.models import FetchResult
from content_pipeline.status import FetchStatus
from tests.core.image_samples import FAKE_IMAGE_TEXT, image_bytes, write_samples

MAX_BYTES = 1_000_000


def read_one(path: Path | str, roots: list[Path], max_bytes: int = MAX_BYTES) -> FetchResult:
    (result,) = read_local_files([LocalFileRequest("r1", str(path))], roots, max_bytes)
    return result


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_samples(tmp_path / "photos")
    return tmp_path / "photos"


def test_real_images_are_read_with_the_type_their_bytes_show(folder: Path) -> None:
    names = ["cat.jpg", "dog.jpeg", "leaf.png", "wave.webp", "spin.gif", "SHOUT.JPG", "broken.jpg"]
    requests = [LocalFileRequest(name, str(folder / name)) for name in names]
    results = read_local_files(requests, [folder], MAX_BYTES)
    assert [r.status for r in results] == [FetchStatus.OK] * len(names)
    types = {r.record_id: r.content_type for r in results}
    assert types == {
        "cat.jpg": "image/jpeg",
        "dog.jpeg": "image/jpeg",
        "leaf.png": "image/png",
        "wave.webp": "image/webp",
        "spin.gif": "image/gif",
        "SHOUT.JPG": "image/jpeg",
        "broken.jpg": "image/jpeg",  # its header is intact: classify finds out it is corrupt
    }
    cat = results[0]
    assert cat.body == (folder / "cat.jpg").read_bytes()
    assert cat.bytes == len(cat.body)
    assert cat.url == cat.final_url == (folder / "cat.jpg").as_uri()
    assert (cat.http_status, cat.declared_type, cat.attempts) == (None, "image/jpeg", 1)
    assert cat.fetched_at is not None and cat.fetched_at.tzinfo is not None
    assert cat.elapsed_ms >= 0


def test_text_saved_with_an_image_extension_is_unsupported_and_the_reason_names_what_it_is(folder: Path) -> None:
    result = read_one(folder / "fake.png", [folder])
    assert result.status == FetchStatus.UNSUPPORTED_FILE
    assert result.reason == "fake.png: the bytes are unknown, not an image"
    assert result.body is None and result.bytes == len(FAKE_IMAGE_TEXT)
    assert (result.declared_type, result.content_type) == ("image/png", None)
    (folder / "page.jpg").write_bytes(b"<!doctype html><html><body>hello</body></html>")
    page = read_one(folder / "page.jpg", [folder])
    assert (page.status, page.reason) == (
        FetchStatus.UNSUPPORTED_FILE,
        "page.jpg: the bytes are text/html, not an image",
    )
    (folder / "empty.gif").write_bytes(b"")
    assert read_one(folder / "empty.gif", [folder]).reason == "empty.gif: empty file"


def test_a_file_over_the_size_limit_is_too_large_and_not_read(folder: Path) -> None:
    size = (folder / "leaf.png").stat().st_size
    result = read_one(folder / "leaf.png", [folder], max_bytes=size - 1)
    assert result.status == FetchStatus.TOO_LARGE
    assert result.reason == f"leaf.png: {size} bytes, over the limit of {size - 1}"
    assert result.body is None
    assert read_one(folder / "leaf.png", [folder], max_bytes=size).status == FetchStatus.OK


def test_paths_outside_the_image_folders_are_refused_before_reading(tmp_path: Path, folder: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(image_bytes("png"))
    escaping = f"{folder}/../secret.png"
    for path in (escaping, str(secret), "photos/cat.jpg"):
        result = read_one(path, [folder])
        assert result.status == FetchStatus.FILE_ERROR, path
        assert result.reason.endswith("outside the configured image folders")
        assert result.body is None and result.attempts == 0
    assert read_one(secret, [folder, tmp_path]).status == FetchStatus.OK  # inside another configured folder


def test_a_link_inside_the_folder_that_leads_out_of_it_is_refused(tmp_path: Path, folder: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(image_bytes("png"))
    (folder / "innocent.png").symlink_to(secret)
    assert read_one(folder / "innocent.png", [folder]).status == FetchStatus.FILE_ERROR


def test_a_missing_file_or_a_folder_is_a_file_error_with_the_reason(folder: Path) -> None:
    missing = read_one(folder / "gone.jpg", [folder])
    assert (missing.status, missing.reason) == (FetchStatus.FILE_ERROR, "gone.jpg: No such file or directory")
    (folder / "album.jpg").mkdir()
    assert read_one(folder / "album.jpg", [folder]).reason == "album.jpg: not a regular file"
