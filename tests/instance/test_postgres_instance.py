"""The shipped production profile (deploy/postgres/dagster.yaml) against a real PostgreSQL: a partition and a backfill.

The profile is copied into a temporary DAGSTER_HOME unchanged; only its environment variables are filled in.
"""

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml

from content_pipeline.sample_site.server import sample_urls, serve_sample_site
from pipeline_defs.definitions import build_definitions
from pipeline_defs.runner import run_partition
from pipeline_defs.settings import PROJECT_ROOT, Settings
from tests.instance.postgres_server import PostgresServer

PROFILE = PROJECT_ROOT / "deploy" / "postgres" / "dagster.yaml"
STAGES = ("ingest", "fetch", "classify", "categorize", "filed_images", "export", "export_files", "sheet_results")
DAY = "2026-11-24"
BACKFILL_DAYS = ("2026-11-21", "2026-11-22", "2026-11-23")
ALL_DAYS = {DAY, *BACKFILL_DAYS}
URLS_PER_DAY = 4  # a few sample pages a day keep the four runs quick
BACKFILL_TAG = "dagster/backfill"
CONNECTION_VARIABLES = ("DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_DB", "DAGSTER_PG_USERNAME")


def profile_environment(server: PostgresServer, db_name: str) -> dict[str, str]:
    """The environment variables the profile reads, pointing at the test server."""
    return {
        "DAGSTER_PG_HOST": server.host,
        "DAGSTER_PG_PORT": str(server.port),
        "DAGSTER_PG_DB": db_name,
        "DAGSTER_PG_USERNAME": server.username,
        "DAGSTER_PG_PASSWORD": server.password,
    }


def dagster_home_with_profile(home: Path) -> Path:
    """A DAGSTER_HOME holding the shipped profile, byte for byte."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROFILE, home / "dagster.yaml")
    return home


def drop_links(inbox: Path, base_url: str, days: set[str]) -> None:
    """A CSV of a few sample-site links for each day, named with the day."""
    inbox.mkdir(parents=True, exist_ok=True)
    links = [url for url, _ in sample_urls(base_url)][:URLS_PER_DAY]
    for day in sorted(days):
        (inbox / f"links-{day}.csv").write_text("url\n" + "\n".join(links) + "\n", encoding="utf-8")


def failures(result: dg.ExecuteInProcessResult) -> list[str]:
    """The messages of a run's failure events, for an assertion message."""
    return [event.message or event.event_type_value for event in result.all_events if event.is_failure]


