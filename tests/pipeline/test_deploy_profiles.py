"""The cluster profile (deploy/cluster) names the project's real code location, entry points and settings. Whether
its containers start is not checked here (no Docker daemon on the test machines)."""

import shutil
import tomllib
from pathlib import Path
from typing import Any

import yaml

from pipeline_defs.setting_values import FIELD_CLASSES
from pipeline_defs.variables import variable_for

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = ROOT / "deploy" / "cluster"
VENV_BIN = ROOT / ".venv" / "bin"


def compose() -> dict[str, Any]:
    return yaml.safe_load((CLUSTER / "docker-compose.yaml").read_text(encoding="utf-8"))


def test_the_code_server_and_the_workspace_name_the_projects_code_location() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["dg"]["project"]
    location = yaml.safe_load((CLUSTER / "workspace.yaml").read_text(encoding="utf-8"))["load_from"][0]["grpc_server"]
    command = compose()["services"]["code-server"]["command"]
    assert location["location_name"] == command[command.index("--location-name") + 1] == project["code_location_name"]
    assert command[command.index("-m") + 1] == project["root_module"] + ".definitions"
    assert location["port"] == int(command[command.index("-p") + 1])


def test_every_service_runs_a_program_the_project_installs() -> None:
    for name, service in compose()["services"].items():
        if "command" in service:
            program = service["command"][0]
            if "image" in service and "build" not in service:
                continue  # a published image (PostgreSQL, MinIO) runs its own programs
            assert (VENV_BIN / program).exists() or shutil.which(program), f"{name}: {program} is not installed"


def test_every_content_pipeline_variable_of_the_profile_is_a_setting() -> None:
    known = {variable_for(key, field) for key, fields in FIELD_CLASSES.items() for field in fields.model_fields}
    known.add("CONTENT_PIPELINE_HOME")
    environment = compose()["x-project"]["environment"]
    for variable in environment:
        if variable.startswith("CONTENT_PIPELINE_"):
            assert variable in known, variable
    secrets = [value for key, value in environment.items() if "PASSWORD" in key or "SECRET" in key]
    assert secrets and all(str(value).startswith("${") for value in secrets)  # no secret written in the file
    for key in ("CONTENT_PIPELINE_HTTP_CACHE", "CONTENT_PIPELINE_AI_CACHE"):
        assert "${DAGSTER_PG_PASSWORD}" in environment[key]
