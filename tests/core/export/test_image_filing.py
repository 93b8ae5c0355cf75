import hashlib
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from content_pipeline.export import image_filing
from content_pipeline.export.image_filing import FilingResult, ImageToFile, file_images
from content_pipeline.export.safe_names import MAX_STEM_CHARS, WINDOWS_DEVICE_NAMES
from tests.core.image_samples import FAKE_IMAGE_TEXT, image_bytes, write_samples

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SAFE_STEM = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def item(
    record_id: str,
    source: Path | bytes | None,
    category: str | None = "photo",
    suggested: str | None = None,
    extension: str | None = "jpg",
    failure: str | None = None,
    original: str | None = None,
) -> ImageToFile:
    path = source if isinstance(source, Path) else None
    body = source if isinstance(source, bytes) else None
    name = original if original is not None else (path.name if path else "download.jpg")
    return ImageToFile(record_id, category, suggested, name, path, body, extension, failure)


def files_under(root: Path) -> list[str]:
    """Every file below `root`, hidden ones included, as sorted POSIX paths."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def statuses(results: list[FilingResult]) -> list[str]:
    return [r.status for r in results]


def test_copy_mode_files_images_into_category_folders_under_their_suggested_name(tmp_path: Path) -> None:
    samples = write_samples(tmp_path / "in")
    items = [
        item("a", samples["cat.jpg"], "photo", "Sunset at the Beach", "jpg"),
        item("b", samples["leaf.png"], "graphic", None, "png"),
        item("c", samples["wave.webp"], "screenshot", "wave.png", "webp"),  # the real format's extension wins
        item("d", samples["SHOUT.JPG"], "icon", "shout", "jpg"),
        item("e", image_bytes("gif"), "graphic", "from the web", "gif"),
    ]
    out = tmp_path / "out"
    results = file_images(items, out)
    assert statuses(results) == ["filed"] * 5
    assert [r.path for r in results] == [
        "photo/sunset-at-the-beach.jpg",
        "graphic/leaf.png",
        "screenshot/wave-png.webp",
        "icon/shout.jpg",
        "graphic/from-the-web.gif",
    ]
    assert files_under(out) == sorted(r.path for r in results if r.path)
    assert (out / "photo/sunset-at-the-beach.jpg").read_bytes() == samples["cat.jpg"].read_bytes()
    assert results[0].sha256 == sha(samples["cat.jpg"])
    assert all(path.exists() for path in samples.values())  # copy mode keeps every source


HOSTILE = [
    "../../x",
    "con",
    "CON",
    "lpt1",
    "a" * 500,
    "🐱🐶",
    "🐱 cat 🐶",
    "bad\x00name\x1f\n",
    "..\\..\\windows\\evil",
]


@pytest.mark.parametrize("suggested", HOSTILE)
def test_a_hostile_suggested_name_lands_inside_the_output_with_a_safe_bounded_name(
    tmp_path: Path, suggested: str
) -> None:
    out = tmp_path / "out"
    (result,) = file_images([item("r1", image_bytes("jpg"), "photo", suggested, original="holiday.jpg")], out)
    assert result.status == "filed" and result.path is not None
    folder, name = result.path.split("/")
    assert folder == "photo" and name.endswith(".jpg")
    stem = name.removesuffix(".jpg")
    assert SAFE_STEM.match(stem) and len(stem) <= MAX_STEM_CHARS and stem not in WINDOWS_DEVICE_NAMES
    assert (out / result.path).resolve().is_relative_to(out.resolve())
    assert files_under(tmp_path) == [f"out/{result.path}"]


def test_hostile_names_become_what_a_user_would_expect(tmp_path: Path) -> None:
    names = {"../../x": "x", "con": "con-file", "a" * 500: "a" * 80, "🐱🐶": "holiday", "Café 🐱 noir": "cafe-noir"}
    results = file_images(
        [item(str(i), image_bytes("jpg", (i, 0, 0)), "photo", s, original="holiday.jpg") for i, s in enumerate(names)],
        tmp_path,
    )
    assert [r.path for r in results] == [f"photo/{stem}.jpg" for stem in names.values()]


def test_a_hostile_category_or_original_name_cannot_leave_the_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    items = [
        item("a", image_bytes("png"), "../../etc", None, "png", original="../../passwd"),
        item("b", image_bytes("gif"), "", "", None, original="..\\..\\boot.ini"),
        item("c", image_bytes("jpg"), "failures", "", "jpg", original=""),
        item("d", image_bytes("webp"), "photo", None, None, failure="bad", original="../../../x.p/n\x00g"),
    ]
    results = file_images(items, out)
    assert [r.path for r in results] == [
        "etc/passwd.png",
        "other/boot.ini",  # the format is unknown: the original extension, made safe
        "failures-category/image-c.jpg",  # a category never shares the failures folder
        "failures/n-g.bin",
    ]
    assert all(p.startswith("out/") for p in files_under(tmp_path))


def test_different_images_under_one_name_get_numbered_and_a_rerun_adds_nothing(tmp_path: Path) -> None:
    items = [item(str(i), image_bytes("jpg", (60 * i, 10, 10)), "photo", "Dog") for i in range(3)]
    first = file_images(items, tmp_path)
    assert [r.path for r in first] == ["photo/dog.jpg", "photo/dog-2.jpg", "photo/dog-3.jpg"]
    before = files_under(tmp_path)
    again = file_images(items, tmp_path)
    assert statuses(again) == ["already_filed"] * 3
    assert [r.path for r in again] == [r.path for r in first]
    assert files_under(tmp_path) == before


def test_the_same_folder_filed_twice_creates_no_new_files(tmp_path: Path) -> None:
    samples = write_samples(tmp_path / "in")
    items = [item(n, p, "photo", "same name", n.rsplit(".")[-1].lower()) for n, p in samples.items()]
    out = tmp_path / "out"
    assert set(statuses(file_images(items, out))) == {"filed"}
    before = {p: sha(out / p) for p in files_under(out)}
    assert statuses(file_images(items, out)) == ["already_filed"] * len(items)
    assert {p: sha(out / p) for p in files_under(out)} == before


def test_failed_items_go_to_failures_with_their_reason_beside_them(tmp_path: Path) -> None:
    samples = write_samples(tmp_path / "in")
    out = tmp_path / "out"
    items = [
        item("a", samples["broken.jpg"], None, "nice", None, failure="cannot identify image file"),
        item("b", samples["fake.png"], "photo", None, None, failure="fake.png: the bytes are unknown, not an image"),
        item("c", samples["cat.jpg"], None, "cat"),  # no category: classification failed without a reason
        item("d", None, None, None, None, failure="HTTP 404 Not Found", original="missing.jpg"),
    ]
    results = file_images(items, out)
    assert statuses(results) == ["failed", "failed", "failed", "skipped"]
    assert [r.path for r in results] == ["failures/broken.jpg", "failures/fake.png", "failures/cat.jpg", None]
    assert (out / "failures/fake.png").read_bytes() == FAKE_IMAGE_TEXT
    assert (out / "failures/broken.jpg.reason.txt").read_text() == "cannot identify image file\n"
    assert (out / "failures/cat.jpg.reason.txt").read_text().startswith("no category")
    assert results[0].reason == "cannot identify image file"
    assert "HTTP 404 Not Found" in results[3].reason and "nothing to file" in results[3].reason
    before = files_under(out)
    items[0] = item("a", samples["broken.jpg"], None, None, None, failure="truncated JPEG")
    assert statuses(file_images(items, out)) == ["failed", "failed", "failed", "skipped"]
    assert files_under(out) == before
    assert (out / "failures/broken.jpg.reason.txt").read_text() == "truncated JPEG\n"


def test_move_mode_deletes_each_source_only_once_its_copy_is_in_place(tmp_path: Path) -> None:
    samples = write_samples(tmp_path / "in")
    originals = {name: path.read_bytes() for name, path in samples.items()}
    out = tmp_path / "out"
    items = [
        item("a", samples["cat.jpg"], "photo", "cat"),
        item("b", samples["fake.png"], None, None, None, failure="not an image"),
    ]
    results = file_images(items, out, mode="move")
    assert statuses(results) == ["filed", "failed"]
    assert results[0].reason == "source deleted" and results[1].reason == "not an image; source deleted"
    assert not samples["cat.jpg"].exists() and not samples["fake.png"].exists()
    assert (out / "photo/cat.jpg").read_bytes() == originals["cat.jpg"]
    assert (out / "failures/fake.png").read_bytes() == originals["fake.png"]
    assert samples["leaf.png"].exists()  # not asked for


def test_move_mode_keeps_the_source_when_it_cannot_be_deleted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "in.jpg"
    source.write_bytes(image_bytes("jpg"))

    def refuse(path: Path) -> None:  # the OS refusing, as on a read-only share (tests run as root: chmod is no help)
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(image_filing, "remove_source", refuse)
    (result,) = file_images([item("a", source, "photo", "x")], tmp_path / "out", mode="move")
    assert result.status == "filed"
    assert result.reason.startswith("the source was kept: could not delete it (Permission denied")
    assert source.exists() and (tmp_path / "out/photo/x.jpg").read_bytes() == source.read_bytes()


CRASHING_MOVE = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from content_pipeline.export import image_filing

    image_filing.remove_source = lambda path: os._exit(137)  # the process dies between the copy and the delete
    item = image_filing.ImageToFile("r1", "photo", "sunset", "cat.jpg", Path(sys.argv[1]), None, "jpg", None)
    image_filing.file_images([item], Path(sys.argv[2]), mode="move")
    """
)


