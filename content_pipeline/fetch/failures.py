"""Turn what went wrong during one attempt into a fetch status and a reason a person can read."""

import asyncio

import aiohttp

from content_pipeline.fetch.url_guard import BlockedUrlError, UnresolvableHostError
from content_pipeline.status import FetchStatus


def causes(exc: BaseException) -> list[BaseException]:
    """`exc` and the exceptions it was raised from (aiohttp's wrap the resolver's and the socket's)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def describe_failure(exc: BaseException, time_limit_s: float) -> tuple[FetchStatus, str]:
    chain = causes(exc)
    for cause in chain:
        if isinstance(cause, BlockedUrlError):
            return FetchStatus.BLOCKED, str(cause)
        if isinstance(cause, UnresolvableHostError):
            return FetchStatus.CONNECTION_ERROR, str(cause)
    root = chain[-1]
    if isinstance(exc, TimeoutError) and not isinstance(exc, aiohttp.ClientError):
        return FetchStatus.TIMEOUT, f"no complete response within {time_limit_s:g} s"
    if any(isinstance(c, aiohttp.ServerTimeoutError | aiohttp.ConnectionTimeoutError) for c in chain):
        return FetchStatus.TIMEOUT, f"{type(root).__name__}: no response in time"
    if isinstance(exc, ValueError) and not isinstance(exc, UnicodeError | aiohttp.ClientError):  # urljoin, urlsplit
        return FetchStatus.INVALID_URL, f"unreadable URL: {exc}"
    if isinstance(exc, aiohttp.InvalidURL):
        return FetchStatus.INVALID_URL, str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ClientError | OSError | asyncio.IncompleteReadError):
        return FetchStatus.CONNECTION_ERROR, f"{type(root).__name__}: {root}".strip(": ")
    return FetchStatus.ERROR, f"{type(exc).__name__}: {exc}".strip(": ")
