"""The daily close, the inbox sensor, the failure alert and the code versions, as the Definitions wire them."""

import json
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from assets.partitions import daily_partitions
from content_pipeline.categorize.taxonomy import DEFAULT_TAXONOMY_PATH
from pipeline_defs.definitions import AUTOMATION_LABEL, build_definitions
from pipeline_defs.runner import run_partition
from pipeline_defs.settings import Settings
from pipeline_defs.variables import START_DATE
from tests.conftest import TESTS_START_DATE
from tests.core.test_alert_webhook import RecordingWebhook, recording_webhook
from tests.pipeline.sensor_ticks import sensor_tick

DAY = (datetime.now(UTC) - timedelta(days=5)).date()  # a day that has a partition whenever the tests run


def settings_for(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"CONTENT_PIPELINE_HOME": str(tmp_path / "home"), START_DATE: TESTS_START_DATE, **env})


def close_requests(timezone: str, local: datetime) -> list[dg.RunRequest]:
    defs = build_definitions(settings_for(Path("/nonexistent"), CONTENT_PIPELINE_TIMEZONE=timezone))
    schedule = defs.resolve_schedule_def("daily_close_schedule")
    assert schedule.execution_timezone == timezone and schedule.cron_schedule == "5 0 * * *"
    context = dg.build_schedule_context(
        scheduled_execution_time=local.replace(tzinfo=ZoneInfo(timezone)), repository_def=defs.get_repository_def()
    )
    data = schedule.evaluate_tick(context)
    return list(data.run_requests or [])


def test_the_close_runs_the_day_that_just_ended_once_whatever_the_time_zone() -> None:
    [utc] = close_requests("UTC", datetime(2026, 3, 10, 0, 5))
    assert (utc.partition_key, utc.run_key) == ("2026-03-09", "close:2026-03-09")
    [new_york] = close_requests("America/New_York", datetime(2026, 3, 10, 0, 5))  # 04:05 UTC
    assert (new_york.partition_key, new_york.run_key) == ("2026-03-09", "close:2026-03-09")
    # Tokyo's midnight is 15:05 UTC of the day before, which is still taking files: the close takes the day before
    [tokyo] = close_requests("Asia/Tokyo", datetime(2026, 3, 10, 0, 5))
    assert tokyo.partition_key == "2026-03-08"


def test_a_time_zone_that_does_not_exist_is_refused_naming_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="CONTENT_PIPELINE_TIMEZONE='Mars/Olympus'"):
        settings_for(tmp_path, CONTENT_PIPELINE_TIMEZONE="Mars/Olympus")
    with pytest.raises(ValueError, match="CONTENT_PIPELINE_ALERT_WEBHOOK is not an http"):
        settings_for(tmp_path, CONTENT_PIPELINE_ALERT_WEBHOOK="hooks.example.org/T0KEN")


def test_schedules_and_sensors_start_as_documented(tmp_path: Path) -> None:
    repo = build_definitions(settings_for(tmp_path)).get_repository_def()
    statuses: dict[str, object] = {s.name: s.default_status for s in repo.schedule_defs}
    statuses.update({s.name: s.default_status for s in repo.sensor_defs})
    assert statuses == {
        "daily_close_schedule": dg.DefaultScheduleStatus.STOPPED,
        "inbox_files_sensor": dg.DefaultSensorStatus.STOPPED,
        "sheet_rows_sensor": dg.DefaultSensorStatus.STOPPED,  # no spreadsheet configured
        "run_failure_alert_sensor": dg.DefaultSensorStatus.RUNNING,
        "eager_automation_sensor": dg.DefaultSensorStatus.STOPPED,
    }


def inbox_tick(
    defs: dg.Definitions, settings: Settings, instance: dg.DagsterInstance, cursor: str | None
) -> tuple[list[dg.RunRequest], str]:
    return sensor_tick(settings, instance, "inbox_files_sensor", "inbox", cursor)


