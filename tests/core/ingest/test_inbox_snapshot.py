"""Which inbox days a sensor runs: the days whose rows changed, each set of rows once, the same days ingest reads."""

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from content_pipeline.ingest import inbox_snapshot
from content_pipeline.ingest.csv_inbox import inbox_rows
from content_pipeline.ingest.inbox_files import InboxEntry
from content_pipeline.ingest.inbox_snapshot import day_digests, plan_inbox_runs, scan_inbox

DROPPED = date(2026, 11, 20)


def drop(inbox: Path, name: str, text: str, dropped_on: date = DROPPED, encoding: str = "utf-8") -> Path:
    inbox.mkdir(exist_ok=True)
    path = inbox / name
    path.write_bytes(text.encode(encoding))
    stamp = datetime(dropped_on.year, dropped_on.month, dropped_on.day, 12, tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def days_of(inbox: Path) -> dict[str, set[str]]:
    return {f.name: set(f.days) for f in scan_inbox(inbox).files}


def runs(inbox: Path, cursor: str | None, **kwargs: object) -> tuple[list[tuple[str, str]], str]:
    plan = plan_inbox_runs(inbox, cursor, **kwargs)  # type: ignore[arg-type]
    return [(run.day, run.run_key) for run in plan.runs], plan.cursor


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    box = tmp_path / "inbox"
    drop(box, "links-2026-11-18.csv", "url,date\nhttps://example.org/a,2026-11-01\n")  # the name wins
    drop(box, "dated.csv", "url,added_on\nhttps://example.org/b,2026-11-17\nhttps://example.org/c,2026-11-19\n,\n")
    drop(box, "plain.csv", "url\nhttps://example.org/d\n")
    drop(box, "bad-date.csv", "url,date\nhttps://example.org/e,someday\nhttps://example.org/f,\n")
    drop(box, "no-url.csv", "link\nhttps://example.org/g\n")
    drop(box, "latin1.csv", "url,note\nhttps://example.org/h,caf\u00e9\n", encoding="latin-1")
    drop(box, "broken-2026-11-16.csv", "link\nx\n")
    drop(box, ".hidden.csv", "url\nhttps://example.org/z\n")
    drop(box, "notes.txt", "url\nhttps://example.org/z\n")
    return box


def test_each_file_belongs_to_the_days_its_rows_go_to(inbox: Path) -> None:
    assert days_of(inbox) == {
        "links-2026-11-18.csv": {"2026-11-18"},
        "dated.csv": {"2026-11-17", "2026-11-19"},
        "plain.csv": {"2026-11-20"},
        "bad-date.csv": {"2026-11-20"},  # a cell that is not a date, and an empty one: the day it was dropped
        "no-url.csv": {"2026-11-20"},  # unreadable: its bad_file row goes to the day it was dropped
        "latin1.csv": {"2026-11-20"},
        "broken-2026-11-16.csv": {"2026-11-16"},  # unreadable, but its name names the day
    }


def test_the_snapshot_puts_a_file_on_exactly_the_days_ingest_reads_it_for(inbox: Path) -> None:
    by_day: dict[str, set[str]] = {}
    for name, days in days_of(inbox).items():
        for day in days:
            by_day.setdefault(day, set()).add(name)
    for offset in range(10, 25):
        on = date(2026, 11, offset)
        read = {str(row["source_file"]) for row in inbox_rows(inbox, on)}
        assert read == by_day.get(on.isoformat(), set()), on


def test_a_first_tick_runs_every_day_once_and_the_next_tick_runs_nothing(inbox: Path) -> None:
    first, cursor = runs(inbox, None)
    assert [day for day, _ in first] == ["2026-11-20", "2026-11-19", "2026-11-18", "2026-11-17", "2026-11-16"]
    digests = day_digests(scan_inbox(inbox).files)
    assert all(key == f"inbox:{day}:{digests[day]}" for day, key in first)
    assert runs(inbox, cursor)[0] == []
    assert set(json.loads(cursor)["files"]) == set(days_of(inbox))


def test_a_changed_row_reruns_only_its_day_under_a_new_run_key(inbox: Path) -> None:
    planned, cursor = runs(inbox, None)
    first = dict(planned)
    drop(inbox, "dated.csv", "url,added_on\nhttps://example.org/b,2026-11-17\nhttps://example.org/c2,2026-11-19\n,\n")
    [(day, key)], cursor = runs(inbox, cursor)
    assert day == "2026-11-19" and key != first["2026-11-19"]
    drop(inbox, "links-2026-11-18.csv", "url\nhttps://example.org/a\nhttps://example.org/a2\n")
    assert [day for day, _ in runs(inbox, cursor)[0]] == ["2026-11-18"]


def test_touching_a_file_without_changing_it_starts_nothing(inbox: Path) -> None:
    _, cursor = runs(inbox, None)
    path = inbox / "links-2026-11-18.csv"
    path.write_bytes(path.read_bytes())  # saved again: a new mtime, the same rows
    assert runs(inbox, cursor)[0] == []


def test_a_lost_cursor_asks_again_with_the_same_run_keys(inbox: Path) -> None:
    first, _ = runs(inbox, None)
    assert runs(inbox, "not json")[0] == first
    assert runs(inbox, '{"files": [1], "days": 3}')[0] == first


def test_a_deleted_file_reruns_the_days_it_shared_and_leaves_a_day_it_had_alone(inbox: Path) -> None:
    drop(inbox, "more.csv", "url,date\nhttps://example.org/m,2026-11-17\n")
    _, cursor = runs(inbox, None)
    (inbox / "more.csv").unlink()
    assert [day for day, _ in runs(inbox, cursor)[0]] == ["2026-11-17"]  # dated.csv still has rows on the 17th
    _, cursor = runs(inbox, cursor)
    (inbox / "links-2026-11-18.csv").unlink()
    again, cursor = runs(inbox, cursor)
    assert again == []  # the 18th has no file left: a run could only empty its partition
    assert "links-2026-11-18.csv" not in json.loads(cursor)["files"]
    assert "2026-11-18" not in json.loads(cursor)["days"]


def test_days_without_a_partition_wait_and_a_full_inbox_is_worked_through_ten_days_a_tick(tmp_path: Path) -> None:
    box = tmp_path / "inbox"
    rows = "".join(f"https://example.org/{d},2026-10-{d:02d}\n" for d in range(1, 16))
    drop(box, "history.csv", "url,date\n" + rows + "https://example.org/old,1999-01-01\n")
    allowed = {f"2026-10-{d:02d}" for d in range(1, 16)}
    first, cursor = runs(box, None, allowed_days=allowed)
    assert [day for day, _ in first] == [f"2026-10-{d:02d}" for d in range(15, 5, -1)]
    rest, cursor = runs(box, cursor, allowed_days=allowed)
    assert [day for day, _ in rest] == [f"2026-10-{d:02d}" for d in range(5, 0, -1)]
    assert runs(box, cursor, allowed_days=allowed)[0] == []
    assert [day for day, _ in runs(box, cursor, allowed_days=allowed | {"1999-01-01"})[0]] == ["1999-01-01"]


def test_an_unchanged_file_is_not_read_again(inbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, cursor = runs(inbox, None)
    read: list[str] = []
    real = inbox_snapshot.read_entry

    def counting(entry: InboxEntry) -> bytes:
        read.append(entry.name)
        return real(entry)

    monkeypatch.setattr(inbox_snapshot, "read_entry", counting)
    drop(inbox, "plain.csv", "url\nhttps://example.org/d\nhttps://example.org/d2\n")
    assert [day for day, _ in runs(inbox, cursor)[0]] == ["2026-11-20"]
    assert read == ["plain.csv"]


def test_an_empty_or_missing_inbox_plans_nothing(tmp_path: Path) -> None:
    assert runs(tmp_path / "nowhere", None)[0] == []
    (tmp_path / "empty").mkdir()
    assert runs(tmp_path / "empty", None)[0] == []
