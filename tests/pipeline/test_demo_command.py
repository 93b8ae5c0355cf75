"""The README's first command: the demo, as a newcomer runs it, in a fresh home."""

import os
import subprocess
import sys
from pathlib import Path

from pipeline_defs.settings import PROJECT_ROOT


def test_the_demo_serves_the_sample_site_runs_today_and_prints_a_summary(tmp_path: Path) -> None:
    env = dict(os.environ, CONTENT_PIPELINE_HOME=str(tmp_path / "home"), DAGSTER_HOME=str(tmp_path / "dagster"))
    env.pop("GEMINI_API_KEY", None)
    out = subprocess.run(
        [sys.executable, "-m", "pipeline_defs.cli", "demo", "--port", "0", "--date", "2026-11-24"],
        check=False, capture_output=True, text=True, timeout=600, env=env, cwd=PROJECT_ROOT,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "partition 2026-11-24" in out.stdout
    for line in ("overall status", "fetch status", "kind", "category"):
        assert f"  {line}" in out.stdout
    assert "article:" in out.stdout and "fetch:http_error: 1" in out.stdout
    assert "12 requests, 0 retries, 0 unchanged (304)" in out.stdout  # a first run: nothing cached yet
    csv_file = tmp_path / "home" / "output" / "2026-11-24" / "records.csv"
    assert csv_file.is_file() and str(csv_file) in out.stdout
    report = csv_file.with_name("report.html")
    assert report.is_file() and f"  {report}" in out.stdout.splitlines()
    assert f"start it  DAGSTER_HOME={tmp_path / 'dagster'} uv run dg dev" in out.stdout  # the instance it used
    assert "Assets, export, Partitions, 2026-11-24" in out.stdout
    query = subprocess.run(
        [sys.executable, "-m", "pipeline_defs.cli", "sql", "select category, count(*) from categorize group by 1"],
        check=False, capture_output=True, text=True, timeout=120, env=env, cwd=PROJECT_ROOT,
    )  # fmt: skip
    assert query.returncode == 0, query.stderr
    assert "category" in query.stdout and "count_star()" in query.stdout
