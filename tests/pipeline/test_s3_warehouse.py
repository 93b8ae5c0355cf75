"""The whole job for a day of the sample site with the warehouse and the outputs on an S3-compatible store (moto on
127.0.0.1) gives the rows and files it gives with local folders, and its catalog's views read them; the store's secret
shows nowhere."""

from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
from polars.testing import assert_frame_equal

from content_pipeline.sample_site.server import sample_urls
from content_pipeline.warehouse.catalog import register_warehouse
from content_pipeline.warehouse.content_hash import VOLATILE_COLUMNS
from content_pipeline.warehouse.object_storage import s3_filesystem
from content_pipeline.warehouse.partition_store import PartitionStore
from pipeline_defs.runner import run_partition
from pipeline_defs.settings import Settings
from pipeline_defs.variables import START_DATE
from tests.conftest import TESTS_START_DATE
from tests.fakes.s3_server import SECRET
from tests.fakes.s3_server import s3_endpoint as s3_endpoint  # the fixtures
from tests.fakes.s3_server import s3_root as s3_root
from tests.pipeline.cli_process import content_pipeline

DAY = "2026-11-24"
STAGES = ("ingest", "fetch", "classify", "categorize", "filed_images", "export")
WHERE_FILED = ("filed_path",)  # under each run's own images folder


def settings_under(home: Path, site: str, **variables: str) -> Settings:
    env = {"CONTENT_PIPELINE_HOME": str(home), START_DATE: TESTS_START_DATE, **variables}
    settings = Settings.from_env(env).allowing("127.0.0.1")
    settings.inbox.mkdir(parents=True)
    lines = ["url,expected_kind"] + [f"{url},{kind}" for url, kind in sample_urls(site)]
    (settings.inbox / f"site-{DAY}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return settings


def comparable(export: pl.DataFrame) -> pl.DataFrame:
    return export.drop([*VOLATILE_COLUMNS["export"], *WHERE_FILED]).sort("record_id")


def test_a_day_on_an_s3_warehouse_exports_the_rows_a_local_folder_gets(
    tmp_path: Path, sample_site: str, instance: dg.DagsterInstance, s3_root: str
) -> None:
    output = s3_root.rsplit("/", 1)[0] + "/output"
    local = settings_under(tmp_path / "local", sample_site)
    on_s3 = settings_under(
        tmp_path / "s3", sample_site, CONTENT_PIPELINE_WAREHOUSE=s3_root, CONTENT_PIPELINE_OUTPUT=output
    )
    assert on_s3.warehouse_root == s3_root  # kept as a URL, not made a path under the working folder
    assert (on_s3.output_root, on_s3.images_root) == (output, f"{output}/images")  # images follow the output
    assert run_partition(local, DAY, instance).success
    result = run_partition(on_s3, DAY, instance)
    assert result.success

    store = PartitionStore(on_s3.warehouse_root)
    assert [stage for stage in STAGES if store.exists(stage, DAY)] == list(STAGES)
    assert not (tmp_path / "s3" / "warehouse").exists()  # nothing went to the home folder's default
    assert not (tmp_path / "s3" / "output").exists()
    exported = store.read("export", DAY)
    assert len(exported) == len(sample_urls(sample_site)) and exported["record_id"].is_unique().all()
    assert_frame_equal(comparable(exported), comparable(PartitionStore(local.warehouse_root).read("export", DAY)))

    with duckdb.connect(str(on_s3.catalog), read_only=True) as con:
        register_warehouse(con, s3_root)
        assert con.sql(f"select count(*) from export where date = '{DAY}'").fetchall() == [(len(exported),)]
    query = "select count(*) || ' rows' as counted from export"
    out = content_pipeline(tmp_path / "s3", "sql", query, CONTENT_PIPELINE_WAREHOUSE=s3_root)  # AWS_* inherited
    assert out.returncode == 0 and f"{len(exported)} rows" in out.stdout, out.stderr

    fs = s3_filesystem()
    for name in ("records.csv", "records.parquet", "report.html"):  # the day's files: the same data as a folder's
        assert fs.isfile(f"{output}/{DAY}/{name}"), name
    assert_frame_equal(comparable(pl.read_parquet(fs.cat_file(f"{output}/{DAY}/records.parquet"))), comparable(
        pl.read_parquet(local.output / DAY / "records.parquet")))  # fmt: skip
    filed = exported.filter(pl.col("filed_path").is_not_null())["filed_path"].to_list()
    assert len(filed) == 2 and all(fs.isfile(f"{output}/images/{path}") for path in filed)  # the two images
    local_filed = PartitionStore(local.warehouse_root).read("export", DAY)["filed_path"].drop_nulls().to_list()
    assert sorted(filed) == sorted(local_filed)

    files_event = instance.get_latest_materialization_event(dg.AssetKey("export_files"))
    assert files_event is not None and files_event.asset_materialization is not None
    files_shown = files_event.asset_materialization.metadata
    assert files_shown["csv_file"] == dg.MetadataValue.path(f"{output}/{DAY}/records.csv")
    assert files_shown["report"] == dg.MetadataValue.path(f"{output}/{DAY}/report.html")
    shown = [repr(files_shown)]
    for stage in STAGES:
        event = instance.get_latest_materialization_event(dg.AssetKey(stage))
        assert event is not None and event.asset_materialization is not None
        shown.append(repr(event.asset_materialization.metadata))
    assert f"{s3_root}/export/date={DAY}/part.parquet" in shown[-1]
    assert (
        f"{output}/images" in shown[-2]
    )  # filed_images says where the images are  # where the partition is, as its URL
    logs = [repr(event) for event in instance.all_logs(result.run_id)]
    assert not [text for text in shown + logs if SECRET in text]


def test_an_output_bucket_that_does_not_exist_ends_the_run_with_one_line_saying_so(
    tmp_path: Path, s3_root: str
) -> None:
    missing = "s3://no-such-bucket-for-outputs/output"
    out = content_pipeline(tmp_path / "home", "run", "--date", DAY, CONTENT_PIPELINE_OUTPUT=missing)  # AWS_* inherited
    assert out.returncode == 1
    last = out.stderr.strip().splitlines()[-1]
    assert last == (
        f"export_files failed: Exceeded max_retries of 2: FileNotFoundError: cannot write {missing}/{DAY}/report.html: "
        "The specified bucket does not exist (the bucket must exist, and the key that AWS_ACCESS_KEY_ID, "
        "AWS_SECRET_ACCESS_KEY or AWS_PROFILE name must be allowed to write it at AWS_ENDPOINT_URL)"
    )
    assert SECRET not in out.stderr + out.stdout
