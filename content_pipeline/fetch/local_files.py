""" "Fetch" image files from disk: the same columns as an HTTP fetch, with the failures of a file as values.

A path is read only when it resolves inside one of the configured image folders (a tampered partition cannot make
the pipeline read other files), or, for an image that move mode took out of its folder, where the ledger of moved
images says it was filed (a file, or an object when the images output is on an object store): inside the images root
only, and only with the size and SHA-256 the ledger recorded.
As for HTTP, `body` is kept only on success: a failed file is filed later from its source path, never from these
bytes.
"""

import hashlib
import mimetypes
import os
import stat
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from content_pipeline.drive.errors import DriveFileTooLargeError
from content_pipeline.drive.links import file_link
from content_pipeline.fetch.content_facts import sniff_media_type
from content_pipeline.fetch.models import FetchResult
from content_pipeline.moved_images import MovedImage, MovedImages, ReadDrive
from content_pipeline.status import FetchStatus
from content_pipeline.warehouse.storage import Location

OUTSIDE_ROOTS = "outside the configured image folders"
READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


@dataclass(frozen=True)
class LocalFileRequest:
    record_id: str
    path: str  # absolute path of the file, as the ingest stage recorded it


def read_local_files(
    requests: Sequence[LocalFileRequest], roots: Sequence[Path], max_bytes: int, moved: MovedImages | None = None
) -> list[FetchResult]:
    """One fetch result per requested file, in order; nothing outside `roots` is opened (but moved images)."""
    resolved_roots = [root.resolve() for root in roots]
    gone = [request.path for request in requests if not os.path.lexists(request.path)]
    went_to = moved.find(gone) if moved is not None and gone else {}
    results = []
    for request in requests:
        went = went_to.get(request.path)
        if went is not None and moved is not None:
            results.append(read_moved_file(request, went, moved.images_root, max_bytes, moved.read_drive))
        else:
            results.append(read_local_file(request, resolved_roots, max_bytes))
    return results


def read_moved_file(
    request: LocalFileRequest,
    went: MovedImage,
    images_root: Location,
    max_bytes: int,
    read_drive: ReadDrive | None = None,
) -> FetchResult:
    """An image move mode took out of its folder, read where it was filed and checked against the ledger."""
    name = Path(request.path).name
    filed = LocalFileRequest(request.record_id, went.filed)
    drive_id = went.drive_file_id()
    if drive_id is not None:
        result = read_drive_copy(filed, drive_id, read_drive, max_bytes, name)
    elif isinstance(images_root, Path):
        result = read_local_file(filed, [images_root.resolve()], max_bytes, shown_name=name)
    else:
        result = read_filed_object(filed, images_root, max_bytes, name)
    result.url = file_uri(Path(request.path))
    where = f"{name}: moved to {went.filed} by an earlier run"
    if result.status == FetchStatus.FILE_ERROR:  # gone, unreadable, or not where filed images are
        result.reason = f"{where}; there, {result.reason.removeprefix(f'{name}: ')}"
    elif result.body is not None and (len(result.body), sha256_hex(result.body)) != (went.size, went.sha256):
        fail_file(result, f"{where}, and that file has changed since")
    return result


def read_filed_object(filed: LocalFileRequest, images_root: str, max_bytes: int, name: str) -> FetchResult:
    """A filed copy on an object store (only under `images_root`), read through a local download with the checks of
    a local file."""
    if not filed.path.startswith(images_root.rstrip("/") + "/"):
        refused = FetchResult(filed.record_id, filed.path, FetchStatus.FILE_ERROR, fetched_at=datetime.now(UTC))
        refused.reason = f"{name}: outside the images output"
        return refused
    from content_pipeline.warehouse.object_storage import s3_filesystem

    fs = s3_filesystem()
    with tempfile.TemporaryDirectory(prefix="moved-image-") as folder:
        local = Path(folder) / "image"
        try:
            size = int(fs.info(filed.path).get("size", 0))
            if size <= max_bytes:
                fs.get_file(filed.path, str(local))
        except OSError as exc:
            gone = FetchResult(filed.record_id, filed.path, FetchStatus.FILE_ERROR, fetched_at=datetime.now(UTC))
            gone.reason = f"{name}: {exc.strerror or exc}"
            return gone
        if size > max_bytes:
            large = FetchResult(filed.record_id, filed.path, FetchStatus.TOO_LARGE, fetched_at=datetime.now(UTC))
            large.reason, large.bytes = f"{name}: {FileTooLargeError(size, max_bytes)}", size
            return large
        result = read_local_file(LocalFileRequest(filed.record_id, str(local)), [Path(folder)], max_bytes, name)
    result.final_url = filed.path
    return result


