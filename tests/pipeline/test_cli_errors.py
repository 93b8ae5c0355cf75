"""Every mistake a user can make on the command line or in the environment is one line on stderr and exit code 2,
naming the option or variable; a bug keeps its traceback."""

import socket
from pathlib import Path

import duckdb
import pytest

from pipeline_defs.cli import main
from pipeline_defs.variables import SECRETS, variable_for
from tests.pipeline.cli_process import content_pipeline, one_line_error


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["run", "--date", "2026-13-01"], "argument --date: '2026-13-01' is not a day written YYYY-MM-DD"),
        (["demo", "--date", "tomorrow"], "argument --date: 'tomorrow' is not a day"),
        (["backfill", "--from", "2026-11-05", "--to", "2026-11-01"], "--from 2026-11-05 comes after --to 2026-11-01"),
        (["backfill", "--from", "2026-1-5", "--to", "2026-11-01"], "argument --from: '2026-1-5' is not a day"),
        (["backfill", "--from", "2026-11-01"], "the following arguments are required: --to"),
        (["backfill", "--from", "2026-11-01", "--to", "2026-11-02", "--days-per-run", "0"], "--days-per-run: '0'"),
        (["sample-site", "--port", "99999"], "argument --port: '99999' is not a port"),
        (["demo", "--port", "x"], "argument --port: 'x' is not a port"),
        (["nope"], "invalid choice: 'nope'"),
        (["sql"], "the following arguments are required: query"),
    ],
)
def test_a_malformed_argument_is_one_line_naming_it(
    args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as ended:
        main(args)
    assert ended.value.code == 2
    error = capsys.readouterr().err
    assert says in error and len(error.strip().splitlines()) == 1


def test_sql_without_a_catalog_says_where_it_looked_and_what_to_do(tmp_path: Path) -> None:
    error = one_line_error(content_pipeline(tmp_path / "home", "sql", "select 1"))
    assert f"no catalog at {tmp_path / 'home' / 'catalog.duckdb'}" in error and "content-pipeline demo" in error


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("select * from nope", "Table with name nope does not exist! (the views: export)"),
        ("selec 1", 'syntax error at or near "selec"'),
        ("select nope from export", 'Referenced column "nope" not found'),
        ("create table x (a int)", "read-only"),
    ],
)
def test_a_bad_query_is_one_line_with_duckdbs_reason(tmp_path: Path, query: str, says: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with duckdb.connect(str(home / "catalog.duckdb")) as con:
        con.sql("create view export as select 1 as status")
    assert says in one_line_error(content_pipeline(home, "sql", query))
    assert content_pipeline(home, "sql", "select status from export").returncode == 0


def test_a_setting_the_settings_refuse_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    out = content_pipeline(tmp_path / "home", "run", CONTENT_PIPELINE_MAX_FAILURE_RATE="abc")
    assert "CONTENT_PIPELINE_MAX_FAILURE_RATE='abc': expected a number from 0 to 1" in one_line_error(out)


def test_every_setting_variable_with_a_bad_value_is_one_line_naming_it(tmp_path: Path) -> None:
    """Each number, switch, choice or URL setting refuses a word; all are named in the one line."""
    from pipeline_defs.settings import RESOURCE_CLASSES

    bad: dict[str, str] = {}
    for key, resource_class in RESOURCE_CLASSES.items():
        for name, info in resource_class.model_fields.items():
            if f"{key}.{name}" in SECRETS or info.annotation not in (int, float, bool):
                continue
            bad[variable_for(key, name)] = "not-a-value"
    bad |= {"CONTENT_PIPELINE_TIMEZONE": "Mars/Base", "CONTENT_PIPELINE_START_DATE": "2026-02-30"}
    error = one_line_error(content_pipeline(tmp_path / "home", "config", **bad))
    assert len(bad) > 20
    for variable in bad:
        assert f"{variable}=" in error


@pytest.mark.parametrize("variable", ["CONTENT_PIPELINE_TAXONOMY", "CONTENT_PIPELINE_DISPATCH_RULES"])
def test_an_unreadable_or_broken_file_setting_is_one_line_naming_the_variable(tmp_path: Path, variable: str) -> None:
    missing = content_pipeline(tmp_path / "home", "run", **{variable: str(tmp_path / "gone.yaml")})
    assert f"{variable}={tmp_path / 'gone.yaml'}: " in one_line_error(missing)
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [\n", encoding="utf-8")
    error = one_line_error(content_pipeline(tmp_path / "home", "run", **{variable: str(broken)}))
    assert f"{variable}={broken}: " in error and f"unset {variable}" in error


def test_a_progress_mode_that_does_not_exist_is_one_line(tmp_path: Path) -> None:
    out = content_pipeline(tmp_path / "home", "run", "--date", "2026-11-15", CONTENT_PIPELINE_PROGRESS="sparkles")
    assert "CONTENT_PIPELINE_PROGRESS='sparkles': expected one of bars, lines, off" in one_line_error(out)


def test_a_home_that_is_a_file_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    a_file = tmp_path / "home"
    a_file.write_text("not a folder", encoding="utf-8")
    error = one_line_error(content_pipeline(a_file, "run", "--date", "2026-11-15"))
    assert error.startswith(f"content-pipeline run: CONTENT_PIPELINE_HOME: {a_file / 'warehouse'} cannot be written")


def test_a_warehouse_on_a_store_it_cannot_write_is_one_line(tmp_path: Path) -> None:
    out = content_pipeline(tmp_path / "home", "run", "--date", "2026-11-15", CONTENT_PIPELINE_WAREHOUSE="gs://bucket/w")
    error = one_line_error(out)
    assert error.startswith("content-pipeline run: CONTENT_PIPELINE_WAREHOUSE: warehouse root 'gs://bucket/w'")
    assert "S3-compatible store (s3://bucket/prefix)" in error


def test_an_output_on_a_store_it_cannot_write_is_one_line(tmp_path: Path) -> None:
    out = content_pipeline(tmp_path / "home", "run", "--date", "2026-11-15", CONTENT_PIPELINE_OUTPUT="gs://bucket/out")
    error = one_line_error(out)
    assert error.startswith("content-pipeline run: CONTENT_PIPELINE_OUTPUT: output 'gs://bucket/out'")
    assert "S3-compatible store (s3://bucket/prefix)" in error
    out = content_pipeline(tmp_path / "home", "run", "--date", "2026-11-15", CONTENT_PIPELINE_IMAGES_OUTPUT="s3://b/i")
    assert "CONTENT_PIPELINE_IMAGES_OUTPUT: output 's3://b/i': name a bucket" in one_line_error(out)


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        error = one_line_error(content_pipeline(tmp_path / "home", "sample-site", "--port", port))
    assert f"cannot serve on 127.0.0.1:{port}" in error and "--port" in error


def test_a_bug_keeps_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline_defs.light_commands as light

    def broken(_: object) -> int:
        raise KeyError("a bug")

    monkeypatch.setattr(light, "sql", broken)
    with pytest.raises(KeyError):
        main(["sql", "select 1"])
