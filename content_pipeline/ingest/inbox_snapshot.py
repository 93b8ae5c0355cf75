"""What the inbox holds now, per day, and which days an inbox sensor should run because their files changed.

Each CSV file is read once per change (its size and modification time are the cache key) and split by the days its
rows belong to, with the same rules the ingest stage uses (see csv_inbox.py): a day's digest covers exactly the
rows of every file that `ingest` reads for that day. A run key made of the day and that digest never starts two
runs for the same rows, even when the sensor's cursor is lost.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from content_pipeline.ingest.csv_inbox import InboxFileError, decode_csv, list_inbox_files, parse_csv
from content_pipeline.ingest.partition_rule import DATE_COLUMNS, date_from_name, drop_day, parse_day
from content_pipeline.run_plan import MAX_RUNS_PER_TICK, PlannedRun, plan_runs

DIGEST_CHARS = 16
HASH_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class InboxFile:
    """One CSV file: its fingerprint (size, mtime, content hash) and a digest of its rows for each day."""

    name: str
    fingerprint: str  # "<size>:<mtime_ns>:<sha256>"
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


def content_sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            hasher.update(chunk)
    return hasher.hexdigest()


def row_day(cells: list[str], date_index: int | None, dropped_on: date) -> date:
    """The day of one row of a file without a date in its name (the rule of csv_inbox.rows_for_day)."""
    if date_index is not None and date_index < len(cells) and cells[date_index].strip():
        return parse_day(cells[date_index]) or dropped_on
    return dropped_on


def file_days(path: Path, sha256: str) -> dict[str, str]:
    """The days `ingest` puts this file's rows in, each with a digest of those rows.

    A file with a date in its name belongs to that day whole; an unreadable file to the day its bad_file row goes
    to (the date in its name, else the day it was dropped).
    """
    name_day = date_from_name(path.name)
    try:
        table = parse_csv(path, decode_csv(path))
    except InboxFileError:
        return {(name_day or drop_day(path)).isoformat(): _digest("bad_file", sha256)}
    if name_day is not None:
        return {name_day.isoformat(): _digest("file", sha256)}
    lowered = [h.lower() for h in table.header]
    date_index = next((lowered.index(c) for c in DATE_COLUMNS if c in lowered), None)
    dropped_on = drop_day(path)
    header = json.dumps(table.header, ensure_ascii=False)
    rows: dict[str, list[str]] = {}
    for line_no, cells in enumerate(table.rows, start=2):
        day = row_day(cells, date_index, dropped_on).isoformat()
        rows.setdefault(day, [header]).append(f"{line_no}:{json.dumps(cells, ensure_ascii=False)}")
    return {day: _digest("rows", *lines) for day, lines in sorted(rows.items())}


def scan_inbox(inbox: Path, known: Mapping[str, InboxFile] | None = None) -> InboxScan:
    """Every CSV file in the inbox; a file whose size and mtime match `known` is not read again."""
    scan = InboxScan()
    known = known or {}
    for path in list_inbox_files(inbox):
        try:
            stat = path.stat()
            stamp = f"{stat.st_size}:{stat.st_mtime_ns}:"
            previous = known.get(path.name)
            if previous is not None and previous.fingerprint.startswith(stamp):
                scan.files.append(previous)
                continue
            sha256 = content_sha256(path)
            scan.files.append(InboxFile(path.name, stamp + sha256, file_days(path, sha256)))
        except OSError as exc:  # unreadable for now, or gone since the listing: keep what was known, look again
            scan.problems.append(f"{path.name}: {type(exc).__name__}: {exc.strerror or exc}")
            if path.name in known:
                scan.files.append(known[path.name])
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
