"""Move mode keeps a ledger of what it moved, so a rerun of the day finds every image where it was filed."""

from datetime import date
from pathlib import Path

import pytest

from content_pipeline.export import image_filing
from content_pipeline.export.image_filing import ImageToFile, file_images
from content_pipeline.fetch.local_files import LocalFileRequest, read_local_files
from content_pipeline.fetch.models import FetchResult
from content_pipeline.ingest.image_folder import image_folder_rows
from content_pipeline.moved_images import MovedImage, MovedImages
from content_pipeline.status import FetchStatus
from tests.core.image_samples import image_bytes

DAY = date(2026, 11, 24)
MAX_BYTES = 1_000_000


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    day_folder = tmp_path / "images" / DAY.isoformat()
    day_folder.mkdir(parents=True)
    (day_folder / "cat.jpg").write_bytes(image_bytes("jpg"))
    (day_folder / "leaf.png").write_bytes(image_bytes("png", (20, 160, 40)))
    return tmp_path / "images"


@pytest.fixture
def ledger(tmp_path: Path) -> MovedImages:
    return MovedImages(tmp_path / "cache" / "moved-images.sqlite", tmp_path / "filed")


def move_all(rows: list[dict[str, object]], ledger: MovedImages) -> list[str]:
    """File every ingested image in move mode, as export does; returns where each went."""
    items = [
        ImageToFile(
            str(row["record_id"]),
            "photo",
            None,
            Path(str(row["path"])).name,
            Path(str(row["path"])),
            None,
            None,
            None,
            {**row, "added_on": str(row["added_on"])},
        )
        for row in rows
    ]
    results = file_images(items, Path(ledger.images_root), "move", ledger)
    assert [r.status for r in results] == ["filed"] * len(rows)
    return [str(r.path) for r in results]


def fetch(rows: list[dict[str, object]], folder: Path, ledger: MovedImages) -> list[FetchResult]:
    requests = [LocalFileRequest(str(row["record_id"]), str(row["path"])) for row in rows]
    return read_local_files(requests, [folder], MAX_BYTES, ledger)


def test_a_moved_image_keeps_its_ingest_row_and_is_read_where_it_was_filed(folder: Path, ledger: MovedImages) -> None:
    first = image_folder_rows([folder], DAY, ledger)
    originals = {str(row["record_id"]): Path(str(row["path"])).read_bytes() for row in first}
    move_all(first, ledger)
    assert list((folder / DAY.isoformat()).iterdir()) == []  # the folder is empty now
    again = image_folder_rows([folder], DAY, ledger)
    assert again == first
    fetched = fetch(again, folder, ledger)
    assert [(r.status, r.body) for r in fetched] == [(FetchStatus.OK, originals[r.record_id]) for r in fetched]
    assert [r.url for r in fetched] == [Path(str(row["path"])).as_uri() for row in first]  # still the original


def test_a_filed_copy_that_changed_or_went_away_is_a_file_error_that_says_so(folder: Path, ledger: MovedImages) -> None:
    rows = image_folder_rows([folder], DAY, ledger)
    cat, leaf = (Path(ledger.images_root) / path for path in move_all(rows, ledger))
    cat.write_bytes(image_bytes("jpg", (1, 2, 3)))
    leaf.unlink()
    changed, gone = fetch(image_folder_rows([folder], DAY, ledger), folder, ledger)
    assert changed.status == gone.status == FetchStatus.FILE_ERROR
    assert changed.reason == f"cat.jpg: moved to {cat} by an earlier run, and that file has changed since"
    assert gone.reason.startswith(f"leaf.png: moved to {leaf} by an earlier run; there, ")


def test_a_ledger_entry_outside_the_images_root_is_never_read(
    folder: Path, ledger: MovedImages, tmp_path: Path
) -> None:
    secret = tmp_path / "elsewhere" / "secret.png"
    secret.parent.mkdir()
    secret.write_bytes(image_bytes("png"))
    [row] = [r for r in image_folder_rows([folder], DAY, ledger) if str(r["path"]).endswith("leaf.png")]
    Path(str(row["path"])).unlink()
    ledger.record(MovedImage(str(row["path"]), DAY.isoformat(), {**row, "added_on": str(DAY)}, str(secret), 1, "x"))
    [result] = fetch([row], folder, ledger)
    assert result.status == FetchStatus.FILE_ERROR and result.body is None


def test_the_move_is_in_the_ledger_before_the_source_is_deleted(
    folder: Path, ledger: MovedImages, monkeypatch: pytest.MonkeyPatch
) -> None:
    def killed(path: Path) -> None:
        raise KeyboardInterrupt("killed just before the delete")

    monkeypatch.setattr(image_filing, "remove_source", killed)
    [row] = [r for r in image_folder_rows([folder], DAY, ledger) if str(r["path"]).endswith("cat.jpg")]
    with pytest.raises(KeyboardInterrupt):
        move_all([row], ledger)
    went = ledger.find([str(row["path"])]).get(str(row["path"]))
    assert went is not None and went.filed_copy() is not None and went.ingest_row["record_id"] == row["record_id"]
