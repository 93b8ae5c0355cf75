"""Each setting is one described resource field with one variable; only pipeline_defs/environment.py reads the
environment; the command line's instance leaves the process's environment and working folder alone."""

import os
import re
from pathlib import Path

import dagster as dg
import pytest
import yaml

from pipeline_defs.definitions import build_definitions
from pipeline_defs.runner import anchored, project_instance
from pipeline_defs.settings import PROJECT_ROOT, RESOURCE_CLASSES, Settings
from pipeline_defs.variables import DOCUMENTED, PATHS, SECRETS, variable_for

SETTINGS = [f"{key}.{name}" for key, cls in RESOURCE_CLASSES.items() for name in cls.model_fields]
READS_THE_ENVIRONMENT = re.compile(r"os\.environ|os\.getenv|getenv\(")


def test_every_field_of_every_resource_of_the_definitions_has_a_description(tmp_path: Path) -> None:
    defs = build_definitions(Settings.from_env({"CONTENT_PIPELINE_HOME": str(tmp_path)}))
    resources = defs.resources or {}
    assert set(resources) == set(RESOURCE_CLASSES)
    undescribed = [
        f"{type(resource).__name__}.{name}"
        for resource in resources.values()
        for name, info in type(resource).model_fields.items()
        if not (info.description or "").strip()
    ]
    assert undescribed == []


def test_every_field_has_one_variable_named_after_it_but_the_documented_ones() -> None:
    variables = [variable_for(*setting.split(".")) for setting in SETTINGS]
    assert len(set(variables)) == len(variables)  # one variable per setting
    for setting, variable in zip(SETTINGS, variables, strict=True):
        name = setting.split(".")[1].upper()
        follows_the_rule = variable.startswith("CONTENT_PIPELINE_") and variable.endswith(f"_{name}")
        assert follows_the_rule or setting in DOCUMENTED, f"{setting} is set by {variable}"
    assert set(DOCUMENTED) | SECRETS | PATHS <= set(SETTINGS)  # no name for a field that is gone


def test_only_the_environment_module_reads_the_environment() -> None:
    offenders = []
    for package in ("content_pipeline", "resources", "assets", "pipeline_defs"):
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if READS_THE_ENVIRONMENT.search(text) and path != PROJECT_ROOT / "pipeline_defs" / "environment.py":
                offenders.append(str(path.relative_to(PROJECT_ROOT)))
    assert offenders == []


def test_secrets_enter_the_resources_only_as_environment_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = {
        "GEMINI_API_KEY": "AIzaSy-a-fake-key-0123456789",
        "CONTENT_PIPELINE_SHEETS_CREDENTIALS_JSON": '{"private_key": "fake-private-key-0123456789"}',
        "CONTENT_PIPELINE_ALERT_WEBHOOK": "https://hooks.example.org/T0KEN-0123456789",
    }
    settings = Settings.from_env({"CONTENT_PIPELINE_HOME": str(tmp_path), **secrets})
    held = [getattr(getattr(settings.resources, s.split(".")[0]), s.split(".")[1]) for s in sorted(SECRETS)]
    assert all(isinstance(value, dg.EnvVar) for value in held)
    assert {value.env_var_name for value in held} == set(secrets)
    assert not any(secret in repr(settings) for secret in secrets.values())


def test_a_setting_from_a_variable_is_read_by_the_fields_type_and_checked_by_the_resource(tmp_path: Path) -> None:
    env = {
        "CONTENT_PIPELINE_HOME": str(tmp_path),
        "CONTENT_PIPELINE_IMAGES_MODE": "Move",
        "CONTENT_PIPELINE_GEMINI_BATCH": "yes",
        "CONTENT_PIPELINE_GEMINI_BATCH_POLL_S": "2.5",
        "CONTENT_PIPELINE_IMAGE_FOLDERS": "a, b",
        "CONTENT_PIPELINE_SHEETS_CHUNK_ROWS": "100",
    }
    resources = Settings.from_env(env).resources
    assert resources.exporter.images_mode == "move"
    assert (resources.categorizer.gemini_batch, resources.categorizer.gemini_batch_poll_s) == (True, 2.5)
    assert resources.inbox.image_folders == [str(Path("a").resolve()), str(Path("b").resolve())]
    assert resources.sheets.chunk_rows == 100
    bad = {
        "CONTENT_PIPELINE_HOME": str(tmp_path),
        "CONTENT_PIPELINE_CHUNK_ROWS": "0",
        "CONTENT_PIPELINE_MAX_FAILURE_RATE": "1.5",
        "CONTENT_PIPELINE_IMAGES_MODE": "zip",
        "CONTENT_PIPELINE_OEMBED": "perhaps",
        "CONTENT_PIPELINE_DAGSTER_URL": "localhost:3000",
    }
    with pytest.raises(ValueError) as refused:
        Settings.from_env(bad)
    assert str(refused.value).splitlines() == [
        "CONTENT_PIPELINE_CHUNK_ROWS='0': expected a whole number >= 1",
        "CONTENT_PIPELINE_OEMBED='perhaps': expected one of 1, true, yes, on, 0, false, no, off",
        "CONTENT_PIPELINE_IMAGES_MODE='zip': expected one of copy, move",
        "CONTENT_PIPELINE_MAX_FAILURE_RATE='1.5': expected a number from 0 to 1",
        "CONTENT_PIPELINE_DAGSTER_URL='localhost:3000': expected an http:// or https:// URL",
    ]


def test_the_project_instance_keeps_dagster_yaml_paths_under_the_project_folder_wherever_it_runs() -> None:
    config = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text(encoding="utf-8"))
    overrides = anchored(config, PROJECT_ROOT)
    assert overrides["storage"] == {"sqlite": {"base_dir": str(PROJECT_ROOT / "var" / "dagster" / "storage")}}
    assert overrides["compute_logs"]["config"]["base_dir"] == str(PROJECT_ROOT / "var" / "dagster" / "logs")
    assert set(overrides) == {"storage", "local_artifact_storage", "compute_logs"}


def test_the_command_lines_instance_leaves_the_environment_and_the_working_folder_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    monkeypatch.chdir(tmp_path)
    before = dict(os.environ)
    with project_instance() as instance:
        assert instance.is_persistent and Path(instance.root_directory).is_relative_to(tmp_path / "dagster")
    assert dict(os.environ) == before and Path.cwd() == tmp_path
