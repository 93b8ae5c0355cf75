""" "Fetch" images from Google Drive folders through the Drive API: the same columns as an HTTP fetch, with the
failures of a file as values.

Per file: files.get first (size, md5Checksum, modifiedTime, mimeType, trashed); a file over the body cap is
`too_large` without a download; the bytes come with `alt=media`, streamed and cut at the cap, and must match Drive's
md5Checksum. What a download brought is kept in the HTTP cache (its validators table, keyed by the file's link, the
checksum as ETag and modifiedTime as Last-Modified): a rerun that finds the same checksum and modifiedTime takes
the bytes from there and downloads nothing (`cache` is `not_modified`). A file that is gone, trashed or no longer
shared is a `file_error` naming it; Drive still refusing after its retries is an `error` (a rerun tries again).
"""

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Self

import requests

from content_pipeline.drive.client import FOLDER_TYPE, DriveApiError, DriveClient
from content_pipeline.drive.errors import DriveFileTooLargeError, DriveUnavailableError
from content_pipeline.drive.settings import DEFAULT_CONCURRENCY
from content_pipeline.fetch.local_files import FileTooLargeError, describe_image
from content_pipeline.fetch.models import FetchResult
from content_pipeline.status import FetchStatus

FILE_FIELDS = "id,name,mimeType,trashed,size,md5Checksum,modifiedTime"
NOT_MODIFIED = "not_modified"  # FetchResult.cache: the bytes of an unchanged file came from the HTTP cache

Stored = Callable[[str], FetchResult | None]  # the cached result (with its body) of a link, if any


@dataclass(frozen=True)
class DriveFileRequest:
    record_id: str
    url: str  # the file's Drive link, as ingest kept it
    file_id: str


class DriveFiles:
    """The Drive side of a day's fetch: a client signed in on first use (never when a day has no Drive images),
    and one pool of `downloads` threads for all the chunks of the day, started on first use.

    The threads live as long as this object (until `close`), not one chunk: each thread that looks a file up in the
    HTTP cache keeps a SQLite connection of the cache's pool open, so a pool per chunk used up the cache's 15
    connections: the fourth chunk of 250 images waited 30 s for one, then failed the step."""

    def __init__(self, connect: Callable[[], DriveClient], downloads: int = DEFAULT_CONCURRENCY) -> None:
        self.connect = connect
        self.downloads = downloads
        self.lock = threading.Lock()
        self.signed_in: DriveClient | None = None
        self.pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def client(self) -> DriveClient:
        with self.lock:
            if self.signed_in is None:
                self.signed_in = self.connect()
            return self.signed_in

    def threads(self) -> ThreadPoolExecutor:
        with self.lock:
            if self.pool is None:
                self.pool = ThreadPoolExecutor(self.downloads, thread_name_prefix="drive-fetch")
            return self.pool

    def fetch(
        self,
        wanted: Sequence[DriveFileRequest],
        max_bytes: int,
        stored: Stored,
        done: Callable[[FetchResult], None] | None = None,
    ) -> list[FetchResult]:
        """One result per request, in order (blocking: run it in a thread); `done` gets each result as soon as it is
        there, in a download thread (to keep it in the cache at once: a killed run then loses no finished download)."""
        if not wanted:
            return []
        client = self.client()

        def one(request: DriveFileRequest) -> FetchResult:
            result = fetch_drive_file(client, request, max_bytes, stored)
            if done is not None:
                done(result)
            return result

        return list(self.threads().map(one, wanted))

    def close(self) -> None:
        """Stop the download threads (a later `fetch` starts new ones)."""
        with self.lock:
            pool, self.pool = self.pool, None
        if pool is not None:
            pool.shutdown()


def fetch_drive_file(client: DriveClient, request: DriveFileRequest, max_bytes: int, stored: Stored) -> FetchResult:
    """One Drive file: its metadata, then its bytes (from the cache when unchanged), checked and sniffed."""
    started = time.perf_counter()
    result = FetchResult(request.record_id, request.url, FetchStatus.OK, final_url=request.url)
    result.fetched_at = datetime.now(UTC)
    try:
        fill_result(client, request, max_bytes, stored, result)
    except DriveApiError as exc:  # refused for good: gone, not shared any more
        result.attempts += 1
        result.status, result.http_status, result.body = FetchStatus.FILE_ERROR, exc.status, None
        result.reason = refusal(request.file_id, exc, client.account)
    except DriveUnavailableError as exc:
        result.status, result.reason, result.body = FetchStatus.ERROR, str(exc), None
    except requests.RequestException as exc:  # the download broke off
        result.status, result.body = FetchStatus.CONNECTION_ERROR, None
        result.reason = f"the download of Drive file {request.file_id} broke off: {type(exc).__name__}"
    finally:
        result.elapsed_ms = (time.perf_counter() - started) * 1000
    return result


def fill_result(
    client: DriveClient, request: DriveFileRequest, max_bytes: int, stored: Stored, result: FetchResult
) -> None:
    meta = client.get(request.file_id, FILE_FIELDS)
    result.attempts, result.http_status = 1, 200
    name = str(meta.get("name") or request.file_id)
    mime, checksum = meta.get("mimeType"), meta.get("md5Checksum")
    result.declared_type = str(mime) if mime else None
    result.etag, result.last_modified = checksum, meta.get("modifiedTime")
    if meta.get("trashed"):
        result.status = FetchStatus.FILE_ERROR
        result.reason = f"{name}: the Drive file is in the trash; restore it and rerun the day"
        return
    if mime == FOLDER_TYPE or not checksum:  # a folder, or a Google Docs file: no bytes of its own
        result.status = FetchStatus.UNSUPPORTED_FILE
        result.reason = f"{name}: a Drive {mime} has no bytes to download, not an image"
        return
    size = int(meta.get("size") or 0)
    if size > max_bytes:
        result.status, result.bytes = FetchStatus.TOO_LARGE, size
        result.reason = f"{name}: {FileTooLargeError(size, max_bytes)}"
        return
    kept = stored(request.url)
    unchanged = kept is not None and (kept.etag, kept.last_modified) == (result.etag, result.last_modified)
    if kept is not None and kept.body is not None and unchanged:
        body, result.cache = kept.body, NOT_MODIFIED
    else:
        try:
            body = client.download(request.file_id, max_bytes)
        except DriveFileTooLargeError as exc:  # it grew after files.get
            result.status, result.bytes, result.reason = FetchStatus.TOO_LARGE, exc.size, f"{name}: {exc}"
            return
        finally:
            result.attempts += 1
    got = hashlib.md5(body).hexdigest()
    if got != checksum:
        result.status, result.bytes = FetchStatus.FILE_ERROR, len(body)
        result.reason = (
            f"{name}: the downloaded bytes do not match Drive's md5Checksum ({got}, Drive says {checksum}); "
            "rerun the day to download it again"
        )
        return
    describe_image(result, body, name)


def refusal(file_id: str, error: DriveApiError, account: str) -> str:
    if error.status == 404:
        return f"the Drive file {file_id} is gone or no longer shared with {account}"
    return f"Drive refused the file {file_id} ({error})"
