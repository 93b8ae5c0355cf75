"""A small Drive v3 client on google-auth's AuthorizedSession: list, find, create folders, upload (multipart or
resumable) and replace files. Every request has a timeout; 403 rate limits, 429 and 5xx are retried with the shared
bounded backoff (content_pipeline/retry_policy.py)."""

from __future__ import annotations

import hashlib
import io
import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import requests
from google.auth.exceptions import RefreshError

from content_pipeline.drive.errors import DriveError, DriveFileTooLargeError, DriveUnavailableError
from content_pipeline.drive.settings import DriveSettings
from content_pipeline.retry_policy import RETRIED_HTTP_STATUSES, parse_retry_after

API = "https://www.googleapis.com/drive/v3"
UPLOAD = "https://www.googleapis.com/upload/drive/v3"
FOLDER_TYPE = "application/vnd.google-apps.folder"
FILE_FIELDS = "id,name,mimeType,trashed,webViewLink,size,md5Checksum"
DOWNLOAD_CHUNK_BYTES = 64 * 1024  # most bytes of a download read at once
PAGE_SIZE = 1000  # files a files.list page (Drive's most): 10 requests list a folder of 10,000 images
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})  # 403s that mean "slow down"


class DriveApiError(Exception):
    """One refused request: the HTTP status, Google's reason ("notFound", "rateLimitExceeded") and message."""

    def __init__(self, status: int, reason: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(status, reason, message)
        self.status, self.reason, self.message, self.retry_after = status, reason, message, retry_after

    def __str__(self) -> str:
        return f"HTTP {self.status} {self.reason}: {self.message[:300]}"

    @property
    def transient(self) -> bool:
        return self.status in RETRIED_HTTP_STATUSES or (self.status == 403 and self.reason in RATE_LIMIT_REASONS)


def is_transient(error: BaseException) -> bool:
    if isinstance(error, DriveApiError):
        return error.transient
    return isinstance(error, requests.Timeout | requests.ConnectionError)


def retry_after_of(error: BaseException) -> float | None:
    """The delay Drive asked for with a refusal, if any."""
    return error.retry_after if isinstance(error, DriveApiError) else None


def api_error(response: requests.Response) -> DriveApiError:
    reason, message = "", response.text[:300]
    try:
        body = response.json().get("error", {})
        message = str(body.get("message") or message)
        reasons = [e.get("reason") for e in body.get("errors", []) if isinstance(e, dict)]
        reason = str(reasons[0] if reasons else body.get("status") or "")
    except (ValueError, AttributeError):
        pass
    return DriveApiError(response.status_code, reason, message, parse_retry_after(response.headers.get("Retry-After")))


def quoted(text: str) -> str:
    """A string literal of Drive's query language."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def holds_file(found: Mapping[str, Any], path: Path, size: int) -> bool:
    """Whether Drive says the file `found` holds the bytes of `path` (its size, then its md5Checksum)."""
    if str(found.get("size")) != str(size):
        return False
    with path.open("rb") as handle:
        return found.get("md5Checksum") == hashlib.file_digest(handle, "md5").hexdigest()


def in_folder(folder: str) -> str:
    """The files.list query of what is in `folder`, untrashed."""
    return f"{quoted(folder)} in parents and trashed = false"


class DriveClient:
    """Drive v3 as one account sees it; `account` (its e-mail) goes into the messages that ask to share a folder."""

    def __init__(self, session: requests.Session, settings: DriveSettings, account: str) -> None:
        self.session, self.settings, self.account = session, settings, account
        self.sleep: Callable[[float], None] = time.sleep

    # --- requests ----------------------------------------------------------------------------------------------------

    def request(
        self, method: str, url: str, ok: tuple[int, ...] = (200,), attempts: int | None = None, **kwargs: Any
    ) -> requests.Response:
        """One API call, retried while Drive answers with a rate limit, 429 or 5xx (DriveUnavailableError after the
        last attempt, `attempts` or the policy's); other refusals raise DriveApiError."""
        policy = self.settings.retry_policy()
        if attempts is not None:
            policy = replace(policy, attempts=attempts)

        def attempt() -> requests.Response:
            try:
                response = self.session.request(method, url, timeout=self.settings.timeout_s, **kwargs)
            except RefreshError as exc:  # the token endpoint refused the key: waiting does not help
                raise DriveError(
                    f"Google refused a token for the service account {self.account} ({str(exc)[:200]}): check the key "
                    "in CONTENT_PIPELINE_SHEETS_CREDENTIALS_FILE or CONTENT_PIPELINE_SHEETS_CREDENTIALS_JSON"
                ) from None
            if response.status_code not in ok:
                raise api_error(response)
            return response

        def gave_up(error: BaseException, attempts: int, seconds: float) -> Exception:
            return DriveUnavailableError(
                f"Google Drive kept refusing {method} requests: gave up after {attempts} attempts in "
                f"{seconds:.0f} s (last answer: {error}). Rerun the partition later."
            )

        return policy.call(attempt, is_transient, gave_up, retry_after_of, self.sleep)

    # --- files -------------------------------------------------------------------------------------------------------

    def get(self, file_id: str, fields: str = FILE_FIELDS) -> dict[str, Any]:
        params = {"fields": fields, "supportsAllDrives": "true"}
        return dict(self.request("GET", f"{API}/files/{file_id}", params=params).json())

    def download(self, file_id: str, max_bytes: int | None = None) -> bytes:
        """The file's bytes (`alt=media`), streamed; DriveFileTooLargeError as soon as they pass `max_bytes`."""
        params = {"alt": "media", "supportsAllDrives": "true"}
        response = self.request("GET", f"{API}/files/{file_id}", params=params, stream=True)
        with response:
            data = bytearray()
            for chunk in response.iter_content(DOWNLOAD_CHUNK_BYTES):
                data += chunk
                if max_bytes is not None and len(data) > max_bytes:
                    raise DriveFileTooLargeError(len(data), max_bytes)
        return bytes(data)

    def list(self, query: str, fields: str = FILE_FIELDS) -> Iterator[dict[str, Any]]:
        """Every file matching `query` (with `fields` of each), page after page."""
        params = {
            "q": query,
            "fields": f"nextPageToken,files({fields})",
            "pageSize": str(PAGE_SIZE),
            "supportsAllDrives": "true",
            "includeItemsFromAllDrives": "true",
        }
        while True:
            page = self.request("GET", f"{API}/files", params=params).json()
            yield from page.get("files", [])
            token = page.get("nextPageToken")
            if not token:
                return
            params["pageToken"] = token

    def find_child(self, parent: str, name: str, folder: bool = False) -> dict[str, Any] | None:
        """The first untrashed file (or folder) named `name` in `parent`."""
        kind = f"mimeType = {quoted(FOLDER_TYPE)}" if folder else f"mimeType != {quoted(FOLDER_TYPE)}"
        query = f"{quoted(parent)} in parents and name = {quoted(name)} and {kind} and trashed = false"
        return next(iter(self.list(query)), None)

    def folder(self, folder_id: str) -> dict[str, Any]:
        """The folder's metadata; a DriveError in one line when it is missing, not shared, trashed or not a folder."""
        share = f"share it with {self.account} as Editor"
        try:
            found = self.get(folder_id)
        except DriveApiError as exc:
            if exc.status == 404:
                raise DriveError(
                    f"the Drive folder {folder_id} does not exist or is not shared with the service account: {share}"
                ) from None
            raise self.refused(folder_id, exc) from None
        if found.get("mimeType") != FOLDER_TYPE:
            raise DriveError(f"{folder_id} is a Drive file, not a folder: give a folder's id or link")
        if found.get("trashed"):
            raise DriveError(f"the Drive folder {folder_id} is in the trash: restore it, or give another folder")
        return found

    def refused(self, folder_id: str, error: DriveApiError) -> Exception:
        """The error to raise for a refusal inside a folder: a 403 asks for Editor access, in one line."""
        if error.status != 403:
            return error
        return DriveError(
            f"the service account may not write into the Drive folder {folder_id} ({error.reason or error.status}): "
            f"share it with {self.account} as Editor"
        )

    def ensure_folder(self, parent: str, name: str) -> dict[str, Any]:
        """The sub-folder `name` of `parent`, created when there is none."""
        found = self.find_child(parent, name, folder=True)
        if found is not None:
            return found
        body = {"name": name, "mimeType": FOLDER_TYPE, "parents": [parent]}
        params = {"fields": FILE_FIELDS, "supportsAllDrives": "true"}
        return dict(self.request("POST", f"{API}/files", params=params, json=body).json())

    def put_file(self, parent: str, name: str, path: Path, mime_type: str) -> dict[str, Any]:
        """Upload `path` as `name` into `parent`, replacing the content of the file of that name (never a copy); a
        file of that name that holds the same bytes already (Drive's size and md5Checksum) is left as it is."""
        existing = self.find_child(parent, name)
        size = path.stat().st_size
        if existing is not None and holds_file(existing, path, size):
            return existing
        if existing is None:
            method, url, metadata = "POST", f"{UPLOAD}/files", {"name": name, "parents": [parent]}
        else:
            method, url, metadata = "PATCH", f"{UPLOAD}/files/{existing['id']}", {"name": name}
        metadata["mimeType"] = mime_type
        if size > self.settings.resumable_above_bytes:
            return self._resumable(method, url, metadata, path, size, mime_type)
        return self._multipart(method, url, metadata, path.read_bytes(), mime_type)

    def _multipart(
        self, method: str, url: str, metadata: Mapping[str, Any], data: bytes, mime_type: str
    ) -> dict[str, Any]:
        boundary = "content_pipeline_" + uuid.uuid4().hex
        body = b"".join(
            [
                f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n".encode(),
                json.dumps(metadata).encode(),
                f"\r\n--{boundary}\r\nContent-Type: {mime_type}\r\n\r\n".encode(),
                data,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        params = {"uploadType": "multipart", "fields": FILE_FIELDS, "supportsAllDrives": "true"}
        headers = {"Content-Type": f"multipart/related; boundary={boundary}"}
        return dict(self.request(method, url, params=params, data=body, headers=headers).json())

    def _resumable(
        self, method: str, url: str, metadata: Mapping[str, Any], path: Path | bytes, size: int, mime_type: str
    ) -> dict[str, Any]:
        params = {"uploadType": "resumable", "fields": FILE_FIELDS, "supportsAllDrives": "true"}
        headers = {"X-Upload-Content-Type": mime_type, "X-Upload-Content-Length": str(size)}
        started = self.request(method, url, params=params, json=dict(metadata), headers=headers)
        session_url = started.headers.get("Location")
        if not session_url:
            raise DriveError("Google Drive did not return an upload session for a resumable upload")
        chunk, policy, failures = self.settings.chunk_bytes, self.settings.retry_policy(), 0
        with io.BytesIO(path) if isinstance(path, bytes) else path.open("rb") as handle:
            offset = 0
            while True:
                handle.seek(offset)
                data = handle.read(chunk)
                span = f"bytes {offset}-{offset + len(data) - 1}/{size}" if data else f"bytes */{size}"
                try:
                    response = self.request(
                        "PUT", session_url, (200, 201, 308), attempts=1, data=data, headers={"Content-Range": span}
                    )
                except DriveUnavailableError:
                    # The chunk may have arrived although its answer did not: ask Drive what it holds, go on from there.
                    failures += 1
                    if failures >= policy.attempts:
                        raise
                    self.sleep(policy.delay_s(failures))
                    status = {"Content-Range": f"bytes */{size}"}
                    response = self.request("PUT", session_url, (200, 201, 308), headers=status)
                if response.status_code in (200, 201):
                    return dict(response.json())
                received = response.headers.get("Range", "")  # "bytes=0-N": what Drive holds so far
                offset = int(received.rsplit("-", 1)[1]) + 1 if received else 0
                handle.seek(offset)

    # --- filing: create, copy, move; never replace a file that is there ------------------------------------------

    def create_file(self, parent: str, name: str, data: bytes, mime_type: str) -> dict[str, Any]:
        """A new file `name` in `parent` holding `data` (multipart up to the resumable threshold, resumable above);
        a file of the same name stays as it is. The answer holds Drive's `md5Checksum` and `size` of what arrived."""
        url, metadata = f"{UPLOAD}/files", {"name": name, "parents": [parent], "mimeType": mime_type}
        if len(data) > self.settings.resumable_above_bytes:
            return self._resumable("POST", url, metadata, data, len(data), mime_type)
        return self._multipart("POST", url, metadata, data, mime_type)

    def replace_content(self, file_id: str, data: bytes, mime_type: str) -> dict[str, Any]:
        """Replace the bytes of the file `file_id` (small files only: a reason text)."""
        return self._multipart("PATCH", f"{UPLOAD}/files/{file_id}", {"mimeType": mime_type}, data, mime_type)

    def copy(self, file_id: str, parent: str, name: str, fields: str = FILE_FIELDS) -> dict[str, Any]:
        """A server-side copy of `file_id` named `name` in `parent` (files.copy); the original stays."""
        params = {"fields": fields, "supportsAllDrives": "true"}
        body = {"name": name, "parents": [parent]}
        return dict(self.request("POST", f"{API}/files/{file_id}/copy", params=params, json=body).json())

    def move(
        self, file_id: str, parent: str, name: str, from_parents: Sequence[str], fields: str = FILE_FIELDS
    ) -> dict[str, Any]:
        """Move the file `file_id` into `parent` as `name`, out of `from_parents`; it keeps its id and bytes."""
        params = {"fields": fields, "supportsAllDrives": "true", "addParents": parent}
        leaving = [p for p in from_parents if p != parent]
        if leaving:
            params["removeParents"] = ",".join(leaving)
        return dict(self.request("PATCH", f"{API}/files/{file_id}", params=params, json={"name": name}).json())

    def trash(self, file_id: str) -> dict[str, Any]:
        """Put the file in Drive's trash (it can be restored from there for 30 days)."""
        params = {"fields": FILE_FIELDS, "supportsAllDrives": "true"}
        return dict(self.request("PATCH", f"{API}/files/{file_id}", params=params, json={"trashed": True}).json())
