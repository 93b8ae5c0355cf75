"""Fetch limits set in the environment reach the fetcher a run gets; a bad one stops the code location loading."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from content_pipeline.fetch.settings import FetchSettings
from pipeline_defs.definitions import build_definitions
from pipeline_defs.settings import Settings
from resources.fetcher import FetcherResource
from tests.pipeline.test_fetch_variables import fetch_settings_from_env, sample_env


def fetcher_of_a_run(settings: Settings) -> FetcherResource:
    """The fetcher resource as Dagster hands it to the fetch asset of the Definitions built from `settings`."""
    resource = build_definitions(settings).get_repository_def().get_top_level_resources()["fetcher"]
    with dg.build_resources({"fetcher": resource}) as built:
        fetcher = built.fetcher
    assert isinstance(fetcher, FetcherResource)
    return fetcher


def test_every_fetch_limit_set_in_the_environment_reaches_the_fetcher_of_a_run(tmp_path: Path) -> None:
    env = {"CONTENT_PIPELINE_HOME": str(tmp_path), "CONTENT_PIPELINE_FETCH_IGNORE_ROBOTS": "partner-*.csv"}
    fetcher = fetcher_of_a_run(Settings.from_env({**env, **sample_env()}))
    assert fetcher.settings() == fetch_settings_from_env(sample_env())
    assert fetcher.settings() != FetchSettings()
    assert fetcher.ignore_robots == ["partner-*.csv"]
    assert fetcher.http_cache == str(tmp_path / "cache" / "http.sqlite")


def test_with_no_fetch_variable_set_the_fetcher_of_a_run_keeps_the_defaults(tmp_path: Path) -> None:
    fetcher = fetcher_of_a_run(Settings.from_env({"CONTENT_PIPELINE_HOME": str(tmp_path)}))
    assert fetcher.settings() == FetchSettings()


def test_allowing_a_host_keeps_the_limits_set_in_the_environment(tmp_path: Path) -> None:
    env = {"CONTENT_PIPELINE_HOME": str(tmp_path), "CONTENT_PIPELINE_FETCH_CONCURRENCY": "3"}
    settings = Settings.from_env({**env, "CONTENT_PIPELINE_FETCH_ALLOW_PRIVATE": "10.0.0.0/8"}).allowing("127.0.0.1")
    fetcher = settings.resources.fetcher
    assert (fetcher.concurrency, fetcher.allow_private) == (3, ["10.0.0.0/8", "127.0.0.1"])


def test_a_bad_fetch_variable_stops_the_code_location_loading_with_a_message_naming_it(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CONTENT_PIPELINE_HOME": str(tmp_path),
        "CONTENT_PIPELINE_FETCH_CONCURRENCY": "abc",
        "CONTENT_PIPELINE_FETCH_MAX_ATTEMPTS": "0",
    }
    out = subprocess.run(
        [sys.executable, "-c", "import pipeline_defs.definitions"],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,  # a hang guard only
    )
    assert out.returncode != 0
    assert "CONTENT_PIPELINE_FETCH_CONCURRENCY='abc': expected a whole number >= 1" in out.stderr
    assert "CONTENT_PIPELINE_FETCH_MAX_ATTEMPTS='0': expected a whole number >= 1" in out.stderr