def query(server: PostgresServer, db_name: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows straight from PostgreSQL through psycopg2, not through dagster."""
    connection = server.connect(db_name)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())
    finally:
        connection.close()


def test_the_profile_keeps_secrets_in_the_environment_and_names_the_psycopg2_driver() -> None:
    postgres_db = yaml.safe_load(PROFILE.read_text())["storage"]["postgres"]["postgres_db"]
    assert postgres_db["password"] == {"env": "DAGSTER_PG_PASSWORD"}
    for key, variable in zip(("hostname", "port", "db_name", "username"), CONNECTION_VARIABLES, strict=True):
        assert postgres_db[key] == {"env": variable}
    assert postgres_db["scheme"] == "postgresql+psycopg2"


def test_the_profile_loads_with_postgres_storage_a_run_queue_and_run_retries(
    postgres_server: PostgresServer, postgres_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in profile_environment(postgres_server, postgres_database).items():
        monkeypatch.setenv(name, value)
    with dg.DagsterInstance.from_config(str(dagster_home_with_profile(tmp_path / "dagster_home"))) as instance:
        storages = (instance.run_storage, instance.event_log_storage, instance.schedule_storage)
        assert [type(storage).__name__ for storage in storages] == [
            "PostgresRunStorage",
            "PostgresEventLogStorage",
            "PostgresScheduleStorage",
        ]
        coordinator = instance.run_coordinator
        assert isinstance(coordinator, dg.QueuedRunCoordinator)
        concurrency = instance.get_concurrency_config()  # what the daemon's run queue and the steps obey
        assert concurrency.run_queue_config is not None
        assert concurrency.run_queue_config.max_concurrent_runs == 2
        pools = concurrency.pool_config  # each host's politeness and Gemini's quotas hold across all runs
        assert pools.default_pool_limit == 1
        assert pools.pool_granularity is not None and pools.pool_granularity.value == "op"
        assert (instance.run_retries_enabled, instance.run_retries_max_retries) == (True, 2)
        assert instance.run_monitoring_enabled
        assert not instance.telemetry_enabled
    tables = {row[0] for row in query(postgres_server, postgres_database, "select tablename from pg_tables")}
    assert {"runs", "run_tags", "event_logs", "asset_keys", "jobs", "job_ticks", "bulk_actions"} <= tables


@dataclass(frozen=True)
class History:
    """What the module's runs left behind: the database, the DAGSTER_HOME, and the backfill's id."""

    server: PostgresServer
    db_name: str
    home: Path
    backfill_id: str


@pytest.fixture(scope="module")
def history(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    """One partition, then a backfill of three days, run on an instance loaded from the shipped profile."""
    root = tmp_path_factory.mktemp("postgres_instance")
    db_name = postgres_server.create_database("dagster")
    home = dagster_home_with_profile(root / "dagster_home")
    backfill_id = uuid.uuid4().hex[:8]
    settings = Settings.from_env({"CONTENT_PIPELINE_HOME": str(root / "home")}).allowing("127.0.0.1")
    with pytest.MonkeyPatch.context() as patch, serve_sample_site("127.0.0.1", 0) as base_url:
        for name, value in profile_environment(postgres_server, db_name).items():
            patch.setenv(name, value)
        patch.setenv("DAGSTER_HOME", str(home))
        drop_links(settings.inbox, base_url, ALL_DAYS)
        with dg.DagsterInstance.from_config(str(home)) as instance:
            result = run_partition(settings, DAY, instance, log_level="INFO")
            assert result.success, failures(result)
            # The backfill: one run per partition, tagged as one backfill, as the daemon would launch them.
            job = build_definitions(settings).resolve_job_def("pipeline_job")
            for day in BACKFILL_DAYS:
                tags = {BACKFILL_TAG: backfill_id}
                result = job.execute_in_process(partition_key=day, instance=instance, tags=tags, raise_on_error=False)
                assert result.success, (day, failures(result))
        yield History(postgres_server, db_name, home, backfill_id)
    postgres_server.drop_database(db_name)


def test_run_history_lands_in_postgres(history: History) -> None:
    rows = query(history.server, history.db_name, "select partition, status, backfill_id, pipeline_name from runs")
    assert sorted(rows) == sorted(
        [(DAY, "SUCCESS", None, "pipeline_job")]
        + [(day, "SUCCESS", history.backfill_id, "pipeline_job") for day in BACKFILL_DAYS]
    )
    tagged = query(history.server, history.db_name, "select value from run_tags where key = 'dagster/partition'")
    assert sorted(value for (value,) in tagged) == sorted(ALL_DAYS)


def test_every_stage_and_partition_has_its_materialization_in_postgres(history: History) -> None:
    rows = query(
        history.server,
        history.db_name,
        "select asset_key, partition, count(*) from event_logs"
        " where dagster_event_type = 'ASSET_MATERIALIZATION' group by asset_key, partition",
    )
    assert sorted(rows) == sorted((f'["{stage}"]', day, 1) for stage in STAGES for day in ALL_DAYS)


def test_another_process_on_the_same_profile_sees_the_runs_and_materializations(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the webserver or the daemon would: a second instance from the same DAGSTER_HOME and environment."""
    for name, value in profile_environment(history.server, history.db_name).items():
        monkeypatch.setenv(name, value)
    with dg.DagsterInstance.from_config(str(history.home)) as instance:
        runs = instance.get_runs()
        assert len(runs) == 1 + len(BACKFILL_DAYS)
        assert {run.status for run in runs} == {dg.DagsterRunStatus.SUCCESS}
        backfill_runs = instance.get_runs(filters=dg.RunsFilter(tags={BACKFILL_TAG: history.backfill_id}))
        assert sorted(run.tags["dagster/partition"] for run in backfill_runs) == sorted(BACKFILL_DAYS)
        exports = instance.fetch_materializations(dg.AssetKey("export"), limit=10).records
        assert sorted(record.partition_key or "" for record in exports) == sorted(ALL_DAYS)
        metadata = exports[0].asset_materialization.metadata if exports[0].asset_materialization else {}
        assert metadata["dagster/row_count"].value == URLS_PER_DAY
        for stage in STAGES:
            assert instance.get_materialized_partitions(dg.AssetKey(stage)) == ALL_DAYS, stage
    assert not list(history.home.rglob("*.db")), "nothing may fall back to SQLite files under DAGSTER_HOME"
