"""The entries of the CSV inbox, looked at without trusting them, and the bytes of those that may be read.

Only regular files inside the inbox are opened: a link is followed only when it leads to a regular file inside the
inbox, and a file is opened without following links and without blocking (`O_NOFOLLOW | O_NONBLOCK`), then checked
with `fstat`. A FIFO, socket, device, folder, link loop, link out of the inbox, a name that is not valid UTF-8 or a
file over `MAX_INBOX_FILE_BYTES` is never read: it becomes one `bad_file` row that says what it is, and never quotes
a link's target.
"""

import hashlib
import os
import stat
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from content_pipeline.ingest.entry_checks import EntryRefusedError, followed_link, kind_of, utc_day
from content_pipeline.ingest.file_names import display_name, is_utf8_name

MAX_INBOX_FILE_BYTES = 256 * 1024 * 1024  # a bigger file is one bad_file row and is never read
CSV_SUFFIX = ".csv"
HIDDEN_PREFIXES = (".", "~")  # hidden and temporary files (editors' lock files) are ignored
READ_CHUNK_BYTES = 1 << 20

_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
_DIR_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)


class InboxFileError(ValueError):
    """A whole inbox file cannot be read; the message names the file and what to do."""


class InboxFileGoneError(InboxFileError):
    """The file disappeared between the listing and the reading."""


@dataclass(frozen=True)
class InboxEntry:
    """One `*.csv` name in the inbox: where its bytes are, or why it is not read."""

    path: Path  # as listed (its name may carry surrogate escapes)
    name: str  # the name as rows and logs show it (see file_names.display_name)
    dropped_on: date  # UTC day of the entry's own modification time (a link's own, not its target's)
    stamp: str  # changes whenever what a reader would get changes (the inbox sensor's cache key)
    root: Path  # the inbox, resolved
    target: Path | None = None  # the regular file to read, resolved and inside `root`; None when not read
    problem: str = ""  # why it is not read, without the file name


def list_inbox_entries(inbox: Path) -> list[InboxEntry]:
    """Every `*.csv` entry directly inside the inbox, sorted by name (hidden and temporary names ignored)."""
    if not inbox.is_dir():
        return []
    root = inbox.resolve()
    entries = []
    with os.scandir(inbox) as listing:
        names = sorted(e.name for e in listing if is_inbox_csv_name(e.name))
    for name in names:
        path = inbox / name
        try:
            entries.append(inbox_entry(root, path, os.lstat(path)))
        except FileNotFoundError:  # removed since the listing
            continue
    return entries


def is_inbox_csv_name(name: str) -> bool:
    return name.lower().endswith(CSV_SUFFIX) and not name.startswith(HIDDEN_PREFIXES)


def inbox_entry(root: Path, path: Path, own: os.stat_result) -> InboxEntry:
    """Classify one entry from its own `lstat` (and its target's `stat` for a link): read it, or say why not."""
    name, dropped_on = display_name(path.name), utc_day(own.st_mtime)
    stamp = stat_stamp(own)
    try:
        target, seen = readable_target(root, path, own)
    except EntryRefusedError as refused:
        problem = str(refused)
        digest = hashlib.sha256(problem.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        return InboxEntry(path, name, dropped_on, f"{stamp}{digest}:", root, problem=problem)
    if seen is not own:
        stamp += stat_stamp(seen)
    return InboxEntry(path, name, dropped_on, stamp, root, target=target)


def stat_stamp(seen: os.stat_result) -> str:
    return f"{seen.st_size}:{seen.st_mtime_ns}:{seen.st_ctime_ns}:{seen.st_ino}:"


def readable_target(root: Path, path: Path, own: os.stat_result) -> tuple[Path, os.stat_result]:
    """The regular file inside the inbox to read for this entry, and its stat; EntryRefusedError says why not."""
    if not is_utf8_name(path.name):
        raise EntryRefusedError(
            "the file name is not valid UTF-8; rename it (plain ASCII is safest) and it will be read"
        )
    if stat.S_ISLNK(own.st_mode):
        target, seen = followed_link(root, path, "inbox")
        if not stat.S_ISREG(seen.st_mode):
            raise EntryRefusedError(f"a link to {kind_of(seen.st_mode)}, not to a file; not read")
    else:
        target, seen = root / path.name, own
        if not stat.S_ISREG(seen.st_mode):
            raise EntryRefusedError(f"{kind_of(seen.st_mode)}, not a file; not read")
    if seen.st_size > MAX_INBOX_FILE_BYTES:
        raise EntryRefusedError(too_big(seen.st_size))
    return target, seen


def too_big(size: int) -> str:
    limit = MAX_INBOX_FILE_BYTES / 1024 / 1024
    return (
        f"{size:,} bytes, more than the {limit:,.0f} MiB an inbox file may have; not read (split it into smaller files)"
    )


def read_entry(entry: InboxEntry) -> bytes:
    """The bytes of an entry that may be read; InboxFileError (naming the file) for one that may not."""
    if entry.target is None:
        raise InboxFileError(f"{entry.name}: {entry.problem}")
    try:
        fd = open_inside(entry.root, entry.target)
    except FileNotFoundError as exc:
        raise InboxFileGoneError(f"{entry.name}: disappeared while the inbox was read") from exc
    except OSError as exc:
        raise InboxFileError(
            f"{entry.name}: cannot be opened ({exc.strerror or type(exc).__name__}); not read"
        ) from exc
    try:
        seen = os.fstat(fd)
        if not stat.S_ISREG(seen.st_mode):
            raise InboxFileError(f"{entry.name}: {kind_of(seen.st_mode)}, not a file; not read")
        if seen.st_size > MAX_INBOX_FILE_BYTES:
            raise InboxFileError(f"{entry.name}: {too_big(seen.st_size)}")
        chunks, size = [], 0
        while chunk := os.read(fd, READ_CHUNK_BYTES):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_INBOX_FILE_BYTES:  # it grew after it was looked at
                raise InboxFileError(f"{entry.name}: {too_big(size)}")
        return b"".join(chunks)
    except InboxFileError:
        raise
    except OSError as exc:
        raise InboxFileError(f"{entry.name}: cannot be read ({exc.strerror or type(exc).__name__}); not read") from exc
    finally:
        os.close(fd)


def open_inside(root: Path, target: Path) -> int:
    """Open `target` (resolved, inside `root`) one folder at a time, never following a link: a descriptor."""
    parts = target.relative_to(root).parts
    fd = os.open(root, _DIR_FLAGS & ~os.O_NOFOLLOW)  # the inbox itself may be reached through a link
    try:
        for part in parts[:-1]:
            inner = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = inner
        return os.open(parts[-1], _OPEN_FLAGS, dir_fd=fd)
    finally:
        os.close(fd)
