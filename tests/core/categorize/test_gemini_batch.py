"""The Gemini batch provider, driven through the real google-genai SDK against a local Batch API server."""

from collections.abc import Iterator

import pytest

from content_pipeline.categorize.gemini_batch import GeminiBatchProvider
from content_pipeline.categorize.models import Document, Entity
from content_pipeline.categorize.provider import CategorizeProvider
from content_pipeline.categorize.taxonomy import Taxonomy
from content_pipeline.gemini.errors import GeminiAuthError
from tests.fakes.gemini_batch_server import FakeGeminiBatchServer, InlinedCall, Reply, answer, error

KEY = "batch-key-51c2e8"
MODEL = "gemini-test-model"
DOCS = [
    Document("rec-a", "article", "United beat City", "Manchester United beat City 2-1 on Sunday.", "https://e.org/a"),
    Document("rec-b", "article", "Rates held", "The central bank held interest rates at 4%.", "https://e.org/b"),
    Document("rec-c", "article", "New GPU", "A new graphics chip doubles inference speed.", "https://e.org/c"),
]
CATEGORY = {"rec-a": "Sports", "rec-b": "Business & Economy", "rec-c": "Science & Technology"}
TOKENS = {"rec-a": (101, 11), "rec-b": (202, 22), "rec-c": (303, 33)}


def good(category: str) -> dict[str, object]:
    return {
        "category": category,
        "tags": ["news", "News", " late  update "],
        "summary": f"A page about {category}.  Short.",
        "entities": [{"name": "Old Trafford", "type": "Location", "prominence": 12}],
    }


def record_of(call: InlinedCall) -> str:
    return next(rid for rid, doc in zip(CATEGORY, DOCS, strict=True) if doc.title in call.user_text)


def scripted(call: InlinedCall) -> Reply:
    """Answers each request with its document's category and distinct token counts."""
    rid = record_of(call)
    tokens_in, tokens_out = TOKENS[rid]
    return answer(good(CATEGORY[rid]), prompt_tokens=tokens_in, output_tokens=tokens_out)


@pytest.fixture
def server(taxonomy: Taxonomy) -> Iterator[FakeGeminiBatchServer]:
    assert set(CATEGORY.values()) <= set(taxonomy.names)
    with FakeGeminiBatchServer() as fake:
        fake.responder = scripted
        yield fake


def make(server: FakeGeminiBatchServer, taxonomy: Taxonomy, **kwargs: float) -> GeminiBatchProvider:
    options = {"poll_interval_s": 0.05, "max_wait_s": 5.0, "timeout_s": 10.0} | kwargs
    return GeminiBatchProvider(KEY, MODEL, taxonomy, base_url=server.base_url, **options)  # type: ignore[arg-type]


def test_a_batch_of_three_comes_back_in_input_order_from_one_job(
    server: FakeGeminiBatchServer, taxonomy: Taxonomy
) -> None:
    provider = make(server, taxonomy)
    assert isinstance(provider, CategorizeProvider) and provider.name == "gemini" and provider.model == MODEL

    results = provider.categorize(DOCS)

    assert [r.record_id for r in results] == ["rec-a", "rec-b", "rec-c"]
    assert [(r.status, r.category) for r in results] == [
        ("ok", "Sports"),
        ("ok", "Business & Economy"),
        ("ok", "Science & Technology"),
    ]
    assert [(r.tokens_in, r.tokens_out) for r in results] == [(101, 11), (202, 22), (303, 33)]
    first = results[0]
    assert first.tags == ["news", "late update"] and first.summary == "A page about Sports. Short."
    assert first.entities == [Entity("Old Trafford", "Location", 10)]
    [create] = server.calls("create")
    assert create.api_version == "v1beta" and create.target == MODEL
    assert create.headers["x-goog-api-key"] == KEY and all(KEY not in c.path for c in server.requests)
    assert len(server.calls("get")) == server.pending_polls + 1
    assert server.calls("generate") == [] and server.calls("cancel") == []


def test_each_request_carries_the_prompt_schema_and_its_record_key(
    server: FakeGeminiBatchServer, taxonomy: Taxonomy
) -> None:
    make(server, taxonomy).categorize(DOCS)
    [job] = server.jobs.values()
    assert [c.metadata for c in job.calls] == [{"key": str(i), "record_id": d.record_id} for i, d in enumerate(DOCS)]
    request = job.calls[1].request
    assert request["model"] == f"models/{MODEL}"
    assert "<page_text>" in job.calls[1].user_text and DOCS[1].text in job.calls[1].user_text
    assert "Categories:" in request["systemInstruction"]["parts"][0]["text"]
    config = request["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseSchema"]["properties"]["category"]["enum"] == list(taxonomy.names)


