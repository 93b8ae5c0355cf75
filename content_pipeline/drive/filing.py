"""File images into a Drive folder, `<output folder>/<category>/<name>.<ext>`, with the promises of the local filing
(content_pipeline/export/image_filing.py).

Drive lets several files share a name, so every name is looked up first (one listing per folder and run) and a file
is only ever created, never replaced. A name that already holds identical bytes (Drive's `md5Checksum` and `size`
equal to the source's) counts as filed, so a rerun adds nothing; different bytes under the name get `-2`, `-3`...
A new file counts only when Drive's answer says it holds the source's MD5 and size: a damaged upload goes to the
trash and the source stays. In move mode a local source is deleted only after that check and after the move is in
the ledger (moved_images.py, `filed` = `drive:<file id>`). An image that is already a Drive file is copied on the
server (files.copy), or in move mode moved there, keeping its id (files.update with `addParents`/`removeParents`);
a Drive file already in a folder of the output folder is where an earlier run filed it. Items that failed earlier go
to `failures/` with a `<name>.reason.txt` beside them, replaced in place when the reason changes.
"""

import hashlib
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from content_pipeline.drive.client import FILE_FIELDS, FOLDER_TYPE, DriveApiError, DriveClient, in_folder
from content_pipeline.drive.filing_names import candidates, name_families, too_many
from content_pipeline.drive.images_folder import folder_link
from content_pipeline.drive.settings import DEFAULT_CONCURRENCY
from content_pipeline.export.image_filing import (
    IDENTICAL,
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
from content_pipeline.export.safe_names import FAILURES_FOLDER
from content_pipeline.moved_images import DRIVE_PREFIX, MovedImages
from content_pipeline.status import FilingStatus

FIELDS = FILE_FIELDS + ",parents"  # what filing reads of a file: its checksum, size and folders
MIME_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}
REASON_MIME = "text/plain"
IN_PLACE = "it is in the images folder already"


@dataclass(frozen=True)
class DriveFiled:
    """A file in a folder of the output folder: its metadata, and whether this run put it there."""

    file: dict[str, Any]
    created: bool


def file_images_to_drive(
    client: DriveClient,
    items: Sequence[ImageToFile],
    output_folder_id: str,
    mode: Mode = "copy",
    ledger: MovedImages | None = None,
) -> list[FilingResult]:
    """File every item into the Drive folder `output_folder_id`; one result per item, in order (a failing item never
    stops the others; Drive refusing the folder, or staying unavailable, stops them all)."""
    return DriveFiling(client, output_folder_id, mode, ledger)(items)


