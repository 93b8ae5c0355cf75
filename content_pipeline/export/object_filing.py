"""File images into `s3://bucket/prefix/<category>/<name>.<ext>` with the promises of the local filing
(image_filing.py).

An object store has no temporary name to link, so each image is one PUT of its verified bytes, sent with their MD5
(the store refuses a body that arrived different) and with `If-None-Match: *`, so it never replaces an object that
is already there, another writer's included. A name that already holds identical bytes (the same size, and an ETag
that is the bytes' MD5, or else the same SHA-256 read back) counts as filed, so a rerun adds nothing; different
bytes under the name get `-2`, `-3`... In
move mode a source is deleted only after the uploaded object, read back, has the source's size and SHA-256 and
the move is in the ledger. Items that failed earlier go to `failures/` with a `<name>.reason.txt` object beside them.
"""

import base64
import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from content_pipeline.export.image_filing import (
    MAX_NUMBERED_NAMES,
    REASON_SUFFIX,
    SOURCE_KEPT,
    FilingError,
    FilingResult,
    ImageToFile,
    Mode,
    Source,
    destination,
    error_text,
    failure_of,
    join_notes,
    load_source,
    moved,
    nothing_to_file,
    placing_note,
    remove_source,
    status_of,
    verified_bytes,
)
from content_pipeline.moved_images import MovedImages
from content_pipeline.status import FilingStatus
from content_pipeline.warehouse.object_storage import s3_filesystem, writing

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem


def file_images_to_store(
    items: Sequence[ImageToFile], root: str, mode: Mode = "copy", ledger: MovedImages | None = None
) -> list[FilingResult]:
    """File every item under `root` (`s3://bucket/prefix`); one result per item, in order (a failing item never
    stops the others). In move mode every move is written to `ledger` before its source is deleted."""
    fs, base = s3_filesystem(), root.rstrip("/")
    return [file_one(fs, item, base, mode, ledger) for item in items]


def file_one(
    fs: "AbstractFileSystem", item: ImageToFile, root: str, mode: Mode, ledger: MovedImages | None
) -> FilingResult:
    try:
        return file_or_raise(fs, item, root, mode, ledger)
    except (OSError, FilingError) as exc:
        return FilingResult(item.record_id, FilingStatus.ERROR.value, None, error_text(exc), None)


def file_or_raise(
    fs: "AbstractFileSystem", item: ImageToFile, root: str, mode: Mode, ledger: MovedImages | None
) -> FilingResult:
    failed, failure = failure_of(item)
    source = load_source(item)
    if source is None:
        return nothing_to_file(item, failure)
    folder, stem, extension = destination(item, failed)
    target, created = place(fs, source, f"{root}/{folder}", stem, extension)
    if failed:
        with writing(target + REASON_SUFFIX):
            fs.pipe_file(target + REASON_SUFFIX, (failure + "\n").encode("utf-8"))  # replaced whole on a rerun
    notes = [placing_note(failed, failure, created)]
    if mode == "move" and source.path is not None:
        if ledger is not None and item.ingest_row is not None:
            ledger.record(moved(item.ingest_row, target, source))
        notes.append(release_source(fs, source, target))
    return FilingResult(
        item.record_id, status_of(failed, created), target[len(root) + 1 :], join_notes(notes), source.sha256
    )


def place(fs: "AbstractFileSystem", source: Source, folder: str, stem: str, extension: str) -> tuple[str, bool]:
    """(the object under `folder` holding the source's bytes, True if it was uploaded now rather than found there)."""
    body = verified_bytes(source)
    md5 = hashlib.md5(body).hexdigest()
    for number in range(1, MAX_NUMBERED_NAMES + 1):
        candidate = f"{folder}/{stem}.{extension}" if number == 1 else f"{folder}/{stem}-{number}.{extension}"
        info = object_info(fs, candidate)
        if info is not None:
            if same_object(fs, candidate, source, md5, info):
                return candidate, False
            continue
        if upload_new(fs, body, md5, candidate):
            return candidate, True
        if holds(fs, candidate, source):  # another writer filed the same bytes under this name meanwhile
            return candidate, False
    raise FilingError(f"{MAX_NUMBERED_NAMES} different files named {stem}-N.{extension} already in {folder}")


def object_info(fs: "AbstractFileSystem", target: str) -> dict[str, object] | None:
    """The object's size and ETag (one HEAD); None when there is no such object."""
    try:
        return dict(fs.info(target))
    except FileNotFoundError:
        return None


def same_object(fs: "AbstractFileSystem", target: str, source: Source, md5: str, info: dict[str, object]) -> bool:
    """Whether the object holds the source's bytes: its size, then its ETag when that is the body's MD5 (a single
    PUT without KMS encryption), else the SHA-256 of the object read back."""
    if int(str(info.get("size", -1))) != source.size:
        return False
    if str(info.get("ETag", "")).strip('"') == md5:
        return True
    return holds(fs, target, source)


def upload_new(fs: "AbstractFileSystem", body: bytes, md5: str, target: str) -> bool:
    """One PUT of `body` (whose MD5 is `md5`, in hex) to `target` that never replaces an object; False (nothing
    changed) when the name is taken."""
    digest = base64.b64encode(bytes.fromhex(md5)).decode("ascii")
    try:
        with writing(target):
            # One PUT whatever the size (chunksize past it): a multipart upload would not carry the MD5.
            fs.pipe_file(target, body, chunksize=len(body) + 1, mode="create", ContentMD5=digest)
    except FileExistsError:
        return False
    return True


def holds(fs: "AbstractFileSystem", target: str, source: Source) -> bool:
    """True when the object at `target`, read back, has exactly the source's size and SHA-256."""
    try:
        if int(fs.info(target).get("size", -1)) != source.size:
            return False
        body = bytes(fs.cat_file(target))
    except FileNotFoundError:
        return False
    return (len(body), hashlib.sha256(body).hexdigest()) == (source.size, source.sha256)


def release_source(fs: "AbstractFileSystem", source: Source, target: str) -> str:
    """Delete a moved item's source once its uploaded copy, read back, is verified; a note when the source was kept."""
    assert source.path is not None
    try:
        if not holds(fs, target, source):
            return f"{SOURCE_KEPT}: the filed copy does not match it"
        remove_source(source.path)
    except OSError as exc:
        return f"{SOURCE_KEPT}: could not delete it ({error_text(exc)})"
    return "source deleted"
