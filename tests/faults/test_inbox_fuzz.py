"""The CSV inbox fuzzed with random and mutated files (hypothesis): never a crashed run, every line accounted for.

Each example writes a few files into an empty inbox: valid CSV files with a url column, then mutated (quotes,
separators, NUL, `\\r`, BOMs, bytes that are not UTF-8, huge cells, many columns, blank lines, junk dates inserted or
bytes deleted), or plain random bytes; under names with a date, without one, or not valid UTF-8. Then the sensor
plans the inbox and ingest reads every day it could touch. What must hold:

- nothing raises; every day's frame has the ingest schema, unique record ids, and can be stored as parquet;
- the sensor puts each file on exactly the days ingest gives it rows on;
- a file that cannot be read gives exactly one bad_file row;
- for a readable file, the records the parser reports (each from the physical line it starts on to the line it
  ends on) cover every non-blank line below the header exactly once, and ingest gives exactly one row per record,
  at its first line (`source_row`), malformed_row exactly for the records that are malformed.
"""

import csv
import io
import os
import re
import tempfile
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from content_pipeline.ingest.combine import ingest_frame
from content_pipeline.ingest.csv_inbox import date_column, inbox_rows, record_day
from content_pipeline.ingest.csv_table import CsvTable, parse_csv
from content_pipeline.ingest.csv_text import decode_csv
from content_pipeline.ingest.file_names import display_name, is_utf8_name
from content_pipeline.ingest.inbox_files import InboxFileError
from content_pipeline.ingest.inbox_snapshot import plan_inbox_runs
from content_pipeline.ingest.partition_rule import date_from_name
from content_pipeline.schemas import INGEST_SCHEMA

DROPPED = date(2026, 11, 24)
BOM = b"\xef\xbb\xbf"
URLS = [
    "https://example.org/a",
    "http://example.org/b?q=1",
    "example.org/c",
    "",
    " https://example.org/d ",
    "javascript:alert(1)",
    "https://例え.jp/",
    "https://example.org/a",
]
DATES = ["2026-11-24", "2026-11-23", "junk", "", "2026-02-30", "2026-11-22T10:00:00"]
COLUMNS = ["note", "date", "added_on", "url", "URL", "", "Note"]
NAMES = [b"links-2026-11-24.csv", b"plain.csv", b"dated-2026-11-23.csv", b"odd-\xff\xfe.csv", b"shout.CSV"]
INSERTS = [
    b'"',
    b'\n"',  # a quote that opens a cell
    b',"',
    b';"',
    b",",
    b";",
    b"\t",
    b"\x00",
    b"\r",
    b"\n",
    b"\r\n",
    BOM,
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",  # an encoded surrogate: not valid UTF-8
    b"\n\n",
    b'""',
    b"x" * 140_000,  # over Python csv's default field limit
    b"," * 1_200,  # more columns than a header may have
    b"2026-13-45",
    b'"https://example.org/q\n"',
]
NOTES = st.text(alphabet=st.sampled_from('ab ,;\t"\n\r\x00é'), max_size=12)


@st.composite
def valid_csv(draw: st.DrawFn) -> bytes:
    """A well-formed inbox file: a url column, other columns, rows written by csv.writer."""
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    header = draw(st.permutations(["url", *draw(st.lists(st.sampled_from(COLUMNS), max_size=3))]))
    rows = draw(st.lists(st.tuples(st.sampled_from(URLS), NOTES, st.sampled_from(DATES)), min_size=1, max_size=6))
    out = io.StringIO()
    terminator = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    if draw(st.booleans()):
        writer = csv.writer(out, delimiter=delimiter, lineterminator=terminator, quoting=csv.QUOTE_ALL)
    else:
        writer = csv.writer(out, delimiter=delimiter, lineterminator=terminator)
    writer.writerow(header)
    for url, note, day in rows:
        by_name = {"url": url, "URL": url, "date": day, "added_on": day}
        writer.writerow([by_name.get(name, note) for name in header])
    data = out.getvalue().encode()
    return BOM + data if draw(st.booleans()) else data


@st.composite
def mutated(draw: st.DrawFn, base: bytes) -> bytes:
    """`base` with a few bytes inserted (mostly) or deleted at random places."""
    data = bytearray(base)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data)))
        if draw(st.integers(0, 3)):
            data[at:at] = draw(st.sampled_from(INSERTS))
        else:
            del data[at : at + draw(st.integers(1, 8))]
    return bytes(data)