class DriveFiling:
    """One run's filing into one output folder: the folders and the names in them are read once and kept."""

    def __init__(
        self,
        client: DriveClient,
        output: str,
        mode: Mode,
        ledger: MovedImages | None,
        threads: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.client, self.output, self.mode, self.ledger, self.threads = client, output, mode, ledger, threads
        self._folders: dict[str, str] | None = None  # name -> id of the output folder's folders
        self._listings: dict[str, dict[str, list[dict[str, Any]]]] = {}  # folder id -> name -> files
        self._by_id: dict[str, dict[str, Any]] = {}  # the files listed or moved in by this run, by id
        self._lock = threading.RLock()  # folders are listed and made by one thread at a time

    @property
    def link(self) -> str:
        """The output folder's link, for a person."""
        return folder_link(self.output)

    def __call__(self, items: Sequence[ImageToFile]) -> list[FilingResult]:
        """File the items, `threads` at once; the items that could take the same name are filed one after the
        other, in their order (see `name_families`), so names are numbered as they would be one at a time."""
        families: dict[int, list[int]] = {}
        for index, family in enumerate(name_families(items)):
            families.setdefault(family, []).append(index)
        results: list[FilingResult | None] = [None] * len(items)

        def file_family(indexes: list[int]) -> None:
            for index in indexes:
                results[index] = self.file_one(items[index])

        with ThreadPoolExecutor(max(1, min(self.threads, len(families))), thread_name_prefix="drive-filing") as pool:
            for _ in pool.map(file_family, families.values()):  # the first error (a refused folder) stops the chunk
                pass
        filed = [result for result in results if result is not None]
        assert len(filed) == len(items)  # every family ran to its end, or the error above was raised
        return filed

    def file_one(self, item: ImageToFile) -> FilingResult:
        try:
            return self.file_or_raise(item)
        except (OSError, FilingError) as exc:
            return FilingResult(item.record_id, FilingStatus.ERROR.value, None, error_text(exc), None)
        except DriveApiError as exc:
            if exc.status == 403 and not exc.transient:  # no write access: the same for every item
                raise self.client.refused(self.output, exc) from None
            return FilingResult(item.record_id, FilingStatus.ERROR.value, None, f"Google Drive: {exc}", None)

    def file_or_raise(self, item: ImageToFile) -> FilingResult:
        failed, failure = failure_of(item)
        if item.drive_file_id is not None:
            return self.file_drive_source(item, item.drive_file_id, failed, failure)
        source = load_source(item)
        if source is None:
            return nothing_to_file(item, failure)
        folder_name, stem, extension = destination(item, failed)
        folder = self.folder(folder_name)
        body = verified_bytes(source)
        md5 = hashlib.md5(body).hexdigest()
        placed = self.place_bytes(folder, stem, extension, body, md5)
        name = str(placed.file["name"])
        if failed:
            self.write_reason(folder, name + REASON_SUFFIX, failure)
        notes = [placing_note(failed, failure, placed.created)]
        if self.mode == "move" and source.path is not None:
            if self.ledger is not None and item.ingest_row is not None:
                self.ledger.record(moved(item.ingest_row, DRIVE_PREFIX + str(placed.file["id"]), source))
            filed = placed.file if placed.created else self.current(placed.file)  # Drive's answer now, or again
            notes.append(release_local(source, filed, md5))
        return FilingResult(
            item.record_id, status_of(failed, placed.created), f"{folder_name}/{name}", join_notes(notes), source.sha256
        )

    # --- an image that is a Drive file ---------------------------------------------------------------------------

    def file_drive_source(self, item: ImageToFile, file_id: str, failed: bool, failure: str) -> FilingResult:
        meta = self.known(item, file_id, failed) or self.source_file(file_id)
        size, md5 = int(meta.get("size", -1)), str(meta.get("md5Checksum", ""))
        body_matches = item.body is not None and hashlib.md5(item.body).hexdigest() == md5
        sha256 = hashlib.sha256(item.body).hexdigest() if item.body is not None and body_matches else None
        here = self.filed_in(meta)
        if here is not None:  # filed (moved) by an earlier run
            if failed and here == FAILURES_FOLDER:
                self.write_reason(self.folder(here), f"{meta['name']}{REASON_SUFFIX}", failure)
            status = FilingStatus.FAILED if here == FAILURES_FOLDER else FilingStatus.ALREADY_FILED
            reason = failure if status == FilingStatus.FAILED else IN_PLACE
            return FilingResult(item.record_id, status.value, f"{here}/{meta['name']}", reason, sha256)
        folder_name, stem, extension = destination(item, failed)
        folder = self.folder(folder_name)
        source = Source(None, None, size, sha256 or "")
        notes = [failure if failed else ""]
        placed = self.place_drive_file(item, meta, source, md5, folder, stem, extension, notes)
        name = str(placed.file["name"])
        if failed:
            self.write_reason(folder, name + REASON_SUFFIX, failure)
        if not placed.created and not failed:
            notes.insert(0, IDENTICAL)
        return FilingResult(
            item.record_id, status_of(failed, placed.created), f"{folder_name}/{name}", join_notes(notes), sha256
        )

    def known(self, item: ImageToFile, file_id: str, failed: bool) -> dict[str, Any] | None:
        """What this run knows of a Drive source without asking Drive for it: the file itself in the folder it is
        filed under (moved there by an earlier run), or in copy mode the size and MD5 of the fetched bytes (which
        fetch checked against Drive's md5Checksum; a copy is checked against them in turn). None: ask Drive."""
        folder = self.folders().get(destination(item, failed)[0])
        if folder is not None:
            self.listing(folder)
            found = self._by_id.get(file_id)
            if found is not None:
                return found
        if self.mode == "copy" and item.body is not None:
            md5 = hashlib.md5(item.body).hexdigest()
            return {"id": file_id, "size": str(len(item.body)), "md5Checksum": md5, "parents": []}
        return None

    def source_file(self, file_id: str) -> dict[str, Any]:
        """The Drive file to file, with its checksum; FilingError when it is gone, trashed or has no checksum."""
        try:
            meta = self.client.get(file_id, FIELDS)
        except DriveApiError as exc:
            raise gone(file_id, exc) from None
        if meta.get("trashed"):
            raise FilingError(f"the Drive file {file_id} is in the trash")
        if not meta.get("md5Checksum") or meta.get("mimeType") == FOLDER_TYPE:
            raise FilingError(f"the Drive file {file_id} has no checksum (a Google Docs file or a folder): not filed")
        return meta

    def place_drive_file(
        self,
        item: ImageToFile,
        meta: dict[str, Any],
        source: Source,
        md5: str,
        folder: str,
        stem: str,
        extension: str,
        notes: list[str],
    ) -> DriveFiled:
        """Copy (or move) the Drive file `meta` into `folder` under a free or identical name; notes what it did."""
        file_id = str(meta["id"])
        listing = self.listing(folder)
        for name in candidates(stem, extension):
            present = listing.get(name, [])
            if present:
                same = next((f for f in present if holds(f, source.size, md5)), None)
                if same is None:
                    continue
                if self.mode == "move":  # an identical copy is filed already: the source is no longer needed
                    if holds(self.current(same), source.size, md5):
                        self.record_move(item, str(same["id"]), source)
                        self.client.trash(file_id)
                        notes.append("the source was put in Drive's trash")
                    else:
                        notes.append(f"{SOURCE_KEPT}: the filed copy changed meanwhile")
                return DriveFiled(same, False)
            if self.mode == "move":
                self.record_move(item, file_id, source)
                made = self.client.move(file_id, folder, name, [str(p) for p in meta.get("parents", [])], FIELDS)
                if not holds(made, source.size, md5):
                    raise FilingError(f"the Drive file {file_id} changed while it was moved to {name}")
                self._by_id[file_id] = made
                notes.append("moved, keeping its id")
            else:
                try:
                    made = self.client.copy(file_id, folder, name, FIELDS)
                except DriveApiError as exc:
                    raise gone(file_id, exc) from None
                self.check_new(made, source.size, md5, name)
            listing.setdefault(name, []).append(made)
            return DriveFiled(made, True)
        raise FilingError(too_many(stem, extension))

    def current(self, file: dict[str, Any]) -> dict[str, Any]:
        """What Drive says of a file found earlier in this run, asked again before a source is removed ({} when it
        is gone or in the trash)."""
        try:
            found = self.client.get(str(file["id"]), FIELDS)
        except DriveApiError as exc:
            if exc.status == 404:
                return {}
            raise
        return {} if found.get("trashed") else found

    def record_move(self, item: ImageToFile, filed_id: str, source: Source) -> None:
        if self.ledger is not None and item.ingest_row is not None:
            self.ledger.record(moved(item.ingest_row, DRIVE_PREFIX + filed_id, source))

    def filed_in(self, meta: dict[str, Any]) -> str | None:
        """The name of the output folder's folder the file is in already, if it is in one."""
        by_id = {folder: name for name, folder in self.folders().items()}
        return next((by_id[p] for p in meta.get("parents", []) if p in by_id), None)

    # --- bytes uploaded ------------------------------------------------------------------------------------------

    def place_bytes(self, folder: str, stem: str, extension: str, body: bytes, md5: str) -> DriveFiled:
        """(the file in `folder` holding `body`, created now or found there under `stem.ext` or `stem-N.ext`)."""
        listing = self.listing(folder)
        for name in candidates(stem, extension):
            present = listing.get(name, [])
            if present:
                same = next((f for f in present if holds(f, len(body), md5)), None)
                if same is not None:
                    return DriveFiled(same, False)
                continue
            made = self.client.create_file(folder, name, body, MIME_TYPES.get(extension, "application/octet-stream"))
            self.check_new(made, len(body), md5, name)
            listing.setdefault(name, []).append(made)
            return DriveFiled(made, True)
        raise FilingError(too_many(stem, extension))

    def check_new(self, made: dict[str, Any], size: int, md5: str, name: str) -> None:
        """A file this run created must hold the source's bytes; one that does not goes to the trash."""
        if holds(made, size, md5):
            return
        self.client.trash(str(made["id"]))
        raise FilingError(
            f"the copy that arrived in Drive as {name} does not match the source (MD5 {made.get('md5Checksum')} "
            f"of {made.get('size')} bytes, expected {md5} of {size}): it was put in Drive's trash, {SOURCE_KEPT}"
        )

    def write_reason(self, folder: str, name: str, reason: str) -> None:
        """The sidecar text of a failed item: created, or replaced in place when it says something else."""
        data = (reason + "\n").encode("utf-8")
        listing = self.listing(folder)
        present = listing.get(name, [])
        if any(holds(f, len(data), hashlib.md5(data).hexdigest()) for f in present):
            return
        if present:
            listing[name] = [self.client.replace_content(str(present[0]["id"]), data, REASON_MIME), *present[1:]]
        else:
            listing[name] = [self.client.create_file(folder, name, data, REASON_MIME)]

    # --- folders and names, read once per run --------------------------------------------------------------------

    def folders(self) -> dict[str, str]:
        with self._lock:
            if self._folders is None:
                children = self.client.list(in_folder(self.output), "id,name,mimeType")
                self._folders = {str(f["name"]): str(f["id"]) for f in children if f.get("mimeType") == FOLDER_TYPE}
            return self._folders

    def folder(self, name: str) -> str:
        """The id of the output folder's folder `name`, created when missing (never twice: Drive would keep both)."""
        with self._lock:
            folders = self.folders()
            if name not in folders:
                folders[name] = str(self.client.ensure_folder(self.output, name)["id"])
            return folders[name]

    def listing(self, folder: str) -> dict[str, list[dict[str, Any]]]:
        """The files in `folder` by name (several files may share a name in Drive); each family of names is read and
        changed by one thread only."""
        with self._lock:
            if folder not in self._listings:
                names: dict[str, list[dict[str, Any]]] = {}
                for found in self.client.list(in_folder(folder), FIELDS):
                    if found.get("mimeType") != FOLDER_TYPE:
                        names.setdefault(str(found["name"]), []).append(found)
                self._listings[folder] = names
                self._by_id.update((str(f["id"]), f) for files in names.values() for f in files)
            return self._listings[folder]


def gone(file_id: str, error: DriveApiError) -> Exception:
    """The error of a Drive source Drive refused: one line for a file that is gone (404), else the refusal itself."""
    if error.status == 404:
        return FilingError(f"the Drive file {file_id} is gone, or no longer shared with the account")
    return error


def holds(file: dict[str, Any], size: int, md5: str) -> bool:
    """Whether Drive says the file holds bytes of this size and MD5."""
    return str(file.get("md5Checksum", "")) == md5 and str(file.get("size", "")) == str(size)


def release_local(source: Source, filed: dict[str, Any], md5: str) -> str:
    """Delete a moved local source once Drive says its copy holds the same bytes; a note when it was kept."""
    assert source.path is not None
    if not holds(filed, source.size, md5):
        return f"{SOURCE_KEPT}: the copy in Drive does not match it"
    try:
        remove_source(source.path)
    except OSError as exc:
        return f"{SOURCE_KEPT}: could not delete it ({error_text(exc)})"
    return "source deleted"
