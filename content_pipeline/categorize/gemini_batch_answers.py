"""Turning one inlined Batch API response into a Categorization, and matching responses back to requests."""

from __future__ import annotations

from collections.abc import Sequence

from google.genai import types
from pydantic import BaseModel, ValidationError

from content_pipeline.categorize.gemini_provider import from_answer
from content_pipeline.categorize.models import Categorization
from content_pipeline.gemini.constants import BLOCKED_FINISH
from content_pipeline.gemini.responses import enum_name, token_counts
from content_pipeline.status import CategorizeStatus

KEY_FIELD = "key"  # metadata field carrying the request's position in the job
RECORD_FIELD = "record_id"  # metadata field carrying the record id, for people reading the job in AI Studio
_ERROR = CategorizeStatus.ERROR.value


def request_metadata(index: int, record_id: str) -> dict[str, str]:
    """The metadata sent with one inlined request: its position and its record id."""
    return {KEY_FIELD: str(index), RECORD_FIELD: record_id}


def match_responses(
    responses: Sequence[types.InlinedResponse], record_ids: Sequence[str]
) -> list[types.InlinedResponse | None]:
    """Each request's response, by metadata key when the service echoes it, else by position.

    The Batch API documents inlined responses "in the same order as the input requests", but it also echoes the
    request metadata; the key is preferred, and order is the fallback when some response lacks the metadata
    (reported for some requests in the wild). A response whose key names another record is never used.
    """
    matched: list[types.InlinedResponse | None] = [None] * len(record_ids)
    if responses and all((r.metadata or {}).get(KEY_FIELD) for r in responses):
        for response in responses:
            meta = response.metadata or {}
            index = _index(meta.get(KEY_FIELD, ""), len(record_ids))
            if index is None or matched[index] is not None:
                continue
            if meta.get(RECORD_FIELD, record_ids[index]) == record_ids[index]:
                matched[index] = response
        return matched
    if len(responses) == len(record_ids):
        return list(responses)
    return matched


def _index(key: str, count: int) -> int | None:
    return int(key) if key.isdigit() and int(key) < count else None


def interpret(record_id: str, item: types.InlinedResponse, schema: type[BaseModel]) -> Categorization:
    """The Categorization of one inlined response: ok with the answer, or error with a reason."""
    if item.error is not None:
        code = f"code {item.error.code}: " if item.error.code is not None else ""
        message = item.error.message or "no message"
        return Categorization(record_id, status=_ERROR, reason=f"Gemini batch request failed: {code}{message}")
    response = item.response
    if response is None:
        return Categorization(record_id, status=_ERROR, reason="Gemini batch returned neither a response nor an error")
    result = _interpret_response(record_id, response, schema)
    if response.usage_metadata is not None:
        result.tokens_in, result.tokens_out = token_counts(response.usage_metadata)
    return result


def _interpret_response(
    record_id: str, response: types.GenerateContentResponse, schema: type[BaseModel]
) -> Categorization:
    if not response.candidates:
        feedback = response.prompt_feedback
        if feedback is not None and feedback.block_reason is not None:
            reason = f"Gemini blocked the prompt: block reason {enum_name(feedback.block_reason)}"
            return Categorization(record_id, status=_ERROR, reason=reason)
        return Categorization(record_id, status=_ERROR, reason="Gemini returned no answer (no candidates)")
    candidate = response.candidates[0]
    finish = enum_name(candidate.finish_reason) if candidate.finish_reason is not None else ""
    if finish in BLOCKED_FINISH:
        return Categorization(record_id, status=_ERROR, reason=f"Gemini withheld the answer: finish reason {finish}")
    # batches.get does not know the response schema, so `response.parsed` is never set: validate the text here
    text = _text(candidate)
    if not text.strip():
        reason = f"Gemini returned an empty answer (finish reason {finish or 'none'})"
        return Categorization(record_id, status=_ERROR, reason=reason)
    try:
        answer = schema.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        reason = f"answer does not match the schema: {where}: {first['msg']} (got {str(first.get('input'))[:80]!r})"
        return Categorization(record_id, status=_ERROR, reason=reason)
    return from_answer(record_id, answer)


def _text(candidate: types.Candidate) -> str:
    """The candidate's text parts (thoughts excluded), without the SDK's warnings about non-text parts."""
    parts = candidate.content.parts if candidate.content is not None and candidate.content.parts else []
    return "".join(p.text for p in parts if p.text and not p.thought)
