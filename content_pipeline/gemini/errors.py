"""Failures of Gemini as a whole (a missing or rejected key), told apart from one request's failure."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # google-genai is imported only where requests are sent
    from google.genai.errors import APIError

NO_KEY_MESSAGE = "no Gemini API key: set GEMINI_API_KEY"
_BAD_KEY_MARKS = ("API_KEY_INVALID", "API key not valid", "API key expired")


class GeminiSystemError(RuntimeError):
    """A failure of Gemini for the whole run (credentials, model name): the run should stop and say why."""


class GeminiAuthError(GeminiSystemError):
    """Gemini rejected the credentials."""


def require_api_key(api_key: str) -> None:
    """Raise GeminiAuthError when no key is given."""
    if not api_key:
        raise GeminiAuthError(NO_KEY_MESSAGE)


def is_bad_key(exc: APIError) -> bool:
    """True when an HTTP 400 says the key itself is invalid or expired."""
    details = str(exc.details)
    return any(mark in details for mark in _BAD_KEY_MARKS)


def is_rejected_key(exc: APIError) -> bool:
    """True when Gemini refused the credentials (401, 403, or a 400 about the key)."""
    return exc.code in (401, 403) or (exc.code == 400 and is_bad_key(exc))


def rejected_key_error(answer: str, project_needs: str = "") -> GeminiAuthError:
    """The error that stops a run whose key was refused; `answer` is what the server said ("HTTP 403 ...")."""
    return GeminiAuthError(
        f"Gemini rejected the API key ({answer}): check GEMINI_API_KEY (a valid key, for a project with the "
        f"Generative Language API enabled{project_needs})"
    )
