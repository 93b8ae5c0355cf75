"""`content-pipeline run` twice over the same day of the sample site: the second run asks only conditional requests,
keeps every stored partition whose content is unchanged and says so, and still reports what it saw."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from content_pipeline.sample_site.server import sample_urls, serve_sample_site
from pipeline_defs.settings import PROJECT_ROOT

DAY = "2026-11-24"


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with serve_sample_site("127.0.0.1", 0) as base_url:
        yield base_url


def run_day(home: Path, site: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONTENT_PIPELINE_", "GEMINI_", "DAGSTER_"))}
    env |= {
        "CONTENT_PIPELINE_HOME": str(home / "home"),
        "DAGSTER_HOME": str(home / "dagster"),
        "CONTENT_PIPELINE_FETCH_ALLOW_PRIVATE": urlsplit(site).netloc,
        "CONTENT_PIPELINE_PROGRESS": "lines",
    }
    out = subprocess.run(
        [sys.executable, "-m", "pipeline_defs.cli", "run", "--date", DAY],
        check=False, capture_output=True, text=True, timeout=600, env=env, cwd=PROJECT_ROOT,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out


def drop_list(home: Path, urls: list[str]) -> None:
    inbox = home / "home" / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / f"links-{DAY}.csv").write_text("url\n" + "\n".join(urls) + "\n", encoding="utf-8")


def kept_stages(stderr: str) -> set[str]:
    """Stages whose progress said the stored partition was kept."""
    return {
        line.split()[1] if line.startswith("content-pipeline:") else line.split()[0]
        for line in stderr.splitlines()
        if "unchanged: the stored partition is kept" in line
    }


def test_an_unchanged_rerun_keeps_the_partitions_and_reports_its_304s(tmp_path: Path, site: str) -> None:
    drop_list(tmp_path, [url for url, _ in sample_urls(site)])
    first = run_day(tmp_path, site)
    assert " 0 unchanged (304)" in first.stdout and not kept_stages(first.stderr)

    second = run_day(tmp_path, site)
    unchanged = int(second.stdout.split(" unchanged (304)")[0].rsplit(" ", 1)[1])
    assert unchanged >= 8  # the sample pages that carry an ETag or Last-Modified
    assert {"classify", "categorize"} <= kept_stages(second.stderr)


def test_an_unchanged_export_is_kept_and_its_files_too_until_they_are_gone(tmp_path: Path, site: str) -> None:
    drop_list(tmp_path, [url for url, kind in sample_urls(site) if kind == "article"])
    run_day(tmp_path, site)
    day_folder = tmp_path / "home" / "output" / DAY
    records, report = day_folder / "records.csv", day_folder / "report.html"
    written = {path: path.stat().st_mtime_ns for path in (records, day_folder / "records.parquet", report)}

    second = run_day(tmp_path, site)
    assert {"filed_images", "export", "export_files"} <= kept_stages(second.stderr)  # no image: nothing to file
    assert {path: path.stat().st_mtime_ns for path in written} == written  # the files and the report are left alone

    records.unlink()  # a user deleted the day's CSV: the next run writes the files again, from the kept partition
    third = run_day(tmp_path, site)
    assert "export" in kept_stages(third.stderr) and "export_files" not in kept_stages(third.stderr)
    assert records.read_text(encoding="utf-8").count("\n") == 1 + sum(1 for _, k in sample_urls(site) if k == "article")
    assert report.stat().st_mtime_ns > written[report]