def read_drive_copy(
    filed: LocalFileRequest, file_id: str, read_drive: ReadDrive | None, max_bytes: int, name: str
) -> FetchResult:
    """A copy filed into Google Drive, downloaded by its id, with the checks of a local file."""
    failed = FetchResult(filed.record_id, filed.path, FetchStatus.FILE_ERROR, fetched_at=datetime.now(UTC))
    if read_drive is None:
        failed.reason = f"{name}: this run does not read Google Drive (CONTENT_PIPELINE_DRIVE_IMAGES_MODE is off)"
        return failed
    try:
        body = read_drive(file_id, max_bytes)
    except OSError as exc:
        failed.reason = f"{name}: {exc.strerror or exc}"
        return failed
    except DriveFileTooLargeError as exc:
        large = FetchResult(filed.record_id, filed.path, FetchStatus.TOO_LARGE, fetched_at=datetime.now(UTC))
        large.reason, large.bytes = f"{name}: {exc}", exc.size
        return large
    result = FetchResult(filed.record_id, filed.path, FetchStatus.OK, fetched_at=datetime.now(UTC))
    result.declared_type, result.final_url, result.attempts = mimetypes.guess_type(name)[0], file_link(file_id), 1
    describe_image(result, body, name)
    return result


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fail_file(result: FetchResult, reason: str) -> None:
    result.status, result.reason, result.body = FetchStatus.FILE_ERROR, reason, None


def read_local_file(
    request: LocalFileRequest, roots: Sequence[Path], max_bytes: int, shown_name: str | None = None
) -> FetchResult:
    """Read one file (at most `max_bytes`) and check that its bytes are an image; reasons name it `shown_name`."""
    started = time.perf_counter()
    requested = Path(request.path)
    result = FetchResult(request.record_id, file_uri(requested), FetchStatus.OK, fetched_at=datetime.now(UTC))
    name = shown_name or requested.name or request.path
    result.declared_type = mimetypes.guess_type(name)[0]
    try:
        resolved = requested.resolve()
    except (OSError, RuntimeError) as exc:  # a link loop
        result.status, result.reason = FetchStatus.FILE_ERROR, f"{name}: cannot resolve the path ({exc})"
        return result
    if not requested.is_absolute() or not any(resolved.is_relative_to(root) for root in roots):
        result.status, result.reason = FetchStatus.FILE_ERROR, f"{name}: {OUTSIDE_ROOTS}"
        return result
    result.final_url, result.attempts = resolved.as_uri(), 1
    try:
        body = read_bounded(resolved, max_bytes)
    except FileTooLargeError as exc:
        result.status, result.reason, result.bytes = FetchStatus.TOO_LARGE, f"{name}: {exc}", exc.size
        return result
    except OSError as exc:
        result.status, result.reason = FetchStatus.FILE_ERROR, f"{name}: {exc.strerror or exc}"
        return result
    finally:
        result.elapsed_ms = (time.perf_counter() - started) * 1000
    describe_image(result, body, name)
    return result


def describe_image(result: FetchResult, body: bytes, name: str) -> None:
    """Keep the bytes on `result` when they are an image; else it is `unsupported_file`, saying what they are."""
    result.bytes = len(body)
    sniffed = sniff_media_type(body)
    result.content_type = sniffed  # never the extension's (or Drive's) guess: an image is what its bytes show
    if sniffed is None or not sniffed.startswith("image/"):
        result.status = FetchStatus.UNSUPPORTED_FILE
        result.reason = f"{name}: the bytes are {sniffed or 'unknown'}, not an image" if body else f"{name}: empty file"
        return
    result.body = body


class FileTooLargeError(Exception):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes, over the limit of {limit}")
        self.size = size


def read_bounded(path: Path, max_bytes: int) -> bytes:
    """The file's bytes; FileTooLargeError when it has more than `max_bytes` (checked before and while reading)."""
    descriptor = os.open(path, READ_FLAGS)
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):  # a folder, a pipe or a device with an image's name
            raise OSError(0, "not a regular file")
        if info.st_size > max_bytes:
            raise FileTooLargeError(info.st_size, max_bytes)
        handle = os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise
    with handle:
        body = handle.read(max_bytes + 1)
    if len(body) > max_bytes:  # it grew after the size check
        raise FileTooLargeError(len(body), max_bytes)
    return body


def file_uri(path: Path) -> str:
    """The file:// URI of an absolute path (the raw text for a relative one, which is refused anyway)."""
    return path.as_uri() if path.is_absolute() else str(path)
