"""export_files with the output on an S3-compatible store (moto on 127.0.0.1, through the real s3fs client): the same
bytes as in a folder, replaced whole by a rerun, left as they were by a failed export, and one line for a bucket that
is not there."""

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from content_pipeline.export.files_stage import REPORT_FILE, made_from, rows_in_files, write_stored_day
from content_pipeline.export.output_store import ObjectOutput, output_at
from content_pipeline.export.records import extra_names
from content_pipeline.export.stage import export_stored_day
from content_pipeline.export.writers import DayFiles
from content_pipeline.stages import Stage
from content_pipeline.warehouse.object_storage import s3_filesystem
from content_pipeline.warehouse.partition_store import PartitionStore
from tests.core.export.test_export_split import KEY, filer
from tests.core.export.test_export_split import store as store  # the fixture
from tests.fakes.s3_server import SECRET
from tests.fakes.s3_server import s3_endpoint as s3_endpoint  # the fixtures
from tests.fakes.s3_server import s3_root as s3_root

PROJECT_ROOT = Path(__file__).resolve().parents[3]
NAMES = ("records.csv", "records.parquet", REPORT_FILE)


@pytest.fixture
def exported(store: PartitionStore, tmp_path: Path) -> PartitionStore:
    """The export partition of test_export_split's day (its image filed in a local folder)."""
    from content_pipeline.export.filing_stage import file_stored_day

    file_stored_day(store, KEY, filer(tmp_path / "images", []), None, "stamp")
    export_stored_day(store, KEY, "stamp")
    return store


@pytest.fixture
def output(s3_root: str) -> str:
    """`s3://<the test's bucket>/output`."""
    return s3_root.rsplit("/", 1)[0] + "/output"


def objects_under(prefix: str) -> dict[str, bytes]:
    """Every object below `prefix` (an s3:// URL), by its key below it, with its bytes."""
    fs = s3_filesystem()
    bare = prefix.removeprefix("s3://")
    return {key[len(bare) + 1 :]: bytes(fs.cat_file(key)) for key in fs.find(bare)}


def test_a_day_exported_to_s3_is_byte_for_byte_the_day_exported_to_a_folder(
    exported: PartitionStore, tmp_path: Path, output: str
) -> None:
    local = write_stored_day(exported, KEY, tmp_path / "output", "files-stamp")
    on_s3 = write_stored_day(exported, KEY, output, "files-stamp")
    assert on_s3.files == {"csv": f"{output}/{KEY}/records.csv", "parquet": f"{output}/{KEY}/records.parquet"}
    assert on_s3.report == f"{output}/{KEY}/{REPORT_FILE}"
    stored = objects_under(output)
    assert sorted(stored) == [f"{KEY}/{name}" for name in sorted(NAMES)]  # nothing else: no spool file, no folder
    for name in NAMES:
        assert stored[f"{KEY}/{name}"] == (tmp_path / "output" / KEY / name).read_bytes(), name
    assert (
        rows_in_files(on_s3.files) == rows_in_files(local.files) == {"csv": len(local.rows), "parquet": len(local.rows)}
    )
    assert s3_filesystem().info(str(on_s3.report))["ContentType"] == "text/html"  # opens as a page from a link


def test_a_rerun_on_s3_keeps_an_unchanged_day_and_replaces_a_changed_one_without_duplicates(
    exported: PartitionStore, output: str
) -> None:
    first = write_stored_day(exported, KEY, output, "files-stamp")
    before = {key: s3_filesystem().info(f"{output}/{key}")["ETag"] for key in objects_under(output)}
    kept = write_stored_day(exported, KEY, output, "files-stamp")
    assert kept.unchanged and len(kept.rows) == len(first.rows)
    assert {key: s3_filesystem().info(f"{output}/{key}")["ETag"] for key in objects_under(output)} == before

    s3_filesystem().rm(str(first.report))  # one file gone: the three are written again
    assert not write_stored_day(exported, KEY, output, "files-stamp").unchanged
    again = write_stored_day(exported, KEY, output, "another-stamp")
    assert not again.unchanged
    assert made_from(again.files["parquet"]) == f"another-stamp|export={exported.stored_version(Stage.EXPORT, KEY)}"
    assert sorted(objects_under(output)) == [f"{KEY}/{name}" for name in sorted(NAMES)]  # replaced, not added


