"""A local Google Drive (API v3) on 127.0.0.1, behind the OAuth2 token endpoint of the fake Sheets server (it is a
FakeSheetsServer: `/token`, service accounts, scopes and tokens work as there, `service_account_info(server)` too).

Endpoints (paths as Google's clients send them): `GET /drive/v3/files` (files.list: `q` with `'<id>' in parents`,
`name = '...'`, `mimeType = '...'`, `mimeType != '...'`, `trashed = false|true` joined by `and`; `pageSize` capped at
`max_page_size`, `pageToken`/`nextPageToken`), `GET /drive/v3/files/{id}` (metadata, or the bytes with `alt=media`),
`POST /drive/v3/files` (create from metadata: folders), `POST /upload/drive/v3/files` and
`PATCH /upload/drive/v3/files/{id}` with `uploadType=multipart` or `resumable` (a session URL in `Location`, then
`PUT` of the body in `Content-Range` chunks: 308 with `Range` until the last byte, then 200 with the file).

Only folders added with `shared=True`, and what is inside them, are visible to the account: anything else answers 404
`notFound`, as Drive does for a folder not shared with a service account. Trashed files are listed only by
`trashed = true`. `fail_drive_next(count, status, reason)` answers the next Drive calls with an error (default 403
`rateLimitExceeded`); `lost_chunk_answers = n` stores the next n upload chunks and answers them 503, so a client that
sends a chunk again instead of asking what Drive holds (`Content-Range: bytes */total`) gets 400. Every Drive
request is recorded in `server.drive_requests`.

For the image source: `add_image` (with `createdTime`), `set_times` and `change_data` (a new `modifiedTime`),
`add_shortcut` (`application/vnd.google-apps.shortcut` with `shortcutDetails.targetId/targetMimeType`), and
`corrupt_media` (ids whose downloads arrive with one byte changed, so their md5Checksum does not match). As Drive
does, `createdTime`, `modifiedTime` and `shortcutDetails` are returned only when `fields` asks for them.

Filing (moving and copying files): `PATCH /drive/v3/files/{id}` (files.update of metadata: `name`, `trashed` in the
body, `addParents`/`removeParents` as comma-separated query parameters; the file keeps its id and bytes),
`POST /drive/v3/files/{id}/copy` (a new file with the same bytes, `name` and `parents` from the body),
`DELETE /drive/v3/files/{id}` (204), and `uploadType=media` (the body is the bytes) on the upload endpoints.
`corrupt_uploads = n` stores the next n uploaded bodies with their last byte changed, as a transfer that went wrong
would, so a client that checks `md5Checksum` sees the difference.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import secrets
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.fakes.sheets_server import ApiError, FakeSheetsServer, Kind, Reply, SeenRequest

FOLDER_TYPE = "application/vnd.google-apps.folder"
SHORTCUT_TYPE = "application/vnd.google-apps.shortcut"
_STRING = r"'(?:[^'\\]|\\.)*'"
_CLAUSES = [
    (re.compile(rf"^({_STRING})\s+in\s+parents$"), "parent"),
    (re.compile(rf"^name\s*=\s*({_STRING})$"), "name"),
    (re.compile(rf"^mimeType\s*=\s*({_STRING})$"), "mime"),
    (re.compile(rf"^mimeType\s*!=\s*({_STRING})$"), "not_mime"),
    (re.compile(r"^trashed\s*=\s*(true|false)$"), "trashed"),
]


@dataclass
class DriveFile:
    id: str
    name: str
    mime_type: str
    parents: list[str]
    data: bytes = b""
    trashed: bool = False
    shared: bool = False  # shared with the account directly (a root it can see)

    def resource(self) -> dict[str, Any]:
        link = (
            f"https://drive.google.com/drive/folders/{self.id}"
            if self.mime_type == FOLDER_TYPE
            else f"https://drive.google.com/file/d/{self.id}/view?usp=drivesdk"
        )
        found: dict[str, Any] = {
            "kind": "drive#file",
            "id": self.id,
            "name": self.name,
            "mimeType": self.mime_type,
            "parents": list(self.parents),
            "trashed": self.trashed,
            "webViewLink": link,
        }
        if self.mime_type != FOLDER_TYPE:
            found |= {"size": str(len(self.data)), "md5Checksum": hashlib.md5(self.data).hexdigest()}
        return found


@dataclass
class _Session:
    file_id: str | None  # None: a new file
    metadata: dict[str, Any]
    total: int
    data: bytearray = field(default_factory=bytearray)


class DriveFaultError(ApiError):
    """A refusal in Drive's error format: {"error": {"code", "message", "errors": [{"domain", "reason"}]}}."""

    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(code, message)
        self.reason = reason

    def reply(self) -> Reply:
        errors = [{"domain": "global", "reason": self.reason, "message": self.message}]
        return Reply(self.code, {"error": {"code": self.code, "message": self.message, "errors": errors}})