def drop(inbox: Path, name: str, text: str) -> None:
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / name).write_text(text, encoding="utf-8")


def test_inbox_files_start_one_run_per_day_and_the_same_files_never_start_two(
    tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    settings = settings_for(tmp_path)
    defs = build_definitions(settings)
    earlier, later = DAY - timedelta(days=1), DAY
    drop(settings.inbox, f"links-{later}.csv", "url\nhttps://example.org/a\n")
    drop(settings.inbox, "dated.csv", f"url,date\nhttps://example.org/b,{earlier}\nhttps://example.org/c,1990-01-01\n")

    first, cursor = inbox_tick(defs, settings, instance, None)
    assert [(r.partition_key, r.tags["source"]) for r in first] == [(str(later), "inbox"), (str(earlier), "inbox")]
    assert all(r.run_key and r.run_key.startswith(f"inbox:{r.partition_key}:") for r in first)
    assert first[0].job_name in (None, "pipeline_job")  # the sensor's job: pipeline_job
    assert inbox_tick(defs, settings, instance, cursor)[0] == []  # nothing new: no second run

    drop(settings.inbox, f"links-{later}.csv", "url\nhttps://example.org/a\nhttps://example.org/a2\n")
    [again], cursor = inbox_tick(defs, settings, instance, cursor)
    assert again.partition_key == str(later) and again.run_key != first[0].run_key

    lost, _ = inbox_tick(defs, settings, instance, None)  # the cursor is lost: the same keys, Dagster drops them
    assert {r.run_key for r in lost} == {again.run_key, first[1].run_key}


def failed_run_context(instance: dg.DagsterInstance, secret: str, settings: Settings) -> dg.RunFailureSensorContext:
    @dg.op
    def categorize_step() -> None:
        raise RuntimeError(f"Gemini refused key {secret}")

    @dg.job(tags={"dagster/partition": "2026-11-23"})
    def pipeline_job() -> None:
        categorize_step()

    result = pipeline_job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    return dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert_sensor",
        dagster_event=result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        resources={"alerts": settings.resources.alerts},
    ).for_run_failure()


@pytest.fixture
def webhook() -> Iterator[RecordingWebhook]:
    with recording_webhook() as hook:
        yield hook


