"""The core package is pure domain logic: importing any of its modules must not import dagster."""

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import content_pipeline

CORE = Path(content_pipeline.__file__).parent


def core_modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages([str(CORE)], prefix="content_pipeline.")]


def test_no_core_file_mentions_a_dagster_import() -> None:
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path}: {n}" for n in names if n.split(".")[0].startswith("dagster")]
    assert offenders == []


def test_importing_every_core_module_leaves_dagster_unimported() -> None:
    modules = core_modules()
    assert len(modules) > 10
    script = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules)
    script += "print(sorted(m for m in sys.modules if m.split('.')[0].startswith('dagster')))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
