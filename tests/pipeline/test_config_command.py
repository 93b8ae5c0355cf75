"""`content-pipeline config` shows every setting and where it came from, secrets only as set or unset; the command
line reads a `.env` file without overriding what the environment already says."""

import os
import subprocess
import sys
from pathlib import Path

FAKE_KEY = "AIzaSy-fake-key-never-shown-0123456789"
FAKE_HOOK = "https://hooks.example.org/services/T0KEN-never-shown"


def config_output(cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`content-pipeline config` run in `cwd`, with this environment but no other pipeline settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CONTENT_PIPELINE_", "GEMINI_", "DAGSTER_"))}
    return subprocess.run(
        [sys.executable, "-m", "pipeline_defs.cli", "config"],
        check=False, capture_output=True, text=True, timeout=300, env={**clean, **env}, cwd=cwd,
    )  # fmt: skip


def row(output: str, variable: str) -> list[str]:
    """The cells of the line of the setting `variable` sets: field, value, origin, variable."""
    [line] = [line for line in output.splitlines() if line.split() and line.split()[-1] == variable]
    return line.split()


def test_config_shows_values_and_origins_and_never_a_secret(tmp_path: Path) -> None:
    out = config_output(
        tmp_path,
        CONTENT_PIPELINE_HOME=str(tmp_path / "home"),
        GEMINI_API_KEY=FAKE_KEY,
        CONTENT_PIPELINE_ALERT_WEBHOOK=FAKE_HOOK,
        CONTENT_PIPELINE_FETCH_CONCURRENCY="7",
    )
    assert out.returncode == 0, out.stderr
    assert FAKE_KEY not in out.stdout + out.stderr and "T0KEN" not in out.stdout + out.stderr
    assert row(out.stdout, "GEMINI_API_KEY") == ["api_key", "set", "environment", "GEMINI_API_KEY"]
    webhook = "CONTENT_PIPELINE_ALERT_WEBHOOK"
    assert row(out.stdout, webhook) == ["alert_webhook", "set", "environment", webhook]
    assert row(out.stdout, "CONTENT_PIPELINE_SHEETS_CREDENTIALS_JSON")[1] == "unset"
    assert row(out.stdout, "CONTENT_PIPELINE_FETCH_CONCURRENCY")[:3] == ["concurrency", "7", "environment"]
    assert row(out.stdout, "CONTENT_PIPELINE_FETCH_MAX_ATTEMPTS")[:3] == ["max_attempts", "3", "default"]
    assert row(out.stdout, "CONTENT_PIPELINE_WAREHOUSE")[:3] == ["root", str(tmp_path / "home" / "warehouse"), "home"]
    assert "fetcher (FetcherResource)" in out.stdout and "alerts (AlertsResource)" in out.stdout


def test_a_dotenv_file_is_read_but_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "CONTENT_PIPELINE_FETCH_CONCURRENCY=5\nCONTENT_PIPELINE_GEMINI_RPM=10\nGEMINI_API_KEY=" + FAKE_KEY + "\n",
        encoding="utf-8",
    )
    out = config_output(tmp_path, CONTENT_PIPELINE_HOME=str(tmp_path / "home"), CONTENT_PIPELINE_FETCH_CONCURRENCY="9")
    assert out.returncode == 0, out.stderr
    assert f".env read: {tmp_path / '.env'}" in out.stdout
    assert row(out.stdout, "CONTENT_PIPELINE_FETCH_CONCURRENCY")[1:3] == ["9", "environment"]
    assert row(out.stdout, "CONTENT_PIPELINE_GEMINI_RPM")[1:3] == ["10", ".env"]
    assert row(out.stdout, "GEMINI_API_KEY")[1:3] == ["set", ".env"] and FAKE_KEY not in out.stdout


def test_a_bad_variable_is_refused_by_config_naming_it_but_never_a_secrets_value(tmp_path: Path) -> None:
    out = config_output(
        tmp_path,
        CONTENT_PIPELINE_HOME=str(tmp_path / "home"),
        CONTENT_PIPELINE_FETCH_MAX_ATTEMPTS="0",
        CONTENT_PIPELINE_ALERT_WEBHOOK="hooks.example.org/T0KEN",
    )
    assert out.returncode == 2
    assert "CONTENT_PIPELINE_FETCH_MAX_ATTEMPTS='0': expected a whole number >= 1" in out.stderr
    assert "CONTENT_PIPELINE_ALERT_WEBHOOK is not an http:// or https:// URL" in out.stderr
    assert "T0KEN" not in out.stdout + out.stderr
