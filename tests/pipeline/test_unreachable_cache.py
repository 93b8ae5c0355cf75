"""A shared cache database nobody can sign in to: `content-pipeline run` refuses in one line before it starts, and
a run that meets it anyway fails its step (retried by the step's policy) with that line, storing no rows."""

import socket
from pathlib import Path

import dagster as dg
import pytest

from content_pipeline.sample_site.server import sample_urls
from content_pipeline.warehouse.partition_store import PartitionStore
from pipeline_defs.cli import main
from pipeline_defs.file_checks import check_cache_databases
from pipeline_defs.runner import run_partition
from pipeline_defs.settings import Settings
from pipeline_defs.step_failures import failure_line
from pipeline_defs.user_errors import UserError
from pipeline_defs.variables import START_DATE
from tests.conftest import TESTS_START_DATE
from tests.instance.postgres_server import PostgresServer, postgres_database, postgres_server

__all__ = ["postgres_database", "postgres_server"]
DAY = "2026-11-24"
PASSWORD = "not-the-password-42"
HTTP, AI = "CONTENT_PIPELINE_HTTP_CACHE", "CONTENT_PIPELINE_AI_CACHE"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def home_env(tmp_path: Path, **caches: str) -> dict[str, str]:
    return {"CONTENT_PIPELINE_HOME": str(tmp_path / "home"), START_DATE: TESTS_START_DATE, **caches}


def test_a_run_meeting_a_closed_port_fails_its_fetch_step_with_one_line_and_stores_no_rows(
    tmp_path: Path, sample_site: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = closed_port()
    url = f"postgresql://pipe:{PASSWORD}@127.0.0.1:{port}/caches"
    monkeypatch.setenv(HTTP, url)  # a database URL reaches a run through its variable only
    settings = Settings.from_env(home_env(tmp_path, **{HTTP: url})).allowing("127.0.0.1")
    settings.inbox.mkdir(parents=True)
    urls = [u for u, _ in sample_urls(sample_site)][:2]
    (settings.inbox / f"links-{DAY}.csv").write_text("url\n" + "\n".join(urls) + "\n", encoding="utf-8")
    result = run_partition(settings, DAY, instance, log_level="CRITICAL")
    assert not result.success
    [failure] = [event for event in result.all_node_events if event.is_step_failure]
    line = failure_line(failure.step_failure_data.error)
    assert failure.step_key == "fetch" and line.startswith("Exceeded max_retries")  # the step's policy retried it
    assert f"CacheDatabaseError: {HTTP}: cannot use the shared cache database " in line
    assert f"pipe:***@127.0.0.1:{port}/caches: connection refused" in line
    assert "\n" not in line and PASSWORD not in line
    store = PartitionStore(settings.warehouse)
    assert store.exists("ingest", DAY) and not store.exists("fetch", DAY)  # no row was marked failed


def test_the_run_command_refuses_a_refused_password_in_one_line_before_it_starts(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    postgres_server: PostgresServer,
    postgres_database: str,
) -> None:
    server = postgres_server
    wrong = f"postgresql://{server.username}:{PASSWORD}@{server.host}:{server.port}/{postgres_database}"
    for name, value in home_env(tmp_path, **{HTTP: wrong, AI: wrong}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no .env of the current folder
    assert main(["run", "--date", DAY]) == 2
    said = capsys.readouterr().err.strip()
    assert said.startswith(f"content-pipeline run: {HTTP} and {AI}: cannot use the shared cache database ")
    assert f'password authentication failed for user "{server.username}"' in said
    assert "\n" not in said and PASSWORD not in said and server.password not in said
    assert not (tmp_path / "home" / "warehouse").exists()  # nothing ran


def test_the_check_passes_a_database_it_can_sign_in_to_and_names_the_variable_of_a_missing_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_server: PostgresServer, postgres_database: str
) -> None:
    good = postgres_server.url(postgres_database, scheme="postgresql")
    missing = postgres_server.url("no_such_cache_db", scheme="postgresql")
    for caches in ({HTTP: good, AI: good}, {HTTP: good, AI: missing}):
        for name, value in caches.items():
            monkeypatch.setenv(name, value)  # the check reads the URL from its variable, as the run does
        settings = Settings.from_env(home_env(tmp_path, **caches))
        if caches[AI] == good:
            check_cache_databases(settings)
            continue
        with pytest.raises(UserError) as refused:
            check_cache_databases(settings)
        assert str(refused.value).startswith(f"{AI}: ") and 'database "no_such_cache_db" does not' in str(refused.value)
