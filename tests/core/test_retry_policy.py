"""The one retry policy: backoff growth and jitter, the server's delay preferred up to a cap, Retry-After in both
forms, Google's RetryInfo delay, and the same waits through tenacity."""

from email.utils import formatdate

import pytest
from tenacity import Retrying, retry_if_exception_type

from content_pipeline.retry_policy import RetryPolicy, parse_retry_after, parse_retry_delay

NOW = 1_795_514_400.0  # Tue, 24 Nov 2026 10:00:00 GMT


# Retry-After


@pytest.mark.parametrize(("value", "seconds"), [("120", 120.0), (" 7 ", 7.0), ("0", 0.0)])
def test_retry_after_in_delta_seconds(value: str, seconds: float) -> None:
    assert parse_retry_after(value, now=NOW) == seconds


def test_retry_after_as_an_http_date_counts_from_now() -> None:
    assert parse_retry_after(formatdate(NOW + 30, usegmt=True), now=NOW) == 30
    assert parse_retry_after("Tue, 24 Nov 2026 10:02:00 GMT", now=NOW) == 120
    assert parse_retry_after("Tue, 24 Nov 2026 10:00:00 GMT", now=NOW - 0.5) == 1  # rounded up to whole seconds


def test_retry_after_in_the_past_means_no_wait() -> None:
    assert parse_retry_after("Mon, 01 Jan 2001 00:00:00 GMT", now=NOW) == 0
    assert parse_retry_after(formatdate(NOW - 5, usegmt=True), now=NOW) == 0


@pytest.mark.parametrize(
    "value",
    [None, "", "  ", "soon", "1.5", "-1", "+5", "1e3", "Tue, 24 Nov 2026 10:00:00", "Tue, 99 Foo 2026 10:00:00 GMT"],
)
def test_garbage_retry_after_is_ignored(value: str | None) -> None:
    assert parse_retry_after(value, now=NOW) is None


def test_a_retry_after_of_non_ascii_digits_is_ignored() -> None:
    # "²" is a latin-1 header byte (0xB2) for which str.isdigit() is True but float() fails
    assert parse_retry_after("²", now=NOW) is None


# Google's RetryInfo retryDelay


@pytest.mark.parametrize(("value", "seconds"), [("13s", 13.0), ("0.4s", 0.4), ("20.0s", 20.0), (" 2s ", 2.0)])
def test_a_retry_delay_duration_is_read_in_seconds(value: str, seconds: float) -> None:
    assert parse_retry_delay(value) == seconds


@pytest.mark.parametrize("value", [None, "", "13", "s", "-1s", "1.2.3s", "13ms", 13])
def test_a_garbage_retry_delay_is_ignored(value: object) -> None:
    assert parse_retry_delay(value) is None


# Backoff


def test_backoff_doubles_per_attempt_and_stays_under_the_ceiling() -> None:
    policy = RetryPolicy(attempts=10, initial_s=1.0, max_s=30.0, jitter_s=0.0)
    assert [policy.backoff_s(n) for n in range(1, 8)] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert policy.backoff_s(10_000) == 30.0  # no overflow after very many attempts


def test_jitter_adds_up_to_its_amount_and_defaults_to_the_first_wait() -> None:
    policy = RetryPolicy(initial_s=0.5, max_s=30.0)
    assert policy.jitter == 0.5
    waits = [policy.backoff_s(3) for _ in range(500)]  # 2.0 s, plus up to 0.5 s
    assert all(2.0 <= w <= 2.5 for w in waits)
    assert max(waits) - min(waits) > 0.4  # spread over the whole range, not one value
    capped = RetryPolicy(initial_s=1.0, max_s=3.0, jitter_s=5.0)
    assert all(1.0 <= capped.backoff_s(1) <= 3.0 for _ in range(200))  # jitter never passes the ceiling


def test_a_server_delay_is_preferred_and_cut_at_the_cap() -> None:
    policy = RetryPolicy(initial_s=10.0, max_s=30.0, server_delay_max_s=60.0)
    assert policy.delay_s(1, server_delay=0.4) == 0.4  # the server's word wins over a longer backoff
    assert policy.delay_s(1, server_delay=3600.0) == 60.0
    assert 10.0 <= policy.delay_s(1) <= 20.0
    assert policy.honors(60.0) and not policy.honors(60.5)


# tenacity


class BusyError(Exception):
    def __init__(self, retry_after: float | None = None) -> None:
        self.retry_after = retry_after


def test_tenacity_waits_and_stops_as_the_policy_says() -> None:
    policy = RetryPolicy(attempts=4, initial_s=1.0, max_s=3.0, jitter_s=0.0, server_delay_max_s=10.0)
    answers: list[Exception] = [BusyError(), BusyError(retry_after=7.0), BusyError(retry_after=99.0), BusyError()]
    sleeps: list[float] = []
    calls = 0

    def call() -> None:
        nonlocal calls
        calls += 1
        raise answers[calls - 1]

    retrying = Retrying(
        stop=policy.tenacity_stop(),
        wait=policy.tenacity_wait(lambda e: e.retry_after if isinstance(e, BusyError) else None),
        retry=retry_if_exception_type(BusyError),
        sleep=sleeps.append,
        reraise=True,
    )
    with pytest.raises(BusyError):
        retrying(call)
    assert calls == 4  # attempts in all, the first one included
    assert sleeps == [1.0, 7.0, 10.0]  # backoff; the server's delay; the server's delay cut at the cap
