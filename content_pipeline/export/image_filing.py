"""Organize images into `<output>/<category>/<name>.<ext>` without ever losing or duplicating a file.

Every copy is written to a hidden temporary name in its target folder, flushed, verified (size and SHA-256 against
the source), then linked to its final name, which never replaces an existing file. A name that already holds
identical bytes counts as filed, so a rerun adds nothing; different bytes under the name get `-2`, `-3`...
In move mode a source is deleted only after its filed copy is verified and the move is in the ledger
(moved_images.py): a crash at any point leaves the source, or the source and a complete copy that the next run
recognizes (and then deletes the source), and a rerun of the day finds a moved image where it was filed.
Items that failed earlier go to `failures/` with a `<name>.reason.txt` beside them.
"""

import errno
import hashlib
import os
import shutil
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from content_pipeline.export.safe_names import FAILURES_FOLDER, category_folder, safe_extension, safe_stem, split_name
from content_pipeline.export.writers import write_atomically
from content_pipeline.moved_images import MovedImage, MovedImages
from content_pipeline.status import FilingStatus

CHUNK_BYTES = 1 << 20
MAX_NUMBERED_NAMES = 1_000  # name.ext, name-2.ext ... name-1000.ext
STALE_TEMP_SECONDS = 3_600  # temporary files older than this in a touched folder are leftovers of a crash
TEMP_SUFFIX = ".tmp"
REASON_SUFFIX = ".reason.txt"
NO_CATEGORY = "no category: the image was not classified"
IDENTICAL = "an identical file is already there"
SOURCE_KEPT = "the source was kept"  # starts the note of a move whose source could not be deleted
LINK_UNSUPPORTED = frozenset({errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS})
Mode = Literal["copy", "move"]


@dataclass(frozen=True)
class ImageToFile:
    record_id: str
    category: str | None  # visual category; None if classification failed
    suggested_name: str | None  # e.g. from Gemini Vision; untrusted
    original_name: str  # the source file's name, or the URL path's last segment ("" if none)
    source_path: Path | None  # a file from an image folder (deleted after filing in move mode)
    body: bytes | None  # bytes fetched from a URL (used when source_path is None)
    extension: str | None  # from the real (sniffed) format: "jpg", "png", "webp", "gif"; None when unknown
    failure: str | None  # why this item failed earlier: it goes to failures/ with this reason
    ingest_row: Mapping[str, object] | None = None  # a file from an image folder or Drive: its ingest row (ledger)
    drive_file_id: str | None = None  # an image in Drive (ingested from a Drive folder, or moved there earlier)


@dataclass(frozen=True)
class FilingResult:
    record_id: str
    status: str  # a FilingStatus value
    path: str | None  # relative to the output root, POSIX separators
    reason: str
    sha256: str | None


class FilingError(Exception):
    """One item cannot be filed safely; the message says why."""


@dataclass(frozen=True)
class Source:
    """The bytes to file (a file on disk, or bytes in memory) with their size and SHA-256."""

    path: Path | None
    body: bytes | None
    size: int
    sha256: str


def file_images(
    items: Sequence[ImageToFile], root: Path, mode: Mode = "copy", ledger: MovedImages | None = None
) -> list[FilingResult]:
    """File every item under `root`; one result per item, in order (a failing item never stops the others).

    In move mode every move is written to `ledger` before its source is deleted."""
    base = root.resolve()
    swept: set[Path] = set()
    return [file_one(item, base, mode, swept, ledger) for item in items]


def file_one(item: ImageToFile, root: Path, mode: Mode, swept: set[Path], ledger: MovedImages | None) -> FilingResult:
    try:
        return file_or_raise(item, root, mode, swept, ledger)
    except (OSError, FilingError) as exc:
        return FilingResult(item.record_id, FilingStatus.ERROR.value, None, error_text(exc), None)