def test_a_crash_between_copy_and_delete_loses_nothing_and_a_rerun_finishes_the_move(tmp_path: Path) -> None:
    source = tmp_path / "in" / "cat.jpg"
    source.parent.mkdir()
    source.write_bytes(image_bytes("jpg", size=(300, 200)))
    original = source.read_bytes()
    out = tmp_path / "out"
    crashed = subprocess.run(
        [sys.executable, "-c", CRASHING_MOVE, str(source), str(out)], cwd=PROJECT_ROOT, capture_output=True, check=False
    )
    assert crashed.returncode == 137, crashed.stderr.decode()
    assert source.read_bytes() == original
    assert files_under(out) == ["photo/sunset.jpg"]  # complete, no temporary file left behind
    assert (out / "photo/sunset.jpg").read_bytes() == original
    (result,) = file_images([item("r1", source, "photo", "sunset", original="cat.jpg")], out, mode="move")
    assert (result.status, result.path) == ("already_filed", "photo/sunset.jpg")
    assert not source.exists()
    assert files_under(out) == ["photo/sunset.jpg"]
    assert (out / "photo/sunset.jpg").read_bytes() == original


def test_a_leftover_temporary_file_is_never_a_filed_image_and_old_ones_are_cleaned(tmp_path: Path) -> None:
    folder = tmp_path / "photo"
    folder.mkdir()
    stale, fresh = folder / ".cat.jpg.0123.tmp", folder / ".dog.jpg.4567.tmp"
    stale.write_bytes(image_bytes("jpg")[:20])
    fresh.write_bytes(image_bytes("jpg")[:20])
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    (result,) = file_images([item("a", image_bytes("jpg"), "photo", "cat")], tmp_path)
    assert (result.status, result.path) == ("filed", "photo/cat.jpg")
    assert not stale.exists() and fresh.exists()  # a recent one may belong to another writer


def test_a_source_gone_before_filing_is_an_error_for_that_item_only(tmp_path: Path) -> None:
    results = file_images([item("a", tmp_path / "gone.jpg"), item("b", image_bytes("png"), extension="png")], tmp_path)
    assert statuses(results) == ["error", "filed"]
    assert results[0].reason == f"source file is gone: {tmp_path / 'gone.jpg'}"


def test_an_output_folder_that_cannot_be_written_gives_an_error_per_item_not_an_exception(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the output folder should be")
    results = file_images([item("a", image_bytes("jpg")), item("b", image_bytes("png"))], blocker / "out")
    assert statuses(results) == ["error", "error"]
    assert all(r.path is None and "Not a directory" in r.reason for r in results)


def test_a_category_folder_linked_out_of_the_output_is_refused(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "photo").symlink_to(elsewhere, target_is_directory=True)
    (result,) = file_images([item("a", image_bytes("jpg"), "photo", "x")], out)
    assert result.status == "error" and "outside the output folder" in result.reason
    assert list(elsewhere.iterdir()) == []