def test_a_failed_run_is_posted_to_the_webhook_without_secrets(
    tmp_path: Path, instance: dg.DagsterInstance, webhook: RecordingWebhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "AIzaSy-not-to-be-seen-0123456789"
    monkeypatch.setenv("GEMINI_API_KEY", secret)
    monkeypatch.setenv("CONTENT_PIPELINE_ALERT_WEBHOOK", webhook.url)
    monkeypatch.setenv("CONTENT_PIPELINE_DAGSTER_URL", "http://127.0.0.1:3000")
    settings = Settings.from_env({**os.environ, "CONTENT_PIPELINE_HOME": str(tmp_path / "home")})
    webhook_field = settings.resources.alerts.alert_webhook
    assert isinstance(webhook_field, dg.EnvVar) and webhook_field.env_var_name == "CONTENT_PIPELINE_ALERT_WEBHOOK"
    sensor = build_definitions(settings).resolve_sensor_def("run_failure_alert_sensor")
    context = failed_run_context(instance, secret, settings)

    sensor(context)  # type: ignore[call-arg]

    [posted] = webhook.posts
    assert posted["job"] == "pipeline_job" and posted["partition"] == "2026-11-23"
    assert posted["run_id"] == context.dagster_run.run_id
    assert posted["dagster_url"] == f"http://127.0.0.1:3000/runs/{context.dagster_run.run_id}"
    assert "categorize_step: RuntimeError: Gemini refused key [redacted]" in str(posted["error"])
    body = json.dumps(posted)
    assert secret not in body and webhook.url not in body and "T0KEN" not in body


def test_without_a_webhook_a_failed_run_is_only_logged(
    tmp_path: Path, instance: dg.DagsterInstance, webhook: RecordingWebhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CONTENT_PIPELINE_ALERT_WEBHOOK", raising=False)
    settings = settings_for(tmp_path)
    sensor = build_definitions(settings).resolve_sensor_def("run_failure_alert_sensor")
    sensor(failed_run_context(instance, "whatever-secret", settings))  # type: ignore[call-arg]
    assert webhook.posts == []


def test_a_changed_taxonomy_file_changes_only_the_categorize_code_version(tmp_path: Path) -> None:
    taxonomy = tmp_path / "taxonomy.yaml"
    shutil.copy(DEFAULT_TAXONOMY_PATH, taxonomy)
    settings = settings_for(tmp_path, CONTENT_PIPELINE_TAXONOMY=str(taxonomy))

    def versions() -> dict[str, str | None]:
        graph = build_definitions(settings).resolve_asset_graph()
        return {key.to_user_string(): graph.get(key).code_version for key in graph.get_all_asset_keys()}

    before = versions()
    assert all(before.values())
    taxonomy.write_text(
        taxonomy.read_text(encoding="utf-8") + "  - name: Gardening\n    description: Plants, soil and seeds.\n",
        encoding="utf-8",
    )
    after = versions()
    assert {k for k in before if before[k] != after[k]} == {"categorize"}


def test_the_stages_below_ingest_are_eager_and_the_automation_sensor_targets_them(tmp_path: Path) -> None:
    defs = build_definitions(settings_for(tmp_path))
    graph = defs.resolve_asset_graph()
    conditions = {k.to_user_string(): graph.get(k).automation_condition for k in graph.get_all_asset_keys()}
    assert conditions["ingest"] is None
    assert {k for k, c in conditions.items() if c is not None and c.get_label() == AUTOMATION_LABEL} == {
        "fetch",
        "classify",
        "categorize",
        "filed_images",
        "export",
        "export_files",
        "sheet_results",
    }
    sensor = defs.resolve_sensor_def("eager_automation_sensor")
    assert isinstance(sensor, dg.AutomationConditionSensorDefinition)
    assert "default_automation_condition_sensor" not in {s.name for s in defs.get_repository_def().sensor_defs}


def test_the_day_to_close_is_a_partition(tmp_path: Path) -> None:
    [request] = close_requests("UTC", datetime.combine(DAY, datetime.min.time()).replace(hour=0, minute=5))
    assert date.fromisoformat(str(request.partition_key)) == DAY - timedelta(days=1)


def test_eager_automation_leaves_whole_pipeline_runs_alone_and_carries_a_lone_ingest_down(
    tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    settings = settings_for(tmp_path)  # an empty inbox: every stage stores an empty partition in seconds
    defs = build_definitions(settings)
    today = daily_partitions.get_last_partition_key()
    assert today is not None
    tick = dg.evaluate_automation_conditions(defs, instance)
    assert tick.total_requested == 0  # turning the sensor on starts nothing

    assert run_partition(settings, today, instance).success  # what the sensors and the schedule launch
    tick = dg.evaluate_automation_conditions(defs, instance, cursor=tick.cursor)
    assert tick.total_requested == 0  # eager ignores parents updated by a run that also updated the child

    assets_job = defs.resolve_implicit_global_asset_job_def()
    ingest_only = assets_job.execute_in_process(
        instance=instance, partition_key=today, asset_selection=[dg.AssetKey("ingest")]
    )
    assert ingest_only.success
    tick = dg.evaluate_automation_conditions(defs, instance, cursor=tick.cursor)
    stages = ("ingest", "fetch", "classify", "categorize", "filed_images", "export", "export_files", "sheet_results")
    requested = {stage: tick.get_requested_partitions(dg.AssetKey(stage)) for stage in stages}
    assert requested == {"ingest": set(), **{stage: {today} for stage in stages[1:]}}
