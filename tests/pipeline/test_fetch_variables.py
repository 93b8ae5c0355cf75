"""Every fetch limit is set from CONTENT_PIPELINE_FETCH_<FIELD>, and a value out of range is refused naming it."""

import json
from dataclasses import fields, replace
from typing import Any

import pytest

from content_pipeline.fetch.settings import FetchSettings, fetch_settings_metadata
from pipeline_defs.settings import Settings
from pipeline_defs.variables import variable_for

# For every field: what a user writes in the environment, and the value the fetcher then uses (never the default)
SAMPLES: dict[str, tuple[str, object]] = {
    "concurrency": ("7", 7),
    "per_host_concurrency": ("2", 2),
    "per_host_rate": ("0.5", 0.5),
    "connect_timeout_s": ("3", 3.0),
    "read_timeout_s": ("4.5", 4.5),
    "total_timeout_s": ("90", 90.0),
    "max_body_bytes": ("2MiB", 2 * 1024 * 1024),
    "max_redirects": ("0", 0),
    "max_attempts": ("5", 5),
    "backoff_initial_s": ("0.25", 0.25),
    "backoff_max_s": ("8", 8.0),
    "retry_after_max_s": ("0", 0.0),
    "give_up_host_after_timeouts": ("0", 0),
    "respect_robots": ("no", False),
    "robots_max_bytes": ("64KB", 64_000),
    "user_agent": ("ExampleBot/2.0 (+https://example.org/bot)", "ExampleBot/2.0 (+https://example.org/bot)"),
    "allow_private": ("127.0.0.1:8080, intranet.local", ("127.0.0.1:8080", "intranet.local")),
}
FIELD_NAMES = [f.name for f in fields(FetchSettings)]


def variable_name(field_name: str) -> str:
    return variable_for("fetcher", field_name)


def fetch_settings_from_env(env: dict[str, str]) -> FetchSettings:
    """The fetch settings of the fetcher resource the Definitions would get from `env`."""
    return Settings.from_env(env).resources.fetcher.settings()


def sample_env() -> dict[str, str]:
    """Every fetch variable set to its sample."""
    return {variable_name(name): text for name, (text, _) in SAMPLES.items()}


@pytest.mark.parametrize("name", FIELD_NAMES)
def test_each_fetch_setting_is_set_by_its_own_variable(name: str) -> None:
    if name not in SAMPLES:
        pytest.fail(f"FetchSettings.{name} is new: add what a user would write for it to SAMPLES")
    text, wanted = SAMPLES[name]
    assert getattr(FetchSettings(), name) != wanted
    settings = fetch_settings_from_env({f"CONTENT_PIPELINE_FETCH_{name.upper()}": text})
    assert getattr(settings, name) == wanted
    assert replace(settings, **{name: getattr(FetchSettings(), name)}) == FetchSettings()  # nothing else moved


def test_all_variables_set_together_all_take_effect() -> None:
    settings = fetch_settings_from_env(sample_env())
    assert {name: getattr(settings, name) for name in SAMPLES} == {name: value for name, (_, value) in SAMPLES.items()}


def test_with_no_variable_set_every_default_is_unchanged() -> None:
    assert fetch_settings_from_env({}) == FetchSettings()
    assert FetchSettings().concurrency == 32
    assert FetchSettings().max_body_bytes == 10 * 1024 * 1024


def test_an_empty_or_blank_variable_keeps_the_default() -> None:
    env = {variable_name(name): " " * (i % 3) for i, name in enumerate(FIELD_NAMES)}  # "", " ", "  "
    assert fetch_settings_from_env(env) == FetchSettings()


def test_variables_of_other_parts_are_ignored() -> None:
    env = {"CONTENT_PIPELINE_FETCH_IGNORE_ROBOTS": "partner-*.csv", "CONTENT_PIPELINE_HOME": "/tmp/x"}
    assert fetch_settings_from_env(env) == FetchSettings()


@pytest.mark.parametrize(
    ("text", "wanted"),
    [("1", True), ("0", False), ("TRUE", True), ("false", False), ("Yes", True), ("no", False), ("on", True)],
)
def test_a_switch_takes_the_usual_words(text: str, wanted: bool) -> None:
    assert fetch_settings_from_env({"CONTENT_PIPELINE_FETCH_RESPECT_ROBOTS": text}).respect_robots is wanted


