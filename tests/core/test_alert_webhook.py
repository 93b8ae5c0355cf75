"""Run-failure alerts: the payload says what failed and holds no secret; a webhook that fails never raises."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from content_pipeline.alerts.webhook import (
    MAX_ERROR_CHARS,
    FailedRun,
    alert_payload,
    is_alert_target,
    post_alert,
    secret_values,
    send_alert,
)
from content_pipeline.redaction import REDACTED


@dataclass
class RecordingWebhook:
    """A webhook on 127.0.0.1 that records every POST and answers `status`."""

    url: str
    posts: list[dict[str, object]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    status: int = 204
    delay_s: float = 0.0


@contextmanager
def recording_webhook(status: int = 204, delay_s: float = 0.0) -> Iterator[RecordingWebhook]:
    hook = RecordingWebhook(url="", status=status, delay_s=delay_s)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            hook.posts.append(json.loads(body))
            hook.headers.append(dict(self.headers.items()))
            if hook.delay_s:
                threading.Event().wait(hook.delay_s)
            self.send_response(hook.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/T0KEN-in-the-path"
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()


FAILED = FailedRun(job="pipeline_job", run_id="abc-123", partition="2026-11-24", error="classify: RuntimeError: boom")


def test_the_payload_names_the_job_run_partition_and_error_and_links_to_the_run() -> None:
    payload = alert_payload(FAILED, dagster_url="http://127.0.0.1:3000/")
    assert payload["job"] == "pipeline_job" and payload["run_id"] == "abc-123"
    assert payload["partition"] == "2026-11-24" and payload["error"] == "classify: RuntimeError: boom"
    assert payload["dagster_url"] == "http://127.0.0.1:3000/runs/abc-123"
    assert payload["text"] == f"content-pipeline: pipeline_job failed for partition 2026-11-24: {FAILED.error}"
    assert "dagster_url" not in alert_payload(FAILED)


def test_secret_values_from_the_environment_never_reach_the_payload() -> None:
    key_json = json.dumps({"type": "service_account", "private_key": "-----BEGIN KEY-----\nMIIEsecretline\n-----END"})
    env = {"GEMINI_API_KEY": "AIzaSy-very-secret", "CONTENT_PIPELINE_SHEETS_CREDENTIALS_JSON": key_json, "X": "1"}
    run = FailedRun("pipeline_job", "r1", None, "400 for key AIzaSy-very-secret; PEM line MIIEsecretline unreadable")
    payload = alert_payload(run, secret_values(env))
    text = json.dumps(payload)
    assert "AIzaSy-very-secret" not in text and "MIIEsecretline" not in text
    error = f"400 for key {REDACTED}; PEM line {REDACTED} unreadable"
    assert payload["error"] == error and payload["text"] == f"content-pipeline: pipeline_job failed: {error}"
    assert payload["partition"] is None


def test_a_long_error_is_cut() -> None:
    payload = alert_payload(FailedRun("j", "r", None, "x" * 10_000))
    assert len(str(payload["error"])) == MAX_ERROR_CHARS


def test_the_alert_is_posted_as_json() -> None:
    with recording_webhook() as hook:
        outcome = post_alert(hook.url, alert_payload(FAILED))
    assert outcome.ok and "204" in outcome.detail
    [posted] = hook.posts
    assert posted["job"] == "pipeline_job" and posted["error"] == "classify: RuntimeError: boom"
    assert hook.headers[0]["Content-Type"] == "application/json"


def test_a_failing_or_unreachable_or_slow_webhook_gives_an_outcome_without_the_url() -> None:
    with recording_webhook(status=500) as hook:
        refused = post_alert(hook.url, alert_payload(FAILED))
    assert not refused.ok and "HTTP 500" in refused.detail
    with recording_webhook() as hook:
        gone = hook.url
    unreachable = post_alert(gone, alert_payload(FAILED))
    assert not unreachable.ok and "could not be reached" in unreachable.detail and "T0KEN" not in unreachable.detail
    with recording_webhook(delay_s=2.0) as hook:
        slow = post_alert(hook.url, alert_payload(FAILED), timeout_s=0.2)
    assert not slow.ok and "ReadTimeout" in slow.detail and "T0KEN" not in slow.detail
    assert not post_alert("not a url", alert_payload(FAILED)).ok


def test_an_apprise_json_url_receives_the_summary_and_the_error() -> None:
    with recording_webhook(status=200) as hook:
        target = hook.url.replace("http://", "json://")
        outcome = send_alert(target, alert_payload(FAILED, dagster_url="http://127.0.0.1:3000"))
    assert outcome.ok, outcome.detail
    [posted] = hook.posts
    assert posted["title"] == f"content-pipeline: pipeline_job failed for partition 2026-11-24: {FAILED.error}"
    assert "classify: RuntimeError: boom" in str(posted["message"])
    assert "http://127.0.0.1:3000/runs/abc-123" in str(posted["message"])


def test_an_http_url_still_gets_the_json_document() -> None:
    with recording_webhook() as hook:
        assert send_alert(hook.url, alert_payload(FAILED)).ok
    assert hook.posts[0]["job"] == "pipeline_job"


def test_apprise_failures_are_an_outcome_without_the_url() -> None:
    with recording_webhook(status=500) as hook:
        target = hook.url.replace("http://", "json://")
        refused = send_alert(target, alert_payload(FAILED))
    assert not refused.ok and "T0KEN" not in refused.detail and "Apprise" in refused.detail
    unknown = send_alert("nosuchservice://x/T0KEN-abcdefgh", alert_payload(FAILED))
    assert not unknown.ok and "not Apprise URLs" in unknown.detail and "T0KEN" not in unknown.detail


def test_which_settings_are_alert_targets() -> None:
    assert is_alert_target("https://hooks.example.org/x") and is_alert_target("json://127.0.0.1:9/x")
    assert is_alert_target("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ mailto://u:p@example.org")
    assert not is_alert_target("hooks.example.org/T0KEN") and not is_alert_target("nosuchservice://x")
