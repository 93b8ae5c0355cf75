"""What the Drive client needs: where Drive is, how long a request may take, how often it is retried."""

import re
from dataclasses import dataclass

from content_pipeline.drive.errors import DriveError
from content_pipeline.retry_policy import RetryPolicy, retry_policy_of

DRIVE_SCOPE = "https://www.googleapis.com/auth/drive"
DEFAULT_MAX_ATTEMPTS = 5  # a 403 rate limit, 429 or 5xx is retried this many times in all, then the step fails
DEFAULT_BACKOFF_INITIAL_S = 2.0  # the wait before the first retry, doubled per retry, plus up to this much jitter
DEFAULT_BACKOFF_MAX_S = 32.0
DEFAULT_RETRY_AFTER_MAX_S = 60.0  # a longer Retry-After waits only this long
DEFAULT_CONCURRENCY = 4  # files fetched or filed at once: each is a few requests, their cost Drive's latency
DEFAULT_TIMEOUT_S = 60.0  # one request (one chunk of a resumable upload)
DEFAULT_RESUMABLE_ABOVE_BYTES = 5 * 1024 * 1024  # Google's advice: multipart up to 5 MB, resumable above
DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024  # one PUT of a resumable upload (a multiple of 256 KiB, as Drive requires)

_FOLDER_LINK = re.compile(r"/folders/([A-Za-z0-9_-]+)|[?&]id=([A-Za-z0-9_-]+)")
_FOLDER_ID = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class DriveSettings:
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    backoff_initial_s: float = DEFAULT_BACKOFF_INITIAL_S
    backoff_max_s: float = DEFAULT_BACKOFF_MAX_S
    retry_after_max_s: float = DEFAULT_RETRY_AFTER_MAX_S
    resumable_above_bytes: int = DEFAULT_RESUMABLE_ABOVE_BYTES
    chunk_bytes: int = DEFAULT_CHUNK_BYTES

    def retry_policy(self) -> RetryPolicy:
        return retry_policy_of(self)


def folder_id(value: str) -> str:
    """The folder id of an id or a Drive folder link (`https://drive.google.com/drive/folders/<id>`)."""
    text = value.strip()
    if "/" in text or "?" in text:
        match = _FOLDER_LINK.search(text)
        if match is None:
            raise DriveError(f"{value!r} is not a Drive folder link (https://drive.google.com/drive/folders/<id>)")
        return match.group(1) or match.group(2)
    if not _FOLDER_ID.fullmatch(text):
        raise DriveError(f"{value!r} is not a Drive folder id or link")
    return text
