"""`content-pipeline` run as a user runs it: a subprocess with only the settings a test gives it."""

import os
import subprocess
import sys
from pathlib import Path


def content_pipeline(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CONTENT_PIPELINE_", "GEMINI_", "DAGSTER_"))}
    settings = {"CONTENT_PIPELINE_HOME": str(home), "CONTENT_PIPELINE_START_DATE": "2024-01-01", **env}
    return subprocess.run(
        [sys.executable, "-m", "pipeline_defs.cli", *args],
        check=False, capture_output=True, text=True, timeout=300, env={**clean, **settings}, cwd=home.parent,
    )  # fmt: skip


def one_line_error(out: subprocess.CompletedProcess[str]) -> str:
    """The error a command printed, checked to be one line with exit code 2 and no traceback."""
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    return lines[0]