def file_or_raise(
    item: ImageToFile, root: Path, mode: Mode, swept: set[Path], ledger: MovedImages | None
) -> FilingResult:
    failed, failure = failure_of(item)
    source = load_source(item)
    if source is None:
        return nothing_to_file(item, failure)
    folder_name, stem, extension = destination(item, failed)
    folder = inside(root, root / folder_name)
    folder.mkdir(parents=True, exist_ok=True)
    folder = inside(root, folder)  # again: a link may have been planted meanwhile
    sweep_stale_temps(folder, swept)
    target, created = place(source, folder, stem, extension)
    if failed:
        write_reason(target.with_name(target.name + REASON_SUFFIX), failure)
    notes = [placing_note(failed, failure, created)]
    if mode == "move" and source.path is not None:
        if ledger is not None and item.ingest_row is not None:
            ledger.record(moved(item.ingest_row, target, source))
        notes.append(release_source(source, target))
    path = target.relative_to(root).as_posix()
    return FilingResult(item.record_id, status_of(failed, created), path, join_notes(notes), source.sha256)


def status_of(failed: bool, created: bool) -> str:
    """The FilingStatus of an item placed in the output: set aside, filed now, or found filed already."""
    status = FilingStatus.FAILED if failed else FilingStatus.FILED if created else FilingStatus.ALREADY_FILED
    return status.value


def placing_note(failed: bool, failure: str, created: bool) -> str:
    """The first note of a placed item's reason: why it failed, or that identical bytes were there already."""
    return failure if failed else "" if created else IDENTICAL


def join_notes(notes: list[str]) -> str:
    return "; ".join(note for note in notes if note)


def destination(item: ImageToFile, failed: bool) -> tuple[str, str, str]:
    """(folder, stem, extension) of an item, all made safe: failures keep their original name."""
    original_stem, original_extension = split_name(item.original_name)
    fallback = f"image-{item.record_id[:8]}"
    if failed:
        return (
            FAILURES_FOLDER,
            safe_stem(original_stem, fallback=fallback),
            safe_extension(original_extension, item.extension),
        )
    stem = safe_stem(item.suggested_name, original_stem, fallback=fallback)
    return category_folder(item.category), stem, safe_extension(item.extension, original_extension)


def moved(ingest_row: Mapping[str, object], target: Path | str, source: Source) -> MovedImage:
    """The ledger entry of an image about to leave its folder for `target` (keyed by its path, or by its URL for an
    image that has none: a Drive file)."""
    where = ingest_row.get("path") or ingest_row["url"]
    return MovedImage(
        str(where), str(ingest_row["added_on"]), dict(ingest_row), str(target), source.size, source.sha256
    )


def write_reason(path: Path, reason: str) -> None:
    """The sidecar text file of a failed item (replaced whole on a rerun)."""

    def write(temporary: Path) -> None:
        temporary.write_text(reason + "\n", encoding="utf-8")

    write_atomically(path, write)


def failure_of(item: ImageToFile) -> tuple[bool, str]:
    """Whether the item goes to failures/, and why."""
    failed = item.failure is not None or item.category is None
    return failed, (item.failure or NO_CATEGORY) if failed else ""


def nothing_to_file(item: ImageToFile, failure: str) -> FilingResult:
    """The result of an item with neither bytes nor a source file."""
    reason = "nothing to file: no bytes and no source file" + (f"; it had failed: {failure}" if failure else "")
    return FilingResult(item.record_id, FilingStatus.SKIPPED.value, None, reason, None)


def load_source(item: ImageToFile) -> Source | None:
    """The item's bytes with their hash: its source file, else its fetched body; None when it has neither."""
    if item.source_path is not None:
        path = item.source_path
        if not path.exists():
            raise FilingError(f"source file is gone: {path}")
        if not path.is_file():
            raise FilingError(f"source is not a regular file: {path}")
        size, sha256 = hash_file(path)
        return Source(path, None, size, sha256)
    if item.body is not None:
        return Source(None, item.body, len(item.body), hashlib.sha256(item.body).hexdigest())
    return None


def verified_bytes(source: Source) -> bytes:
    """The source's bytes, checked against the size and SHA-256 it was filed by."""
    if source.path is None:
        return source.body or b""
    body = source.path.read_bytes()
    if (len(body), hashlib.sha256(body).hexdigest()) != (source.size, source.sha256):
        raise FilingError(f"{source.path} changed while it was being filed")
    return body


