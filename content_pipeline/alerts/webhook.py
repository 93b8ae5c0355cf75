"""Run-failure alerts: a small JSON document POSTed to a webhook. A failed POST is a value, never an exception.

The setting may instead hold Apprise URLs (slack://, msteams://, discord://, mailto://...: apprise_alert).

The payload holds the job, run id, partition, error and (optionally) a link to the run in the UI. Secret values
from the environment are replaced by `[redacted]` wherever they appear, and the webhook URL itself (it often holds
a token) never appears in the payload or in an outcome's text.
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:  # imported when an alert is posted: the settings check webhook URLs with is_web_url alone
    import httpx

from content_pipeline.cache_store.location import password_of
from content_pipeline.redaction import MIN_SECRET_CHARS, Redactor

WEBHOOK_TIMEOUT_S = 10.0
MAX_ERROR_CHARS = 2000
# The variables whose values must never leave the machine in an alert.
SECRET_ENV_VARS = ("GEMINI_API_KEY", "CONTENT_PIPELINE_SHEETS_CREDENTIALS_JSON", "CONTENT_PIPELINE_ALERT_WEBHOOK")
# The variables that hold a path or a shared cache's database URL: the password of a URL is a secret too.
CACHE_ENV_VARS = ("CONTENT_PIPELINE_HTTP_CACHE", "CONTENT_PIPELINE_AI_CACHE")


@dataclass(frozen=True)
class FailedRun:
    job: str
    run_id: str
    partition: str | None
    error: str
    will_retry: bool = False  # run retries will start the run again (a crashed run)


@dataclass(frozen=True)
class PostOutcome:
    ok: bool
    detail: str  # what happened, fit for a log line (never the URL)


def is_web_url(text: str) -> bool:
    """An absolute http:// or https:// URL."""
    parts = urlsplit(text)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def secret_values(env: Mapping[str, str], names: Iterable[str] = SECRET_ENV_VARS) -> list[str]:
    """The secret values set in `env`, longest first; a JSON secret (a service-account key) adds its string fields,
    a shared cache's database URL its password."""
    found = {password for name in CACHE_ENV_VARS if (password := password_of(env.get(name, "")))}
    for name in names:
        value = env.get(name, "").strip()
        if not value:
            continue
        found.add(value)
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            continue
        if isinstance(parsed, dict):
            found.update(v.strip() for v in parsed.values() if isinstance(v, str))
            # a private key also shows up line by line in tracebacks
            found.update(line.strip() for v in parsed.values() if isinstance(v, str) for line in v.splitlines())
    return sorted((s for s in found if len(s) >= MIN_SECRET_CHARS), key=len, reverse=True)


def redact(text: str, secrets: Iterable[str]) -> str:
    return Redactor(secrets)(text)


def alert_payload(run: FailedRun, secrets: Iterable[str] = (), dagster_url: str | None = None) -> dict[str, object]:
    """The JSON document for one failed run; `text` is a one-line summary for chat webhooks (Slack and the like)."""
    secrets = list(secrets)
    error = redact(run.error, secrets)
    if len(error) > MAX_ERROR_CHARS:
        error = error[: MAX_ERROR_CHARS - 1] + "…"
    where = f" for partition {run.partition}" if run.partition else ""
    first_line = error.splitlines()[0] if error else "no error message"
    payload: dict[str, object] = {
        "text": f"content-pipeline: {run.job} failed{where}: {first_line}",
        "job": run.job,
        "run_id": run.run_id,
        "partition": run.partition,
        "error": error,
        "will_retry": run.will_retry,
    }
    if dagster_url:
        payload["dagster_url"] = f"{dagster_url.rstrip('/')}/runs/{run.run_id}"
    return payload


def post_alert(
    url: str,
    payload: Mapping[str, object],
    timeout_s: float = WEBHOOK_TIMEOUT_S,
    transport: "httpx.BaseTransport | None" = None,
) -> PostOutcome:
    """POST the payload as JSON; any failure (unreachable, timeout, non-2xx) comes back as an outcome."""
    import httpx

    try:
        with httpx.Client(timeout=timeout_s, follow_redirects=False, transport=transport) as client:
            response = client.post(url, json=dict(payload))
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        detail = redact(f"{type(exc).__name__}: {exc}", [url])
        return PostOutcome(False, f"the alert webhook could not be reached ({detail})")
    if not response.is_success:
        return PostOutcome(False, f"the alert webhook answered HTTP {response.status_code}")
    return PostOutcome(True, f"the alert webhook answered HTTP {response.status_code}")


def is_alert_target(text: str) -> bool:
    """An http(s) webhook, or one or more URLs Apprise knows how to send to."""
    from content_pipeline.alerts.apprise_alert import unknown_apprise_urls

    return is_web_url(text.strip()) or not unknown_apprise_urls(text)


def send_alert(target: str, payload: Mapping[str, object], timeout_s: float = WEBHOOK_TIMEOUT_S) -> PostOutcome:
    """POST the payload to an http(s) webhook, or send its summary through Apprise URLs; never raises."""
    if is_web_url(target.strip()):
        return post_alert(target.strip(), payload, timeout_s)
    from content_pipeline.alerts.apprise_alert import notify_apprise

    return notify_apprise(target, payload)