MUTATED = valid_csv().flatmap(mutated)
FILE_BYTES = st.one_of(MUTATED, MUTATED, MUTATED, st.binary(max_size=200))  # mostly mutated CSV, some noise
INBOXES = st.lists(st.tuples(st.sampled_from(NAMES), FILE_BYTES), min_size=1, max_size=3, unique_by=lambda f: f[0])


def physical_lines(text: str) -> list[str]:
    """The lines as an editor numbers them: a line ends at \\r\\n, \\r or \\n."""
    lines = re.split(r"\r\n|\r|\n", text)
    return lines[:-1] if lines and lines[-1] == "" else lines


def is_blank(line: str, delimiter: str) -> bool:
    """Only spaces, separators and quotes: a line that may hold no row."""
    return all(ch.isspace() or ch in (delimiter, '"') for ch in line)


def readable_table(name: str, data: bytes) -> tuple[CsvTable, str] | None:
    """The file's table and text when it can be read, else None."""
    if not is_utf8_name(name):
        return None
    try:
        text = decode_csv(display_name(name), data)
        return parse_csv(display_name(name), text), text
    except InboxFileError:
        return None


def expected_days(name: str, table: CsvTable | None) -> set[date]:
    """Every day the file can have rows on (the parser's own rule, to know which days to read)."""
    name_day = date_from_name(name)
    if table is None or name_day is not None:
        return {name_day or DROPPED}
    return {record_day(table, record, date_column(table), DROPPED)[0] for record in table.records}


def check_lines_are_covered(table: CsvTable, text: str, rows: list[dict[str, object]]) -> None:
    lines = physical_lines(text)
    covered: Counter[int] = Counter()
    for record in table.records:
        assert 2 <= record.line <= record.end_line <= len(lines), (record.line, record.end_line, len(lines))
        covered.update(range(record.line, record.end_line + 1))
    for number, line in enumerate(lines[1:], start=2):
        if is_blank(line, table.delimiter):
            assert covered[number] <= 1, (number, line)
        else:
            assert covered[number] == 1, (number, line)
    assert sorted(int(str(row["source_row"])) for row in rows) == [record.line for record in table.records]
    malformed = {record.line for record in table.records if record.problem}
    assert {row["source_row"] for row in rows if row["status"] == "malformed_row"} == malformed


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(files=INBOXES)
def test_a_fuzzed_inbox_never_crashes_and_every_line_is_accounted_for(files: list[tuple[bytes, bytes]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        inbox = Path(folder)
        noon = datetime(DROPPED.year, DROPPED.month, DROPPED.day, 12, tzinfo=UTC).timestamp()
        tables: dict[str, tuple[CsvTable, str] | None] = {}
        days = {DROPPED}
        for raw_name, data in files:
            path = os.path.join(os.fsencode(inbox), raw_name)
            with open(path, "wb") as handle:
                handle.write(data)
            os.utime(path, (noon, noon))
            name = os.fsdecode(raw_name)
            tables[name] = readable_table(name, data)
            days |= expected_days(name, (tables[name] or (None, ""))[0])

        plan = plan_inbox_runs(inbox, None, limit=100)
        sensor_days = {display_name(f.name): set(f.days) for f in plan.files}
        assert {run.day for run in plan.runs} == set().union(*sensor_days.values())
        assert plan_inbox_runs(inbox, plan.cursor, limit=100).runs == []  # the next tick has nothing new

        rows_by_file: dict[str, list[dict[str, object]]] = defaultdict(list)
        ingest_days: dict[str, set[str]] = defaultdict(set)
        for day in sorted(days | {date.fromisoformat(d) for d in set().union(*sensor_days.values())}):
            partition = ingest_frame(inbox_rows(inbox, day))
            assert dict(partition.schema) == INGEST_SCHEMA
            assert partition["record_id"].null_count() == 0 and partition["record_id"].n_unique() == partition.height
            partition.write_parquet(io.BytesIO())  # no lone surrogate or other unstorable value
            for row in partition.to_dicts():
                rows_by_file[str(row["source_file"])].append(row)
                ingest_days[str(row["source_file"])].add(day.isoformat())
        assert ingest_days == sensor_days

        for name, readable in tables.items():
            rows = rows_by_file[display_name(name)]
            if readable is None:
                assert [row["status"] for row in rows] == ["bad_file"], rows
            else:
                check_lines_are_covered(*readable, rows)
