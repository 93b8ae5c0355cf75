"""What the inbox holds now, per day, and which days an inbox sensor should run because their files changed.

Each CSV file is read once per change (what `lstat`/`stat` say about it is the cache key) and split by the days its
rows belong to, with the same code the ingest stage uses (see csv_inbox.py): a day's digest covers exactly the
rows of every file that `ingest` reads for that day, bad_file and malformed rows included. Entries that are never
read (FIFOs, links out of the inbox...) are never opened here either. A run key made of the day and that digest
never starts two runs for the same rows, even when the sensor's cursor is lost.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from content_pipeline.ingest.csv_inbox import dated_records, file_day
from content_pipeline.ingest.csv_table import parse_csv
from content_pipeline.ingest.csv_text import decode_csv
from content_pipeline.ingest.inbox_files import (
    InboxEntry,
    InboxFileError,
    InboxFileGoneError,
    list_inbox_entries,
    read_entry,
)
from content_pipeline.ingest.partition_rule import date_from_name
from content_pipeline.run_plan import MAX_RUNS_PER_TICK, PlannedRun, plan_runs

DIGEST_CHARS = 16


@dataclass(frozen=True)
class InboxFile:
    """One CSV file: its fingerprint (what stat says, and a content hash) and a digest of its rows for each day."""

    name: str  # the name in the inbox, as the file system gave it
    fingerprint: str  # InboxEntry.stamp, then the sha256 of the bytes when they were read
    days: Mapping[str, str]  # YYYY-MM-DD -> digest of this file's rows that belong to that day


@dataclass
class InboxScan:
    files: list[InboxFile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # files that could not be looked at this time


@dataclass(frozen=True)
class InboxPlan:
    runs: list[PlannedRun]
    cursor: str
    files: list[InboxFile]
    problems: list[str]


def _digest(*parts: str) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode("utf-8", "surrogatepass"))
        hasher.update(b"\x00")
    return hasher.hexdigest()[:DIGEST_CHARS]


def inbox_file(entry: InboxEntry) -> InboxFile:
    """The days one entry's rows go to; InboxFileGoneError when it disappeared while it was read."""
    try:
        data = read_entry(entry)
    except InboxFileGoneError:
        raise
    except InboxFileError as exc:  # never read: one bad_file row
        return InboxFile(entry.path.name, entry.stamp, {file_day(entry).isoformat(): _digest("bad_file", str(exc))})
    sha256 = hashlib.sha256(data).hexdigest()
    return InboxFile(entry.path.name, entry.stamp + sha256, file_days(entry, data, sha256))


def file_days(entry: InboxEntry, data: bytes, sha256: str) -> dict[str, str]:
    """The days `ingest` puts this file's rows in, each with a digest of those rows.

    A file with a date in its name belongs to that day whole; an unreadable file to the day its bad_file row goes
    to (the date in its name, else the day it was dropped).
    """
    try:
        table = parse_csv(entry.name, decode_csv(entry.name, data))
    except InboxFileError:
        return {file_day(entry).isoformat(): _digest("bad_file", sha256)}
    if date_from_name(entry.path.name) is not None:  # all its rows on that day: the file's hash covers them
        return {file_day(entry).isoformat(): _digest("file", sha256)}
    header = json.dumps(table.header, ensure_ascii=False)
    rows: dict[str, list[str]] = {}
    for record, row_day, _ in dated_records(entry, table):
        day = row_day.isoformat()
        content = f"malformed:{record.problem}" if record.problem else json.dumps(record.cells, ensure_ascii=False)
        rows.setdefault(day, [header]).append(f"{record.line}:{content}")
    return {day: _digest("rows", *lines) for day, lines in sorted(rows.items())}


def scan_inbox(inbox: Path, known: Mapping[str, InboxFile] | None = None) -> InboxScan:
    """Every CSV file in the inbox; a file whose stamp matches `known` is not read again."""
    scan = InboxScan()
    known = known or {}
    try:
        entries = list_inbox_entries(inbox)
    except OSError as exc:  # the inbox cannot be listed for now: keep what was known, look again
        scan.problems.append(f"the inbox cannot be listed: {exc.strerror or type(exc).__name__}")
        scan.files.extend(known.values())
        return scan
    for entry in entries:
        previous = known.get(entry.path.name)
        if previous is not None and previous.fingerprint.startswith(entry.stamp):
            scan.files.append(previous)
            continue
        try:
            scan.files.append(inbox_file(entry))
        except InboxFileGoneError as exc:  # gone since the listing: keep what was known, look again
            scan.problems.append(str(exc))
            if previous is not None:
                scan.files.append(previous)
    return scan


def day_digests(files: list[InboxFile]) -> dict[str, str]:
    """A digest per day over the rows every file contributes to it."""
    parts: dict[str, list[str]] = {}
    for inbox_file in sorted(files, key=lambda f: f.name):
        for day, digest in inbox_file.days.items():
            parts.setdefault(day, []).append(f"{inbox_file.name}\t{digest}")
    return {day: _digest(*lines) for day, lines in sorted(parts.items())}


def load_cursor(cursor: str | None) -> tuple[dict[str, InboxFile], str]:
    """The files seen at the last tick and the planner's cursor (day digests); empty for a missing or bad cursor."""
    try:
        value = json.loads(cursor or "{}")
    except json.JSONDecodeError:
        return {}, "{}"
    if not isinstance(value, dict):
        return {}, "{}"
    files: dict[str, InboxFile] = {}
    raw_files = value.get("files")
    for name, entry in (raw_files if isinstance(raw_files, dict) else {}).items():
        if isinstance(entry, dict) and isinstance(entry.get("fp"), str) and isinstance(entry.get("days"), dict):
            files[str(name)] = InboxFile(str(name), entry["fp"], {str(k): str(v) for k, v in entry["days"].items()})
    raw_days = value.get("days")
    return files, json.dumps(raw_days if isinstance(raw_days, dict) else {})


def dump_cursor(files: list[InboxFile], planned: str) -> str:
    entry = {f.name: {"fp": f.fingerprint, "days": dict(f.days)} for f in sorted(files, key=lambda f: f.name)}
    return json.dumps({"files": entry, "days": json.loads(planned)}, separators=(",", ":"))


def plan_inbox_runs(
    inbox: Path, cursor: str | None, allowed_days: set[str] | None = None, limit: int = MAX_RUNS_PER_TICK
) -> InboxPlan:
    """Runs for the days whose rows changed since the cursor (newest first, at most `limit`), and the new cursor.

    A new or changed file runs the days whose rows it changed. A deleted file drops out of the cursor; the days it
    shared with other files run again (their rows changed), and a day left with no file at all does not run (a run
    could only empty that day's partition; rerun it by hand if that is what you want).
    """
    known, planner_cursor = load_cursor(cursor)
    scan = scan_inbox(inbox, known)
    digests = day_digests(scan.files)
    planned, new_planner_cursor = plan_runs(digests, planner_cursor, allowed_days, limit)
    runs = [PlannedRun(run.day, f"inbox:{run.day}:{digests[run.day]}") for run in planned]
    return InboxPlan(runs, dump_cursor(scan.files, new_planner_cursor), scan.files, scan.problems)