def test_a_failed_export_to_s3_leaves_the_previous_files(exported: PartitionStore, output: str) -> None:
    write_stored_day(exported, KEY, output, "files-stamp")
    before = objects_under(output)
    records = exported.read(Stage.EXPORT, KEY)
    with pytest.raises(RuntimeError, match="disk full"), DayFiles(output_at(output), KEY, extra_names(records)) as day:
        day.add(records.head(1))  # a chunk written, then the export fails
        raise RuntimeError("disk full")
    assert objects_under(output) == before
    assert day.temporary and not [spool for spool in day.temporary.values() if spool.exists()]  # spools removed


def test_a_missing_bucket_is_one_line_that_says_what_to_check_and_no_secret(
    exported: PartitionStore, s3_root: str
) -> None:
    missing = "s3://no-such-bucket-for-outputs/output"
    with pytest.raises(FileNotFoundError) as raised:
        write_stored_day(exported, KEY, missing, "files-stamp")
    message = str(raised.value)
    assert "\n" not in message and SECRET not in message
    assert message.startswith(f"cannot write {missing}/{KEY}/{REPORT_FILE}: ")
    assert "the bucket must exist" in message and "AWS_ACCESS_KEY_ID" in message


def test_an_output_url_without_a_bucket_or_of_another_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="name a bucket"):
        output_at("s3://b/output")
    with pytest.raises(ValueError, match="only a local folder or an S3-compatible store"):
        output_at("gs://bucket/output")
    assert isinstance(output_at("s3://bucket/output/"), ObjectOutput)
    assert output_at("s3://bucket/output/").root == "s3://bucket/output"


def test_the_csv_on_s3_reads_back_as_the_rows_of_the_export_partition(exported: PartitionStore, output: str) -> None:
    written = write_stored_day(exported, KEY, output, "files-stamp")
    with output_at(output).local_copy(written.files["csv"]) as path:
        csv = pl.read_csv(path, infer_schema=False)
    assert sorted(csv["record_id"].to_list()) == sorted(exported.read(Stage.EXPORT, KEY)["record_id"].to_list())


def test_a_local_output_never_loads_s3fs(tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path; import polars as pl\n"
        "from content_pipeline.export.output_store import output_at\n"
        "from content_pipeline.export.report import write_report\n"
        "from content_pipeline.export.writers import DayFiles\n"
        f"out = output_at({str(tmp_path)!r})\n"
        "with DayFiles(out, 'd', []) as day: day.add(pl.DataFrame({'record_id': ['a'], 'extra': [None]}))\n"
        "write_report(pl.DataFrame({'status': ['ok']}), out.join('d', 'report.html'), 'd', out)\n"
        "print('s3fs' in sys.modules, 'botocore' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=PROJECT_ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["records.csv", "records.parquet", "report.html"]


def test_a_day_whose_files_failed_halfway_is_written_again_by_the_next_run(
    exported: PartitionStore, output: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_stored_day(exported, KEY, output, "files-stamp")
    published: list[str] = []
    upload = ObjectOutput.publish

    def fail_on_the_parquet_file(self: ObjectOutput, spool: Path, target: str) -> None:
        if str(target).endswith(".parquet"):
            raise PermissionError("cannot write: the store refused it")
        published.append(str(target).rsplit("/", 1)[-1])
        upload(self, spool, target)

    monkeypatch.setattr(ObjectOutput, "publish", fail_on_the_parquet_file)
    with pytest.raises(PermissionError):
        write_stored_day(exported, KEY, output, "another-stamp")
    assert published == [REPORT_FILE, "records.csv"]  # the parquet file, which says what they were made from, last
    monkeypatch.setattr(ObjectOutput, "publish", upload)
    assert (
        made_from(f"{output}/{KEY}/records.parquet") == f"files-stamp|export={exported.stored_version('export', KEY)}"
    )
    assert not write_stored_day(exported, KEY, output, "another-stamp").unchanged  # written again, not kept
