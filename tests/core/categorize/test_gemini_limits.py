"""Rate limits, retries, the daily quota and the cost budget of the Gemini provider, against the local fake."""

import threading
import time
from pathlib import Path

import pytest

from content_pipeline.categorize.gemini_provider import GeminiProvider
from content_pipeline.categorize.models import Document
from content_pipeline.categorize.taxonomy import Taxonomy
from content_pipeline.gemini.limits import Budget, daily_quota_id, estimate_tokens
from content_pipeline.gemini.pricing import PriceTable, load_prices
from content_pipeline.rate_limit import RateLimiter
from tests.fakes.gemini_server import (
    FakeGeminiServer,
    answer,
    daily_quota_exhausted,
    error,
    rate_limited,
)

KEY = "test-key-limits"
MODEL = "gemini-test-model"
GOOD = {"category": "Sports", "tags": ["football"], "summary": "United won.", "entities": []}


def docs(n: int) -> list[Document]:
    return [Document(f"rec-{i}", "article", f"Match {i}", f"Report number {i} on the derby.") for i in range(n)]


@pytest.fixture
def prices(tmp_path: Path) -> PriceTable:
    table = tmp_path / "prices.yaml"
    table.write_text(f"as_of: test\nmodels:\n  {MODEL}: {{input_per_million: 1.0, output_per_million: 2.0}}\n")
    return load_prices(table)


def make(server: FakeGeminiServer, taxonomy: Taxonomy, **kwargs: object) -> GeminiProvider:
    options: dict[str, object] = {"max_attempts": 3, "backoff_initial_s": 0.01, "timeout_s": 10.0}
    options.update(kwargs)
    return GeminiProvider(KEY, MODEL, taxonomy, base_url=server.base_url, **options)  # type: ignore[arg-type]


def test_a_per_minute_429_waits_the_servers_delay_then_succeeds(
    gemini_server: FakeGeminiServer, taxonomy: Taxonomy
) -> None:
    gemini_server.enqueue(rate_limited(0.3), answer(GOOD))
    [result] = make(gemini_server, taxonomy).categorize(docs(1))
    assert result.status == "ok" and result.category == "Sports"
    assert len(gemini_server.requests) == 2
    assert gemini_server.requests[1].received_at - gemini_server.requests[0].received_at >= 0.3


def test_a_500_then_success_is_ok(gemini_server: FakeGeminiServer, taxonomy: Taxonomy) -> None:
    gemini_server.enqueue(error(500, "INTERNAL", "An internal error has occurred."), answer(GOOD))
    [result] = make(gemini_server, taxonomy).categorize(docs(1))
    assert result.status == "ok" and len(gemini_server.requests) == 2


@pytest.mark.parametrize("concurrency", [1, 3])
def test_a_used_up_daily_quota_stops_calling_and_marks_the_rest(
    gemini_server: FakeGeminiServer, taxonomy: Taxonomy, concurrency: int
) -> None:
    gemini_server.enqueue(answer(GOOD), answer(GOOD))
    gemini_server.responder = lambda request: daily_quota_exhausted()
    results = make(gemini_server, taxonomy, max_concurrency=concurrency).categorize(docs(12))
    sent = len(gemini_server.requests)
    assert sent <= 2 + concurrency  # no retries, no new requests once the quota is known to be used up
    assert [r.status for r in results].count("ok") == 2
    rest = [r for r in results if r.status != "ok"]
    assert len(rest) == 10 and {r.status for r in rest} == {"quota_exhausted"}
    assert all("daily quota" in r.reason and "tomorrow" in r.reason for r in rest)
    time.sleep(0.1)
    assert len(gemini_server.requests) == sent  # nothing is still calling in the background


def test_a_retry_delay_longer_than_the_maximum_counts_as_a_used_up_quota(
    gemini_server: FakeGeminiServer, taxonomy: Taxonomy
) -> None:
    gemini_server.responder = lambda request: rate_limited(3600)
    started = time.monotonic()
    results = make(gemini_server, taxonomy, max_concurrency=1, retry_after_max_s=60).categorize(docs(3))
    assert [r.status for r in results] == ["quota_exhausted"] * 3
    assert len(gemini_server.requests) == 1 and time.monotonic() - started < 2


def test_the_requests_per_minute_limit_spaces_requests(gemini_server: FakeGeminiServer, taxonomy: Taxonomy) -> None:
    gemini_server.responder = lambda request: answer(GOOD)
    provider = make(gemini_server, taxonomy, max_concurrency=2, requests_per_minute=300)
    begun = time.monotonic()
    results = provider.categorize(docs(7))
    assert all(r.status == "ok" for r in results)
    last = max(r.received_at for r in gemini_server.requests)
    # 300/min is one every 0.2 s; the two workers' first round may start together: 5 more gaps of 0.2 s. Measured
    # from before the first send (not from the first arrival, which a busy machine can delay more than the last)
    assert last - begun >= 0.9


