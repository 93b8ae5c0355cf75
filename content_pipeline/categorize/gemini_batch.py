"""The Gemini batch provider: a call's documents go out as ONE Batch API job (half price), polled until it ends."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from google.genai import errors, types

from content_pipeline.categorize.gemini_batch_answers import interpret, match_responses, request_metadata
from content_pipeline.categorize.gemini_constants import DEFAULT_POLL_INTERVAL_S
from content_pipeline.categorize.gemini_provider import (
    DEFAULT_MAX_TEXT_CHARS,
    PROMPT_VERSION,
    answer_schema,
    system_prompt,
    user_prompt,
)
from content_pipeline.categorize.models import Categorization, Document
from content_pipeline.categorize.provider import NO_TEXT_REASON, AnswerHook, CategorizeSystemError, has_text
from content_pipeline.categorize.taxonomy import Taxonomy
from content_pipeline.gemini.client import TRANSPORT_ERRORS, gemini_client
from content_pipeline.gemini.constants import DEFAULT_GEMINI_MODEL
from content_pipeline.gemini.errors import is_rejected_key, rejected_key_error, require_api_key
from content_pipeline.redaction import Redactor
from content_pipeline.retry_policy import RETRIED_HTTP_STATUSES
from content_pipeline.status import CategorizeStatus

log = logging.getLogger(__name__)

__all__ = ["BATCH_PRICE_FACTOR", "DEFAULT_BATCH_API_VERSION", "GeminiBatchProvider"]

BATCH_PRICE_FACTOR = 0.5  # the Batch API bills half the online price per token
DEFAULT_BATCH_API_VERSION = "v1beta"  # where Google documents the Batch API (the SDK's own default is v1)
DEFAULT_MAX_WAIT_S = 24 * 3600.0  # the Batch API's target turnaround; jobs expire after 48 h
DEFAULT_TIMEOUT_S = 120.0  # per HTTP call: a create carries every document of the call
_ENDED_OK = {types.JobState.JOB_STATE_SUCCEEDED, types.JobState.JOB_STATE_PARTIALLY_SUCCEEDED}
_ENDED_BAD = {types.JobState.JOB_STATE_FAILED, types.JobState.JOB_STATE_CANCELLED, types.JobState.JOB_STATE_EXPIRED}
_ENDED = _ENDED_OK | _ENDED_BAD
_CANCEL_ERRORS: tuple[type[BaseException], ...] = (errors.APIError, *TRANSPORT_ERRORS)


class GeminiBatchProvider:
    """Categorizes with Gemini structured output through the Batch API: one job per `categorize` call."""

    name = "gemini"
    prompt_version = PROMPT_VERSION  # the same prompt and schema as online: the same answers in the AI cache

    def __init__(
        self,
        api_key: str,
        model: str = DEFAULT_GEMINI_MODEL,
        taxonomy: Taxonomy | None = None,
        base_url: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        *,
        max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
        poll_interval_s: float = DEFAULT_POLL_INTERVAL_S,
        max_wait_s: float = DEFAULT_MAX_WAIT_S,
        api_version: str = DEFAULT_BATCH_API_VERSION,
        display_name: str = "content-pipeline-categorize",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if taxonomy is None:
            raise ValueError("GeminiBatchProvider needs a taxonomy")
        require_api_key(api_key)
        self.model = model
        self.taxonomy = taxonomy
        self.max_text_chars = max_text_chars
        self.poll_interval_s = max(0.0, poll_interval_s)
        self.max_wait_s = max(0.0, max_wait_s)
        self.display_name = display_name
        self._sleep = sleep
        self._redact = Redactor([api_key])  # the key never reaches a row, a log line or the AI cache
        self._schema = answer_schema(taxonomy)
        self._config = types.GenerateContentConfig(
            system_instruction=system_prompt(taxonomy),
            response_mime_type="application/json",
            response_schema=self._schema,
        )
        self._client = gemini_client(api_key, base_url, timeout_s, api_version=api_version)

    def close(self) -> None:
        self._client.close()

    def categorize(self, docs: Sequence[Document], on_answer: AnswerHook | None = None) -> list[Categorization]:
        results: list[Categorization | None] = [None] * len(docs)
        asked: list[int] = []
        for i, doc in enumerate(docs):
            if has_text(doc):
                asked.append(i)
            else:
                results[i] = Categorization(doc.record_id, status=CategorizeStatus.NO_TEXT.value, reason=NO_TEXT_REASON)
        if asked:
            answers = self._run_job([docs[i] for i in asked])
            for i, answer in zip(asked, answers, strict=True):
                results[i] = answer
        answered = [r.scrubbed(self._redact) for r in results if r is not None]
        if on_answer is not None:
            for i, answer in enumerate(answered):
                on_answer(i, answer)
        return answered

    def _run_job(self, docs: Sequence[Document]) -> list[Categorization]:
        """Submit, poll and collect one job; a job-level failure becomes an error on every record."""
        requests: list[types.InlinedRequest] = [
            types.InlinedRequest(
                model=self.model,
                contents=user_prompt(doc, self.max_text_chars),
                metadata=request_metadata(i, doc.record_id),
                config=self._config,
            )
            for i, doc in enumerate(docs)
        ]
        try:
            job = self._client.batches.create(
                model=self.model, src=requests, config=types.CreateBatchJobConfig(display_name=self.display_name)
            )
        except errors.APIError as exc:
            self._raise_system_error(exc, creating=True)
            return self._all_failed(docs, f"Gemini batch job not created: {self._describe(exc)}")
        except TRANSPORT_ERRORS as exc:
            reason = f"Gemini batch job not created: network error: {type(exc).__name__}: {exc}"
            return self._all_failed(docs, self._redact(reason))
        name = job.name
        if not name:
            return self._all_failed(docs, "Gemini batch job not created: the service returned no job name")
        log.info("Gemini batch job %s created for %d documents (model %s)", name, len(docs), self.model)
        job, poll_failure = self._wait(job, name)
        state = _state(job)
        if poll_failure:
            return self._all_failed(docs, poll_failure)
        if job.state in _ENDED_OK:
            return self._collect(docs, job, name, state)
        if job.state in _ENDED_BAD:
            return self._all_failed(docs, f"Gemini batch job {name} ended in state {state}")
        return self._all_failed(docs, self._cancel(name, state))

    def _wait(self, job: types.BatchJob, name: str) -> tuple[types.BatchJob, str]:
        """Poll every `poll_interval_s` until the job ends or `max_wait_s` passes; transient errors are retried.

        Returns the last job seen and, when a poll failed for good, the reason ("" otherwise).
        """
        deadline = time.monotonic() + self.max_wait_s
        while job.state not in _ENDED:  # job.done ignores PARTIALLY_SUCCEEDED
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._sleep(min(self.poll_interval_s, remaining))
            try:
                job = self._client.batches.get(name=name)
            except errors.APIError as exc:
                self._raise_system_error(exc, creating=False)
                if exc.code not in RETRIED_HTTP_STATUSES:
                    return job, f"polling Gemini batch job {name} failed: {self._describe(exc)}"
                log.warning("polling Gemini batch job %s: %s (will poll again)", name, self._describe(exc))
            except TRANSPORT_ERRORS as exc:
                log.warning("polling Gemini batch job %s: network error %s (will poll again)", name, type(exc).__name__)
            else:
                log.debug("Gemini batch job %s: %s", name, _state(job))
        return job, ""

    def _cancel(self, name: str, state: str) -> str:
        """Cancel a job that outlived `max_wait_s`; the reason put on every record."""
        reason = f"Gemini batch job {name} still {state} after waiting {self.max_wait_s:g} s"
        try:
            self._client.batches.cancel(name=name)
        except _CANCEL_ERRORS as exc:
            log.warning("cancelling Gemini batch job %s failed: %s", name, type(exc).__name__)
            return self._redact(f"{reason}; cancelling it failed ({type(exc).__name__}: {exc})")[:500]
        log.warning("Gemini batch job %s cancelled after %g s in state %s", name, self.max_wait_s, state)
        return f"{reason}: cancelled"

    def _collect(self, docs: Sequence[Document], job: types.BatchJob, name: str, state: str) -> list[Categorization]:
        dest = job.dest
        responses = dest.inlined_responses if dest is not None else None
        if responses is None:
            where = f" (responses file {dest.file_name}, not read)" if dest is not None and dest.file_name else ""
            return self._all_failed(
                docs, f"Gemini batch job {name} ended in state {state} with no inline responses{where}"
            )
        matched = match_responses(responses, [d.record_id for d in docs])
        out: list[Categorization] = []
        for doc, item in zip(docs, matched, strict=True):
            if item is None:
                reason = f"Gemini batch job {name} ({state}) returned no response for this record"
                out.append(Categorization(doc.record_id, status=CategorizeStatus.ERROR.value, reason=reason))
            else:
                result = interpret(doc.record_id, item, self._schema).scrubbed(self._redact)
                result.reason = result.reason[:500]
                out.append(result)
        return out

    def _raise_system_error(self, exc: errors.APIError, *, creating: bool) -> None:
        code, status = exc.code, exc.status or ""
        if is_rejected_key(exc):
            raise rejected_key_error(f"HTTP {code} {status}", " and the Batch API allowed") from None
        if code == 404 and creating:
            raise CategorizeSystemError(
                f"Gemini does not know the model {self.model!r} or the batch endpoint (HTTP 404: "
                f"{self._describe(exc)}): check the configured Gemini model name and API version"
            ) from None

    def _describe(self, exc: errors.APIError) -> str:
        return self._redact(f"HTTP {exc.code} {exc.status or ''}: {exc.message or ''}".strip())[:300]

    def _all_failed(self, docs: Sequence[Document], reason: str) -> list[Categorization]:
        reason = self._redact(reason)
        log.warning("%s (%d records marked error)", reason, len(docs))
        return [Categorization(d.record_id, status=CategorizeStatus.ERROR.value, reason=reason) for d in docs]


def _state(job: types.BatchJob) -> str:
    return job.state.value if job.state is not None else "JOB_STATE_UNSPECIFIED"
