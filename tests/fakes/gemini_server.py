"""A local server speaking the Gemini REST API (generateContent), scripted per test.

Point the real google-genai client at it with `HttpOptions(base_url=server.base_url)`. The SDK sends
`POST /{api_version}/models/{model}:generateContent` (v1 by default in google-genai 3.x; v1beta when asked), with
the key in the `x-goog-api-key` header. Every request is recorded in `server.requests`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

_PATH = re.compile(r"^/(v1|v1beta|v1alpha)/models/([^/:]+):generateContent$")


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    path: str
    api_version: str
    model: str
    headers: dict[str, str]
    body: dict[str, Any]
    received_at: float = field(default_factory=time.monotonic)  # when the server read it (time.monotonic)

    @property
    def prompt_text(self) -> str:
        """All text parts of the request: system instruction and contents."""
        parts = [p.get("text", "") for c in self.body.get("contents", []) for p in c.get("parts", [])]
        system = self.body.get("systemInstruction") or self.body.get("system_instruction") or {}
        parts += [p.get("text", "") for p in system.get("parts", [])]
        return "\n".join(parts)

    @property
    def user_text(self) -> str:
        return "\n".join(p.get("text", "") for c in self.body.get("contents", []) for p in c.get("parts", []))


def answer(payload: Any, finish_reason: str = "STOP", prompt_tokens: int = 120, output_tokens: int = 40) -> Reply:
    """A successful generateContent answer whose text is `payload` (JSON-encoded unless already a string)."""
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return Reply(
        body={
            "candidates": [
                {"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": finish_reason, "index": 0}
            ],
            "usageMetadata": {
                "promptTokenCount": prompt_tokens,
                "candidatesTokenCount": output_tokens,
                "totalTokenCount": prompt_tokens + output_tokens,
            },
            "modelVersion": "fake-gemini",
            "responseId": "fake-response",
        }
    )


def safety_blocked() -> Reply:
    """A candidate stopped for safety: no content parts, finishReason SAFETY."""
    return Reply(
        body={
            "candidates": [
                {
                    "finishReason": "SAFETY",
                    "index": 0,
                    "safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}],
                }
            ],
            "usageMetadata": {"promptTokenCount": 90, "totalTokenCount": 90},
        }
    )


def prompt_blocked(reason: str = "SAFETY") -> Reply:
    """The prompt itself was blocked: no candidates, promptFeedback.blockReason."""
    return Reply(body={"promptFeedback": {"blockReason": reason}, "usageMetadata": {"promptTokenCount": 90}})


def error(code: int, status: str, message: str, details: list[dict[str, Any]] | None = None, **headers: str) -> Reply:
    """A Google API error body, as the real service sends it."""
    body = {"error": {"code": code, "message": message, "status": status, "details": details or []}}
    return Reply(status=code, body=body, headers=dict(headers))


def rate_limited(retry_delay_s: float, quota_id: str = "GenerateRequestsPerMinutePerProjectPerModel") -> Reply:
    """A per-minute 429 RESOURCE_EXHAUSTED: a QuotaFailure naming the quota and a RetryInfo delay."""
    return error(
        429,
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan and billing details.",
        [
            {
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [
                    {
                        "quotaMetric": "generativelanguage.googleapis.com/generate_content_requests",
                        "quotaId": quota_id,
                        "quotaDimensions": {"location": "global", "model": "gemini-test-model"},
                        "quotaValue": "10",
                    }
                ],
            },
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{retry_delay_s}s"},
        ],
    )


def daily_quota_exhausted(retry_delay_s: float = 20.0) -> Reply:
    """The 429 the service sends once a model's requests-per-day quota is used up (it still hints a short delay)."""
    return rate_limited(retry_delay_s, quota_id="GenerateRequestsPerDayPerProjectPerModel-FreeTier")


class FakeGeminiServer:
    """Threaded HTTP server on 127.0.0.1; replies from a queue, else from `responder(request)`."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.queue: deque[Reply] = deque()
        self.responder: Callable[[Request], Reply] | None = None
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep pytest output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                match = _PATH.match(self.path.split("?", 1)[0])
                if not match:
                    self._send(error(404, "NOT_FOUND", f"unknown path {self.path}"))
                    return
                req = Request(
                    path=self.path,
                    api_version=match.group(1),
                    model=match.group(2),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=json.loads(raw or b"{}"),
                )
                self._send(server._reply(req))

            def _send(self, reply: Reply) -> None:
                data = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    self.close_connection = True

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def _reply(self, req: Request) -> Reply:
        with self._lock:
            self.requests.append(req)
            if self.queue:
                return self.queue.popleft()
        if self.responder is not None:
            return self.responder(req)
        return error(500, "INTERNAL", "the fake server has no scripted reply left")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_port}"

    def enqueue(self, *replies: Reply) -> None:
        with self._lock:
            self.queue.extend(replies)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
