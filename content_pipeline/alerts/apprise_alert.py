"""Run-failure alerts through Apprise URLs (slack://, msteams://, discord://, mailto://, json://... and many more).

Apprise is imported only when an alert is sent (it costs ~0.4 s). Its own debug log spells out full URLs (tokens
included), so it is held at WARNING while it sends, and its messages are passed on with the URLs redacted.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Mapping
from types import ModuleType

from content_pipeline.alerts.webhook import PostOutcome
from content_pipeline.redaction import Redactor

APPRISE_DOCS = "https://github.com/caronc/apprise/wiki"
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s,]+")
MAX_DETAIL_CHARS = 300


def _apprise() -> ModuleType:
    """The apprise module, imported on first use without its own DeprecationWarning (imghdr, Python 3.13)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import apprise
    return apprise


def apprise_urls(text: str) -> list[str]:
    """The URLs of a setting that holds one or more (separated by spaces or commas)."""
    return [u for u in _SEPARATORS.split(text.strip()) if u]


def unknown_apprise_urls(text: str) -> list[str]:
    """The schemes (e.g. "foo://") of the URLs Apprise does not know; [] when it accepts every one."""
    apprise = _apprise()

    unknown = []
    for url in apprise_urls(text):
        if not _SCHEME.match(url) or not apprise.Apprise().add(url):
            match = _SCHEME.match(url)
            unknown.append(match.group() if match else "(no scheme)")
    return unknown


def notify_apprise(text: str, payload: Mapping[str, object]) -> PostOutcome:
    """Send the alert's one-line summary, error and link to every Apprise URL of `text`; failures are an outcome."""
    apprise = _apprise()

    urls = apprise_urls(text)
    hide = Redactor(urls)
    sender = apprise.Apprise()
    accepted = sum(bool(sender.add(url)) for url in urls)
    if accepted < len(urls):
        return PostOutcome(False, f"{len(urls) - accepted} of {len(urls)} alert URLs are not Apprise URLs")
    body = "\n\n".join(str(payload[k]) for k in ("error", "dagster_url") if payload.get(k))
    logger = logging.getLogger("apprise")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with apprise.LogCapture(level=logging.WARNING) as captured:
            sent = sender.notify(title=str(payload["text"]), body=body, notify_type=apprise.NotifyType.FAILURE)
            said = " ".join(captured.getvalue().split())
    finally:
        logger.setLevel(level)
    if sent:
        return PostOutcome(True, f"sent to {len(urls)} Apprise URL(s)")
    return PostOutcome(False, hide(f"Apprise could not send to every URL: {said}")[:MAX_DETAIL_CHARS])