def test_answers_are_matched_by_key_even_when_the_service_reorders_them(
    server: FakeGeminiBatchServer, taxonomy: Taxonomy
) -> None:
    server.reverse_output = True
    results = make(server, taxonomy).categorize(DOCS)
    assert [(r.record_id, r.category) for r in results] == [(d.record_id, CATEGORY[d.record_id]) for d in DOCS]


def test_without_echoed_metadata_answers_are_matched_by_position(
    server: FakeGeminiBatchServer, taxonomy: Taxonomy
) -> None:
    server.echo_metadata = False
    results = make(server, taxonomy).categorize(DOCS)
    assert [r.category for r in results] == ["Sports", "Business & Economy", "Science & Technology"]


def test_an_answer_outside_the_schema_fails_only_its_record(server: FakeGeminiBatchServer, taxonomy: Taxonomy) -> None:
    def responder(call: InlinedCall) -> Reply:
        return answer(good("Astrology")) if record_of(call) == "rec-b" else scripted(call)

    server.responder = responder
    results = make(server, taxonomy).categorize(DOCS)
    assert [r.status for r in results] == ["ok", "error", "ok"]
    assert "does not match the schema" in results[1].reason and "Astrology" in results[1].reason
    assert results[1].category is None


def test_a_per_request_error_inside_the_batch_fails_only_its_record(
    server: FakeGeminiBatchServer, taxonomy: Taxonomy
) -> None:
    def responder(call: InlinedCall) -> Reply:
        if record_of(call) == "rec-c":
            return error(400, "INVALID_ARGUMENT", "request contains an invalid argument")
        return scripted(call)

    server.responder = responder
    results = make(server, taxonomy).categorize(DOCS)
    assert [r.status for r in results] == ["ok", "ok", "error"]
    assert "request contains an invalid argument" in results[2].reason


@pytest.mark.parametrize("state", ["BATCH_STATE_FAILED", "BATCH_STATE_EXPIRED", "BATCH_STATE_CANCELLED"])
def test_a_job_that_ends_badly_fails_every_record_naming_the_state_and_job(
    server: FakeGeminiBatchServer, taxonomy: Taxonomy, state: str
) -> None:
    server.final_state = state
    results = make(server, taxonomy).categorize(DOCS)
    [job_name] = server.jobs
    assert [r.status for r in results] == ["error"] * 3
    assert all(state.replace("BATCH", "JOB") in r.reason and job_name in r.reason for r in results)


def test_a_job_that_never_finishes_is_cancelled_and_every_record_fails(
    server: FakeGeminiBatchServer, taxonomy: Taxonomy
) -> None:
    server.final_state = None
    results = make(server, taxonomy, max_wait_s=0.3).categorize(DOCS)
    [job_name] = server.jobs
    assert [r.status for r in results] == ["error"] * 3
    assert all(job_name in r.reason and "cancelled" in r.reason for r in results)
    [cancel] = server.calls("cancel")
    assert cancel.target == job_name.removeprefix("batches/") and server.jobs[job_name].cancelled
    assert 2 <= len(server.calls("get")) <= 10


def test_a_transient_error_while_polling_is_polled_through(server: FakeGeminiBatchServer, taxonomy: Taxonomy) -> None:
    server.get_errors.append(error(503, "UNAVAILABLE", "The service is currently unavailable."))
    results = make(server, taxonomy).categorize(DOCS)
    assert [r.status for r in results] == ["ok"] * 3
    assert len(server.calls("get")) == server.pending_polls + 2 and len(server.calls("create")) == 1


def test_a_rejected_key_raises_an_auth_error_without_the_key(server: FakeGeminiBatchServer, taxonomy: Taxonomy) -> None:
    server.create_reply = error(403, "PERMISSION_DENIED", f"Method doesn't allow unregistered callers ({KEY})")
    with pytest.raises(GeminiAuthError) as caught:
        make(server, taxonomy).categorize(DOCS)
    assert KEY not in str(caught.value) and "GEMINI_API_KEY" in str(caught.value)
    assert len(server.calls("create")) == 1 and server.calls("get") == []


def test_a_document_without_text_is_not_sent(server: FakeGeminiBatchServer, taxonomy: Taxonomy) -> None:
    empty = Document("rec-empty", "article", "  ", "")
    results = make(server, taxonomy).categorize([DOCS[0], empty])
    assert [(r.record_id, r.status) for r in results] == [("rec-a", "ok"), ("rec-empty", "no_text")]
    [job] = server.jobs.values()
    assert len(job.calls) == 1
    assert make(server, taxonomy).categorize([empty])[0].status == "no_text" and len(server.calls("create")) == 1