def test_a_budget_reached_mid_partition_marks_the_rest_and_sends_nothing_more(
    gemini_server: FakeGeminiServer, taxonomy: Taxonomy, prices: PriceTable
) -> None:
    # each answer costs 100,000 input tokens at $1/M = $0.10; the pre-send estimate is far smaller
    gemini_server.responder = lambda request: answer(GOOD, prompt_tokens=100_000, output_tokens=0)
    provider = make(
        gemini_server,
        taxonomy,
        max_concurrency=1,
        max_cost_usd=0.25,
        max_output_tokens=100,
        prices=prices,
        tokens_per_minute=0,
    )
    results = provider.categorize(docs(6))
    assert [r.status for r in results] == ["ok"] * 3 + ["budget_reached"] * 3
    assert len(gemini_server.requests) == 3
    assert all("budget" in r.reason and "$0.2500" in r.reason for r in results[3:])
    assert results[0].cost_usd == pytest.approx(0.10) and results[3].cost_usd == 0.0
    assert provider.spent_usd == pytest.approx(0.30)
    assert provider.categorize(docs(1))[0].status == "budget_reached"  # the run stays stopped
    assert len(gemini_server.requests) == 3


def test_cost_comes_from_the_price_table_and_counts_every_attempt(
    gemini_server: FakeGeminiServer, taxonomy: Taxonomy, prices: PriceTable
) -> None:
    gemini_server.enqueue(
        answer("{not json", prompt_tokens=1000, output_tokens=500), answer(GOOD, prompt_tokens=2000, output_tokens=300)
    )
    [result] = make(gemini_server, taxonomy, prices=prices).categorize(docs(1))
    assert result.status == "ok" and (result.tokens_in, result.tokens_out) == (3000, 800)
    assert result.cost_usd == pytest.approx((3000 * 1.0 + 800 * 2.0) / 1_000_000)


def test_a_model_missing_from_the_price_table_has_no_cost_and_a_note(
    gemini_server: FakeGeminiServer, taxonomy: Taxonomy
) -> None:
    gemini_server.enqueue(answer(GOOD, prompt_tokens=321, output_tokens=54))
    provider = make(gemini_server, taxonomy, prices=PriceTable(models={}))
    [result] = provider.categorize(docs(1))
    assert result.status == "ok" and result.cost_usd is None and result.tokens_in == 321
    assert MODEL in provider.cost_note and "price" in provider.cost_note


def test_a_truncated_answer_is_retried_then_reported(gemini_server: FakeGeminiServer, taxonomy: Taxonomy) -> None:
    gemini_server.enqueue(*[answer('{"category": "Spo', finish_reason="MAX_TOKENS")] * 2)
    [result] = make(gemini_server, taxonomy, max_attempts=2).categorize(docs(1))
    assert result.status == "error" and "MAX_TOKENS" in result.reason and "2 attempts" in result.reason
    assert gemini_server.requests[0].body["generationConfig"]["maxOutputTokens"] == 8192


def test_the_token_limit_waits_for_the_debt_and_refunds_an_overestimate() -> None:
    now = [0.0]
    limiter = RateLimiter(0, 600, clock=lambda: now[0])  # 10 tokens per second, no burst
    assert limiter.try_acquire(50) == 0.0  # a request may start when the bucket is not in debt
    assert limiter.try_acquire(10) == pytest.approx(5.0)
    limiter.settle(estimated=50, actual=20)  # it used 30 fewer: the debt shrinks to 20 tokens
    assert limiter.try_acquire(10) == pytest.approx(2.0)
    now[0] = 2.0
    assert limiter.try_acquire(10) == 0.0


def test_the_request_limit_allows_a_burst_then_an_even_pace() -> None:
    now = [0.0]
    limiter = RateLimiter(60, 0, burst_requests=2, clock=lambda: now[0])
    assert [limiter.try_acquire(1) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.try_acquire(1) == pytest.approx(1.0)
    now[0] = 1.0
    assert limiter.try_acquire(1) == 0.0


def test_a_waiting_thread_gives_up_when_the_run_stops() -> None:
    limiter = RateLimiter(1, 0)
    stop = threading.Event()
    assert limiter.acquire(1, stop)
    threading.Timer(0.1, stop.set).start()
    started = time.monotonic()
    assert not limiter.acquire(1, stop) and time.monotonic() - started < 1.0


def test_the_budget_counts_requests_in_flight() -> None:
    budget = Budget(1.0)
    assert budget.reserve(0.6) and not budget.reserve(0.6)
    budget.settle(0.6, 0.3)
    assert budget.reserve(0.6) and budget.spent_usd == pytest.approx(0.3)
    assert Budget(None).reserve(1e9)


def test_only_a_per_day_quota_failure_is_a_daily_quota() -> None:
    assert daily_quota_id(daily_quota_exhausted().body) == "GenerateRequestsPerDayPerProjectPerModel-FreeTier"
    assert daily_quota_id(rate_limited(1.0).body) is None
    assert daily_quota_id({"error": {"details": "oops"}}) is None and daily_quota_id(None) is None


def test_the_estimate_is_a_quarter_of_the_characters_plus_the_output_limit() -> None:
    assert estimate_tokens("x" * 400, 100) == 201
