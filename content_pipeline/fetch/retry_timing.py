"""How long to wait before the next attempt: the server's Retry-After, else exponential backoff with jitter."""

import math
import random
import time
from email.utils import parsedate_to_datetime


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date form); None when absent or invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, math.ceil(seconds))


def backoff_s(attempts_made: int, initial_s: float, max_s: float) -> float:
    """Exponential backoff with jitter: initial, doubled per attempt made, plus up to `initial_s` at random."""
    try:
        wait = initial_s * 2 ** (attempts_made - 1) + random.uniform(0, initial_s)
    except OverflowError:
        wait = max_s
    return max(0.0, min(wait, max_s))