def place(source: Source, folder: Path, stem: str, extension: str) -> tuple[Path, bool]:
    """(the file in `folder` holding the source's bytes, True if it was created now rather than found there)."""
    temporary: Path | None = None
    try:
        for number in range(1, MAX_NUMBERED_NAMES + 1):
            candidate = folder / (f"{stem}.{extension}" if number == 1 else f"{stem}-{number}.{extension}")
            if os.path.lexists(candidate):
                if holds(candidate, source):
                    return candidate, False
                continue
            if temporary is None:
                temporary = write_verified_copy(source, folder, f"{stem}.{extension}")
            if link_without_overwrite(temporary, candidate):
                sync_folder(folder)
                return candidate, True
            if holds(candidate, source):  # another writer filed the same bytes under this name meanwhile
                return candidate, False
        raise FilingError(f"{MAX_NUMBERED_NAMES} different files named {stem}-N.{extension} already in {folder}")
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def write_verified_copy(source: Source, folder: Path, name: str) -> Path:
    """A flushed temporary copy of the source in `folder`, read back and checked against the source's size and hash."""
    temporary = folder / f".{name}.{uuid.uuid4().hex}{TEMP_SUFFIX}"
    try:
        with temporary.open("xb") as out:
            if source.path is None:
                out.write(source.body or b"")
            else:
                with source.path.open("rb") as handle:
                    shutil.copyfileobj(handle, out, CHUNK_BYTES)
            out.flush()
            os.fsync(out.fileno())
        if hash_file(temporary) != (source.size, source.sha256):
            raise FilingError(f"the copy in {folder} does not match the source (changed while copying?)")
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def link_without_overwrite(temporary: Path, target: Path) -> bool:
    """Give the temporary file its final name; False (and nothing changed) when the name is taken."""
    try:
        os.link(temporary, target)  # fails when the target exists: never replaces another writer's file
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in LINK_UNSUPPORTED or os.path.lexists(target):
            raise
        os.rename(temporary, target)  # a file system without hard links: checked just before
    return True


def holds(path: Path, source: Source) -> bool:
    """True when `path` is a regular file (not a link) with exactly the source's bytes."""
    if path.is_symlink() or not path.is_file() or path.stat().st_size != source.size:
        return False
    return hash_file(path) == (source.size, source.sha256)


def release_source(source: Source, target: Path) -> str:
    """Delete a moved item's source once its filed copy is verified; a note when the source was kept."""
    assert source.path is not None
    try:
        if not holds(target, source):
            return f"{SOURCE_KEPT}: the filed copy does not match it"
        if os.path.samefile(source.path, target):
            return "the source is the filed file itself"
        remove_source(source.path)
    except OSError as exc:
        return f"{SOURCE_KEPT}: could not delete it ({error_text(exc)})"
    return "source deleted"


def remove_source(path: Path) -> None:
    """Delete a source whose copy is verified, and make the deletion durable."""
    path.unlink()
    sync_folder(path.parent)


def hash_file(path: Path) -> tuple[int, str]:
    """(size, SHA-256 hex) of a file, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def inside(root: Path, path: Path) -> Path:
    """`path` resolved; FilingError when it leads outside `root` (a link planted in the output folder)."""
    try:
        resolved = path.resolve()
    except RuntimeError as exc:  # a link loop
        raise FilingError(f"cannot resolve {path}: {exc}") from exc
    if not resolved.is_relative_to(root):
        raise FilingError(f"refusing to write outside the output folder: {path} leads to {resolved}")
    return resolved


def sync_folder(folder: Path) -> None:
    """Make a new or removed name in `folder` durable (best effort: not every system can sync a folder)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def sweep_stale_temps(folder: Path, swept: set[Path]) -> None:
    """Remove temporary files a crashed run left in `folder` (once per run; recent ones may be another writer's)."""
    if folder in swept:
        return
    swept.add(folder)
    cutoff = time.time() - STALE_TEMP_SECONDS
    try:
        with os.scandir(folder) as entries:
            stale = [
                Path(e.path) for e in entries if is_temporary(e) and e.stat(follow_symlinks=False).st_mtime < cutoff
            ]
        for path in stale:
            path.unlink(missing_ok=True)
    except OSError:
        pass  # a leftover that cannot be removed harms nothing: it is never counted as a filed image


def is_temporary(entry: os.DirEntry[str]) -> bool:
    """A hidden `.tmp` file: a copy being written, or left by a crash; never a filed image."""
    return entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX) and entry.is_file(follow_symlinks=False)


def error_text(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc)