def _literal(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def parse_query(query: str) -> list[tuple[str, str]]:
    """The clauses of a files.list `q` (joined by `and`); DriveFaultError 400 for anything else."""
    parts = [p.strip() for p in re.split(rf"\s+and\s+(?=(?:[^']*{_STRING})*[^']*$)", query.strip()) if p.strip()]
    clauses = []
    for part in parts:
        for pattern, kind in _CLAUSES:
            match = pattern.match(part)
            if match:
                value = match.group(1)
                clauses.append((kind, value if kind == "trashed" else _literal(value)))
                break
        else:
            raise DriveFaultError(400, "invalid", f"Invalid Value: {part}")
    return clauses


class FakeDriveServer(FakeSheetsServer):
    """FakeSheetsServer plus in-memory Drive files; see the module docstring."""

    def __init__(self, require_auth: bool = False) -> None:
        super().__init__(require_auth)
        self.files: dict[str, DriveFile] = {}
        self.max_page_size = 100
        self.drive_requests: list[SeenRequest] = []
        self._drive_faults: deque[tuple[int, str]] = deque()
        self.lost_chunk_answers = 0  # the next this many upload chunks are stored, then answered 503
        self._sessions: dict[str, _Session] = {}
        self._ids = itertools.count(1)
        self._init_image_source()
        self.corrupt_uploads = 0  # the next this many uploaded bodies are stored with their last byte changed

    # --- test set-up and inspection ------------------------------------------------------------------------------

    def add_folder(self, name: str, parent: str | None = None, shared: bool = True) -> str:
        return self._add(name, FOLDER_TYPE, [parent] if parent else [], b"", shared=parent is None and shared).id

    def add_file(self, name: str, parent: str, data: bytes = b"", trashed: bool = False) -> str:
        return self._add(name, "application/octet-stream", [parent], data, trashed=trashed).id

    def children(self, parent: str, trashed: bool = False) -> list[DriveFile]:
        with self._lock:
            return [f for f in self.files.values() if parent in f.parents and f.trashed == trashed]

    def fail_drive_next(self, count: int = 1, status: int = 403, reason: str = "rateLimitExceeded") -> None:
        with self._lock:
            self._drive_faults.extend([(status, reason)] * count)

    def _add(self, name: str, mime: str, parents: list[str], data: bytes, **flags: bool) -> DriveFile:
        with self._lock:
            file_id = f"drv{next(self._ids):04d}" + secrets.token_hex(4)
            self.files[file_id] = DriveFile(file_id, name, mime, parents, data, **flags)
            return self.files[file_id]

    def _visible(self, file: DriveFile) -> bool:
        seen: set[str] = set()
        while not file.shared:
            parent = next(iter(file.parents), None)
            if parent is None or parent in seen or parent not in self.files:
                return False
            seen.add(parent)
            file = self.files[parent]
        return True

    def _file(self, file_id: str) -> DriveFile:
        found = self.files.get(file_id)
        if found is None or not self._visible(found):
            raise DriveFaultError(404, "notFound", f"File not found: {file_id}.")
        return found

    # --- the image source: times, shortcuts, corrupted downloads ---------------------------------------------------

    def _init_image_source(self) -> None:
        self.times: dict[str, tuple[str, str]] = {}  # file id -> (createdTime, modifiedTime), RFC 3339 with "Z"
        self.shortcuts: dict[str, tuple[str, str]] = {}  # shortcut id -> (targetId, targetMimeType)
        self.corrupt_media: set[str] = set()  # ids whose alt=media answers come with one byte changed

    def add_image(
        self, name: str, parent: str, data: bytes, mime_type: str = "image/jpeg", created: str | None = None
    ) -> str:
        """A file with an image's mime type, created at `created` (RFC 3339, "Z"; default: now)."""
        file_id = self._add(name, mime_type, [parent], data).id
        if created is not None:
            self.set_times(file_id, created)
        return file_id

    def add_shortcut(self, name: str, parent: str, target: str) -> str:
        """A shortcut in `parent` to `target` (its targetMimeType is the target's as it is now, as Drive keeps it)."""
        target_mime = self.files[target].mime_type if target in self.files else "application/octet-stream"
        file_id = self._add(name, SHORTCUT_TYPE, [parent], b"").id
        self.shortcuts[file_id] = (target, target_mime)
        return file_id

    def set_times(self, file_id: str, created: str, modified: str | None = None) -> None:
        self.times[file_id] = (created, modified or created)

    def change_data(self, file_id: str, data: bytes, modified: str) -> None:
        """New bytes for a file, as an edit in Drive makes them: a new md5Checksum and modifiedTime."""
        with self._lock:
            self.files[file_id].data = data
            self.times[file_id] = (self._times_of(file_id)[0], modified)

    def media_requests(self) -> list[SeenRequest]:
        """The downloads (`alt=media`) the server answered."""
        return [r for r in self.drive_requests if r.param("alt") == "media"]

    def _times_of(self, file_id: str) -> tuple[str, str]:
        if file_id not in self.times:  # first seen now: a stable time from here on
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            self.times[file_id] = (now, now)
        return self.times[file_id]

    def _as_image_source_sees(self, reply: Reply, path: str, query: dict[str, str]) -> Reply:
        """Add the fields of this section to the files of a reply, only when `fields` asks for them (Drive returns
        only what is asked); a shortcut has shortcutDetails and no size or checksum; corrupt media is served."""
        rest = path.removeprefix("/drive/v3/files").strip("/")
        if query.get("alt") == "media" and rest in self.corrupt_media and isinstance(reply.body, bytes) and reply.body:
            reply.body = bytes([reply.body[0] ^ 0xFF]) + reply.body[1:]
            return reply
        if not isinstance(reply.body, dict):
            return reply
        asked = query.get("fields", "")
        every = asked == "*" or "files(*)" in asked
        resources = reply.body.get("files", []) if "files" in reply.body else [reply.body]
        for resource in resources:
            file_id = str(resource.get("id", ""))
            if file_id not in self.files:
                continue
            created, modified = self._times_of(file_id)
            for name, value in (("createdTime", created), ("modifiedTime", modified)):
                if every or name in asked:
                    resource[name] = value
            if file_id in self.shortcuts:
                resource.pop("size", None)
                resource.pop("md5Checksum", None)
                if every or "shortcutDetails" in asked:
                    target, target_mime = self.shortcuts[file_id]
                    resource["shortcutDetails"] = {"targetId": target, "targetMimeType": target_mime}
        return reply

    # --- serving -------------------------------------------------------------------------------------------------

    def _serve(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Reply:
        parts = urlsplit(target)
        if not parts.path.startswith(("/drive/v3/", "/upload/drive/v3/")):
            return super()._serve(method, target, headers, raw)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        kind: Kind = "read" if method == "GET" else "write"
        seen = SeenRequest(method, parts.path, parse_qs(parts.query), None, kind, headers)
        with self._lock:
            self.drive_requests.append(seen)
            try:
                if self._drive_faults:
                    status, reason = self._drive_faults.popleft()
                    raise DriveFaultError(status, reason, f"Injected: {reason}")
                self._authenticate(headers, kind)
                reply = self._route(method, parts.path, query, headers, raw)
                reply = self._as_image_source_sees(reply, parts.path, query)
            except ApiError as exc:
                reply = exc.reply()
            except Exception as exc:  # a bug in the fake: say so instead of dropping the connection
                reply = DriveFaultError(500, "backendError", f"fake Drive error: {type(exc).__name__}: {exc}").reply()
        seen.status = reply.status
        return reply

    def _route(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], raw: bytes) -> Reply:
        upload = path.startswith("/upload/")
        rest = path.removeprefix("/upload").removeprefix("/drive/v3/files").strip("/")
        if method == "PUT" and upload and "upload_id" in query:
            return self._upload_chunk(query["upload_id"], headers, raw)
        if method == "GET" and not rest:
            return Reply(200, self._list(query))
        if method == "GET":
            file = self._file(rest)
            if query.get("alt") == "media":
                return Reply(200, file.data, content_type="application/octet-stream")
            return Reply(200, file.resource())
        if rest and not upload:
            filed = self._route_filing(method, rest, query, raw)
            if filed is not None:
                return filed
        if method == "POST" and not rest and not upload:
            metadata = json.loads(raw or b"{}")
            return Reply(200, self._create(metadata, b"").resource())
        if upload and ((method == "POST" and not rest) or (method == "PATCH" and rest)):
            existing = self._file(rest).id if rest else None
            upload_type = query.get("uploadType", "")
            if upload_type == "multipart":
                metadata, data = _multipart(headers.get("content-type", ""), raw)
                return Reply(200, self._store(existing, metadata, data).resource())
            if upload_type == "resumable":
                total = int(headers.get("x-upload-content-length", "-1"))
                upload_id = secrets.token_urlsafe(12)
                self._sessions[upload_id] = _Session(existing, json.loads(raw or b"{}"), total)
                where = f"https://www.googleapis.com/upload/drive/v3/files{'/' + rest if rest else ''}"
                return Reply(200, b"", {"Location": f"{where}?uploadType=resumable&upload_id={upload_id}"})
            if upload_type == "media":
                return Reply(200, self._store(existing, {}, raw).resource())
            raise DriveFaultError(400, "badContent", f"Unsupported uploadType: {upload_type}")
        raise DriveFaultError(404, "notFound", f"Method not found: {method} {path}")

    def _list(self, query: dict[str, str]) -> dict[str, Any]:
        clauses = parse_query(query.get("q", ""))
        trashed = next((v == "true" for k, v in clauses if k == "trashed"), False)
        matched = []
        for file in self.files.values():
            if not self._visible(file) or file.trashed != trashed:
                continue
            if all(
                (k == "parent" and v in file.parents)
                or (k == "name" and file.name == v)
                or (k == "mime" and file.mime_type == v)
                or (k == "not_mime" and file.mime_type != v)
                or k == "trashed"
                for k, v in clauses
            ):
                matched.append(file.resource())
        size = min(int(query.get("pageSize") or 100), self.max_page_size)
        start = int(query.get("pageToken") or 0)
        page: dict[str, Any] = {"kind": "drive#fileList", "files": matched[start : start + size]}
        if start + size < len(matched):
            page["nextPageToken"] = str(start + size)
        return page

    def _create(self, metadata: dict[str, Any], data: bytes) -> DriveFile:
        parents = [str(p) for p in metadata.get("parents", [])]
        for parent in parents:
            if self._file(parent).mime_type != FOLDER_TYPE:
                raise DriveFaultError(400, "invalidParent", f"The parent {parent} is not a folder.")
        name = str(metadata.get("name") or "Untitled")
        return self._add(name, str(metadata.get("mimeType") or "application/octet-stream"), parents, data)

    def _store(self, existing: str | None, metadata: dict[str, Any], data: bytes) -> DriveFile:
        data = self._as_received(data)
        if existing is None:
            return self._create(metadata, data)
        file = self.files[existing]
        file.data = data
        file.name = str(metadata.get("name") or file.name)
        return file

    # --- filing: files.update of metadata, files.copy, files.delete, corrupted uploads --------------------------

    def _route_filing(self, method: str, rest: str, query: dict[str, str], raw: bytes) -> Reply | None:
        """The answer to a request on `files/{id}[/copy]` that files use (None: not one of them)."""
        file_id, _, action = rest.partition("/")
        if method == "POST" and action == "copy":
            return Reply(200, self._copy(self._file(file_id), json.loads(raw or b"{}")).resource())
        if method == "PATCH" and not action:
            return Reply(200, self._update(self._file(file_id), query, json.loads(raw or b"{}")).resource())
        if method == "DELETE" and not action:
            del self.files[self._file(file_id).id]
            return Reply(204, b"")
        return None

    def _copy(self, source: DriveFile, metadata: dict[str, Any]) -> DriveFile:
        if source.mime_type == FOLDER_TYPE:
            raise DriveFaultError(403, "cannotCopyFile", "Folders cannot be copied.")
        metadata = {"name": source.name, "mimeType": source.mime_type, "parents": source.parents} | metadata
        return self._create(metadata, source.data)

    def _update(self, file: DriveFile, query: dict[str, str], metadata: dict[str, Any]) -> DriveFile:
        adding = [p for p in query.get("addParents", "").split(",") if p]
        removing = [p for p in query.get("removeParents", "").split(",") if p]
        for parent in adding:
            if self._file(parent).mime_type != FOLDER_TYPE:
                raise DriveFaultError(400, "invalidParent", f"The parent {parent} is not a folder.")
        if "parents" in metadata:
            raise DriveFaultError(403, "fieldNotWritable", "The parents field is not directly writable in update.")
        parents = [p for p in file.parents if p not in removing] + [p for p in adding if p not in file.parents]
        if not parents and file.parents:
            raise DriveFaultError(400, "cannotRemoveParents", "A file needs a parent.")
        file.parents = parents
        file.name = str(metadata.get("name") or file.name)
        if "trashed" in metadata:
            file.trashed = bool(metadata["trashed"])
        return file

    def _as_received(self, data: bytes) -> bytes:
        """The uploaded bytes as stored: changed in their last byte while `corrupt_uploads` lasts."""
        if self.corrupt_uploads <= 0 or not data:
            return data
        self.corrupt_uploads -= 1
        return data[:-1] + bytes([data[-1] ^ 0xFF])

    def _upload_chunk(self, upload_id: str, headers: dict[str, str], raw: bytes) -> Reply:
        session = self._sessions.get(upload_id)
        if session is None:
            raise DriveFaultError(404, "notFound", "No such upload session.")
        match = re.fullmatch(r"bytes (?:(\d+)-(\d+)|\*)/(\d+)", headers.get("content-range", ""))
        if match is None or int(match.group(3)) != session.total:
            raise DriveFaultError(400, "badContent", "Invalid Content-Range.")
        if match.group(1) is not None:
            start, end = int(match.group(1)), int(match.group(2))
            if start != len(session.data) or end - start + 1 != len(raw):
                raise DriveFaultError(400, "badContent", f"Expected the chunk at byte {len(session.data)}.")
            session.data.extend(raw)
            if self.lost_chunk_answers > 0:
                self.lost_chunk_answers -= 1
                raise DriveFaultError(503, "backendError", "The chunk was stored; this answer is lost.")
        if len(session.data) < session.total:
            held = {"Range": f"bytes=0-{len(session.data) - 1}"} if session.data else {}
            return Reply(308, b"", held)
        del self._sessions[upload_id]
        return Reply(200, self._store(session.file_id, session.metadata, bytes(session.data)).resource())


def _multipart(content_type: str, raw: bytes) -> tuple[dict[str, Any], bytes]:
    """The metadata and media parts of a multipart/related upload."""
    match = re.search(r"boundary=\"?([^\";]+)\"?", content_type)
    if not content_type.startswith("multipart/related") or match is None:
        raise DriveFaultError(400, "badContent", "multipart/related; boundary=... expected")
    delimiter = b"--" + match.group(1).encode()
    parts = [p for p in raw.split(delimiter)[1:] if not p.startswith(b"--")]
    if len(parts) != 2:
        raise DriveFaultError(400, "badContent", "A multipart upload has a metadata part and a media part.")
    bodies = [p.removeprefix(b"\r\n").split(b"\r\n\r\n", 1)[1].removesuffix(b"\r\n") for p in parts]
    return json.loads(bodies[0]), bodies[1]


@pytest.fixture
def drive_server() -> Iterator[FakeDriveServer]:
    """A started FakeDriveServer without auth, stopped after the test."""
    with FakeDriveServer() as server:
        yield server
