"""A cache setting holds a path (a SQLite file, as before) or a PostgreSQL URL (a cache shared by every worker); the
URL may hold a password, so it is handled as a secret: an EnvVar in the resources, `set` in `content-pipeline config`,
redacted from alerts, never in a refusal."""

from pathlib import Path

import dagster as dg
import pytest

from content_pipeline.alerts.webhook import secret_values
from content_pipeline.cache_store.location import DatabaseUrl, cache_location
from pipeline_defs.config_report import report_lines
from pipeline_defs.file_checks import check_folders
from pipeline_defs.setting_values import SettingValues
from pipeline_defs.settings import Settings
from pipeline_defs.user_errors import SettingsRefusedError

PASSWORD = "s3cret-passw0rd-never-shown"
URL = f"postgresql://cache:{PASSWORD}@db.internal:5432/caches"


def env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"CONTENT_PIPELINE_HOME": str(tmp_path / "home"), **values}


def test_a_database_url_reaches_the_resources_only_as_its_variable(tmp_path: Path) -> None:
    settings = Settings.from_env(env(tmp_path, CONTENT_PIPELINE_AI_CACHE=URL, CONTENT_PIPELINE_HTTP_CACHE=URL))
    for value in (settings.resources.gemini.ai_cache, settings.resources.fetcher.http_cache):
        assert isinstance(value, dg.EnvVar)
    assert settings.resources.gemini.ai_cache.env_var_name == "CONTENT_PIPELINE_AI_CACHE"  # type: ignore[union-attr]
    assert PASSWORD not in repr(settings)
    check_folders(settings)  # not a place on this disk: nothing to check, nothing refused


def test_a_path_stays_a_path_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env(env(tmp_path, CONTENT_PIPELINE_AI_CACHE="shared/ai.sqlite"))
    assert settings.resources.gemini.ai_cache == str(tmp_path / "shared" / "ai.sqlite")
    assert settings.resources.fetcher.http_cache == str(tmp_path / "home" / "cache" / "http.sqlite")
    assert cache_location(str(settings.resources.gemini.ai_cache)) == tmp_path / "shared" / "ai.sqlite"


def test_config_shows_a_database_url_as_set_and_a_path_as_it_is(tmp_path: Path) -> None:
    lines = report_lines(SettingValues.from_env(env(tmp_path, CONTENT_PIPELINE_AI_CACHE=URL)))
    [ai] = [line for line in lines if line.endswith("CONTENT_PIPELINE_AI_CACHE")]
    [http] = [line for line in lines if line.endswith("CONTENT_PIPELINE_HTTP_CACHE")]
    assert "set (database URL)" in ai and "db.internal" not in ai
    assert str(tmp_path / "home" / "cache" / "http.sqlite") in http
    assert not any(PASSWORD in line for line in lines)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (f"mysql://cache:{PASSWORD}@db/caches", "supports postgresql:// only"),
        (f"postgresql+asyncpg://cache:{PASSWORD}@db/caches", "uses psycopg2"),
        (f"postgresql://cache:{PASSWORD}@db:5432", "names no database"),
    ],
)
def test_a_url_the_cache_cannot_use_is_refused_without_showing_it(tmp_path: Path, url: str, said: str) -> None:
    with pytest.raises(SettingsRefusedError) as refused:
        SettingValues.from_env(env(tmp_path, CONTENT_PIPELINE_HTTP_CACHE=url))
    [problem] = refused.value.problems
    assert problem.startswith("CONTENT_PIPELINE_HTTP_CACHE ") and said in problem and PASSWORD not in problem


def test_the_password_of_a_cache_url_is_redacted_from_alerts() -> None:
    secrets = secret_values({"CONTENT_PIPELINE_AI_CACHE": URL, "CONTENT_PIPELINE_HTTP_CACHE": "/var/cache/http.sqlite"})
    assert secrets == [PASSWORD]


def test_a_bare_postgresql_url_gets_the_installed_driver_and_hides_its_password() -> None:
    location = cache_location(URL)
    assert isinstance(location, DatabaseUrl) and location.url.drivername == "postgresql+psycopg2"
    assert PASSWORD not in location.shown and PASSWORD not in repr(location) and "db.internal" in location.shown