@pytest.mark.parametrize(
    ("text", "wanted"),
    [("1048576", 1_048_576), ("500KB", 500_000), ("10 MiB", 10_485_760), ("1gib", 2**30), ("3 B", 3)],
)
def test_a_size_takes_bytes_or_a_unit(text: str, wanted: int) -> None:
    assert fetch_settings_from_env({"CONTENT_PIPELINE_FETCH_MAX_BODY_BYTES": text}).max_body_bytes == wanted


@pytest.mark.parametrize(
    ("variable", "text", "message"),
    [
        ("CONCURRENCY", "abc", "CONTENT_PIPELINE_FETCH_CONCURRENCY='abc': expected a whole number >= 1"),
        ("CONCURRENCY", "0", "CONTENT_PIPELINE_FETCH_CONCURRENCY='0': expected a whole number >= 1"),
        ("PER_HOST_CONCURRENCY", "2.5", "CONTENT_PIPELINE_FETCH_PER_HOST_CONCURRENCY='2.5': expected a whole number"),
        ("PER_HOST_RATE", "-1", "CONTENT_PIPELINE_FETCH_PER_HOST_RATE='-1': expected a number of requests per second"),
        ("CONNECT_TIMEOUT_S", "0", "CONTENT_PIPELINE_FETCH_CONNECT_TIMEOUT_S='0': expected a number of seconds > 0"),
        ("READ_TIMEOUT_S", "nan", "CONTENT_PIPELINE_FETCH_READ_TIMEOUT_S='nan': expected a number of seconds > 0"),
        ("TOTAL_TIMEOUT_S", "inf", "CONTENT_PIPELINE_FETCH_TOTAL_TIMEOUT_S='inf': expected a number of seconds > 0"),
        ("TOTAL_TIMEOUT_S", "1 min", "CONTENT_PIPELINE_FETCH_TOTAL_TIMEOUT_S='1 min': expected a number of seconds"),
        ("MAX_BODY_BYTES", "0", "CONTENT_PIPELINE_FETCH_MAX_BODY_BYTES='0': expected a whole number of bytes >= 1"),
        ("MAX_BODY_BYTES", "10MB/s", "CONTENT_PIPELINE_FETCH_MAX_BODY_BYTES='10MB/s': expected a whole number of"),
        ("MAX_BODY_BYTES", "1.5MiB", "CONTENT_PIPELINE_FETCH_MAX_BODY_BYTES='1.5MiB': expected a whole number of"),
        ("MAX_REDIRECTS", "-1", "CONTENT_PIPELINE_FETCH_MAX_REDIRECTS='-1': expected a whole number >= 0"),
        ("MAX_ATTEMPTS", "0", "CONTENT_PIPELINE_FETCH_MAX_ATTEMPTS='0': expected a whole number >= 1"),
        ("BACKOFF_INITIAL_S", "-0.5", "CONTENT_PIPELINE_FETCH_BACKOFF_INITIAL_S='-0.5': expected a number of seconds"),
        ("BACKOFF_MAX_S", "x", "CONTENT_PIPELINE_FETCH_BACKOFF_MAX_S='x': expected a number of seconds >= 0"),
        ("RETRY_AFTER_MAX_S", "-1", "CONTENT_PIPELINE_FETCH_RETRY_AFTER_MAX_S='-1': expected a number of seconds"),
        ("GIVE_UP_HOST_AFTER_TIMEOUTS", "-3", "CONTENT_PIPELINE_FETCH_GIVE_UP_HOST_AFTER_TIMEOUTS='-3': expected a"),
        ("RESPECT_ROBOTS", "maybe", "CONTENT_PIPELINE_FETCH_RESPECT_ROBOTS='maybe': expected one of 1, true, yes"),
        ("ROBOTS_MAX_BYTES", "lots", "CONTENT_PIPELINE_FETCH_ROBOTS_MAX_BYTES='lots': expected a whole number of"),
        ("USER_AGENT", "bot\u00e9", "CONTENT_PIPELINE_FETCH_USER_AGENT='bot\u00e9': expected one non-empty line"),
        ("USER_AGENT", "bot\r\nX-Evil: 1", "CONTENT_PIPELINE_FETCH_USER_AGENT='bot\\r\\nX-Evil: 1': expected one"),
        ("ALLOW_PRIVATE", "http://intranet", "CONTENT_PIPELINE_FETCH_ALLOW_PRIVATE entry 'http://intranet': a URL"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable_the_value_and_what_is_allowed(
    variable: str, text: str, message: str
) -> None:
    with pytest.raises(ValueError) as refused:
        fetch_settings_from_env({f"CONTENT_PIPELINE_FETCH_{variable}": text})
    assert str(refused.value).startswith(message)


def test_a_size_refused_says_which_units_are_understood() -> None:
    with pytest.raises(ValueError, match=r"KB, MB, GB \(x1000\) or KiB, MiB, GiB \(x1024\)"):
        fetch_settings_from_env({"CONTENT_PIPELINE_FETCH_MAX_BODY_BYTES": "10 MiBs"})


def test_several_bad_variables_are_all_named_in_one_error() -> None:
    env = {
        "CONTENT_PIPELINE_FETCH_CONCURRENCY": "abc",
        "CONTENT_PIPELINE_FETCH_MAX_ATTEMPTS": "7",  # fine
        "CONTENT_PIPELINE_FETCH_READ_TIMEOUT_S": "0",
        "CONTENT_PIPELINE_FETCH_ALLOW_PRIVATE": "127.0.0.1, 1.2.3.4:99999",
    }
    with pytest.raises(ValueError) as refused:
        fetch_settings_from_env(env)
    lines = str(refused.value).splitlines()
    assert [line.split(maxsplit=1)[0].split("=")[0] for line in lines] == [
        "CONTENT_PIPELINE_FETCH_CONCURRENCY",
        "CONTENT_PIPELINE_FETCH_READ_TIMEOUT_S",
        "CONTENT_PIPELINE_FETCH_ALLOW_PRIVATE",
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"concurrency": 0}, "fetch setting concurrency=0: expected a whole number >= 1"),
        ({"concurrency": True}, "fetch setting concurrency=True: expected a whole number >= 1"),
        ({"max_attempts": 2.0}, "fetch setting max_attempts=2.0: expected a whole number >= 1"),
        ({"read_timeout_s": 0}, "fetch setting read_timeout_s=0: expected a number of seconds > 0"),
        ({"per_host_rate": float("nan")}, "fetch setting per_host_rate=nan: expected a number of requests per second"),
        ({"max_body_bytes": -1}, "fetch setting max_body_bytes=-1: expected a whole number of bytes >= 1"),
        ({"respect_robots": "no"}, "fetch setting respect_robots='no': expected true or false"),
        ({"user_agent": ""}, "fetch setting user_agent='': expected one non-empty line of printable ASCII text"),
        ({"allow_private": ("a b",)}, "fetch setting allow_private entry 'a b': 'a b' is not a valid host name"),
    ],
)
def test_settings_built_in_code_are_checked_by_the_same_rules(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as refused:
        FetchSettings(**changes)
    assert str(refused.value).startswith(message)
    with pytest.raises(ValueError):
        replace(FetchSettings(), **changes)


def test_settings_built_in_code_name_every_bad_field_at_once() -> None:
    with pytest.raises(ValueError) as refused:
        FetchSettings(concurrency=0, max_attempts=0, connect_timeout_s=-1.0)
    assert [line.split("=")[0] for line in str(refused.value).splitlines()] == [
        "fetch setting concurrency",
        "fetch setting connect_timeout_s",
        "fetch setting max_attempts",
    ]


def test_a_per_host_concurrency_above_the_total_is_accepted_as_the_total_bounds_it_anyway() -> None:
    settings = fetch_settings_from_env({"CONTENT_PIPELINE_FETCH_CONCURRENCY": "2"})
    assert (settings.concurrency, settings.per_host_concurrency) == (2, 4)


def test_the_metadata_holds_every_effective_setting_as_json() -> None:
    settings = fetch_settings_from_env(sample_env())
    metadata = fetch_settings_metadata(settings)
    assert json.loads(json.dumps(metadata)) == metadata
    assert metadata == {
        name: list(value) if isinstance(value, tuple) else value for name, (_, value) in SAMPLES.items()
    }
    assert list(metadata) == FIELD_NAMES
