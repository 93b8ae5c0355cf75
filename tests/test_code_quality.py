"""The house rules that a reviewer checks by hand: ruff (lint and format) and the type checker run clean."""

import subprocess
import sys

import pytest

from pipeline_defs.settings import PROJECT_ROOT

CHECKS = {
    "ruff lint": ["ruff", "check", "."],
    "ruff format": ["ruff", "format", "--check", "."],
    "mypy": ["mypy", "content_pipeline", "assets", "resources", "pipeline_defs", "tests", "bench"],
}


@pytest.mark.parametrize("name", CHECKS)
def test_the_tree_passes(name: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", *CHECKS[name]], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, f"{name} failed:\n{out.stdout[-4000:]}{out.stderr[-2000:]}"
