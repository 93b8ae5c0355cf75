"""A bad CONTENT_PIPELINE_FETCH_ALLOW_PRIVATE entry stops the pipeline at start-up with a message naming it."""

import pytest

from pipeline_defs.settings import Settings
from resources.fetcher import FetcherResource


def test_a_bad_allowlist_entry_in_the_environment_is_refused_naming_the_variable_and_the_entry() -> None:
    env = {"CONTENT_PIPELINE_FETCH_ALLOW_PRIVATE": "127.0.0.1:18080, 1.2.3.4:99999"}
    with pytest.raises(ValueError) as refused:
        Settings.from_env(env)
    assert str(refused.value).startswith(
        "CONTENT_PIPELINE_FETCH_ALLOW_PRIVATE entry '1.2.3.4:99999': port '99999' is not a number from 1 to 65535"
    )


def test_allowlist_entries_with_ports_reach_the_fetcher_as_written() -> None:
    env = {"CONTENT_PIPELINE_FETCH_ALLOW_PRIVATE": "127.0.0.1:18080,[::1]:8080, intranet.local ,10.0.0.0/8"}
    allowed = Settings.from_env(env).resources.fetcher.allow_private
    assert allowed == ["127.0.0.1:18080", "[::1]:8080", "intranet.local", "10.0.0.0/8"]
    resource = FetcherResource(allow_private=allowed)
    assert resource.settings().allow_private == tuple(allowed)


def test_a_bad_allowlist_entry_in_the_resource_config_is_refused_before_any_request() -> None:
    with pytest.raises(ValueError, match=r"^FetcherResource allow_private entry 'http://intranet': a URL is not"):
        FetcherResource(allow_private=["http://intranet"]).settings()
