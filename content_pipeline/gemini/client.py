"""The google-genai client with this project's HTTP options, and the transport errors it may raise."""

from __future__ import annotations

import httpx
from google import genai
from google.genai import types

from content_pipeline.gemini.constants import DEFAULT_TIMEOUT_S
from content_pipeline.retry_policy import RETRIED_HTTP_STATUSES, RetryPolicy

# google-genai sends through httpx2 when it is installed, else httpx: callers catch the transport errors of both
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (httpx.TransportError, OSError)
try:
    import httpx2

    TRANSPORT_ERRORS += (httpx2.TransportError,)
except ImportError:  # pragma: no cover - depends on the installed extras
    pass


def gemini_client(
    api_key: str,
    base_url: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    api_version: str | None = None,
    retry_options: types.HttpRetryOptions | None = None,
) -> genai.Client:
    """A client for `base_url` (None: Google's endpoint); `timeout_s` per HTTP call, no SDK retries unless given."""
    options = types.HttpOptions(  # google-genai treats a None option as not given
        base_url=base_url,
        api_version=api_version,
        timeout=int(timeout_s * 1000),  # the SDK counts milliseconds
        retry_options=retry_options,
    )
    return genai.Client(api_key=api_key, http_options=options)


def sdk_retry_options(policy: RetryPolicy) -> types.HttpRetryOptions:
    """google-genai's own retries (408, 429, 5xx, timeouts, refused connections) with `policy`'s attempts and
    backoff: the SDK's formula is the policy's. The SDK does not read a server's retry delay, so
    `server_delay_max_s` plays no part."""
    return types.HttpRetryOptions(
        attempts=max(1, policy.attempts),
        initial_delay=policy.initial_s,
        max_delay=policy.max_s,
        exp_base=2.0,
        jitter=policy.jitter,
        http_status_codes=sorted(RETRIED_HTTP_STATUSES),
    )
