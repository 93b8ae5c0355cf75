"""A local server speaking the Gemini Batch REST API as google-genai 3.x calls it, scripted per test.

Point `gemini_client(api_key, server.base_url, api_version="v1beta")` (content_pipeline/gemini/client.py) at it.
The SDK sends:
- `POST /{version}/models/{model}:batchGenerateContent` with `{"batch": {"displayName", "inputConfig": {"requests":
  {"requests": [{"request": <GenerateContentRequest>, "metadata": {...}}]}}}}`; the answer is a long-running
  operation `{"name": "batches/ID", "metadata": <GenerateContentBatch>}`;
- `GET /{version}/batches/ID`: the same operation, with `metadata.state` BATCH_STATE_* and, once it succeeded,
  `metadata.output.inlinedResponses.inlinedResponses[]` = `{"response": <GenerateContentResponse>, "metadata"}` or
  `{"error": {"code", "message", "status"}, "metadata"}`;
- `POST /{version}/batches/ID:cancel`.
Each inlined request is answered by `responder(InlinedCall)` with a `Reply` of the online fake: status 200 gives a
`response`, any other status an `error`. Every HTTP request is recorded in `server.requests`.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from tests.fakes.gemini_server import Reply, answer, error

_VERSION = r"/(v1|v1beta|v1alpha)/"
_ROUTES = {
    "create": re.compile(_VERSION + r"models/([^/:]+):batchGenerateContent$"),
    "cancel": re.compile(_VERSION + r"batches/([^/:]+):cancel$"),
    "get": re.compile(_VERSION + r"batches/([^/:]+)$"),
    "generate": re.compile(_VERSION + r"models/([^/:]+):generateContent$"),
}
_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta."
_TIME = "2026-11-24T00:00:00Z"

__all__ = ["BatchCall", "FakeGeminiBatchServer", "InlinedCall", "Reply", "answer", "error"]


@dataclass
class BatchCall:
    """One HTTP request the server received."""

    method: str
    path: str
    kind: str  # create, get, cancel, generate or unknown
    api_version: str
    target: str  # the model (create, generate) or the batch id (get, cancel)
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class InlinedCall:
    """One request inside a batch, as the responder sees it."""

    index: int
    request: dict[str, Any]  # a GenerateContentRequest
    metadata: dict[str, str]

    @property
    def user_text(self) -> str:
        return "\n".join(p.get("text", "") for c in self.request.get("contents", []) for p in c.get("parts", []))


@dataclass
class Job:
    name: str
    model: str
    display_name: str
    calls: list[InlinedCall]
    polls: int = 0
    cancelled: bool = False
    state: str = "BATCH_STATE_PENDING"
    output: list[dict[str, Any]] = field(default_factory=list)


class FakeGeminiBatchServer:
    """Threaded HTTP server on 127.0.0.1 holding batch jobs in memory.

    Scripting: `pending_polls` gets answer PENDING/RUNNING before the job ends in `final_state` (set
    `final_state=None` for a job that never ends); `create_reply` replaces the answer to a create (an auth error);
    `get_errors` are served, in turn, to the next gets (a 503 while polling); `echo_metadata=False` drops the
    request metadata from the responses; `reverse_output` returns them reversed.
    """

    def __init__(self) -> None:
        self.requests: list[BatchCall] = []
        self.jobs: dict[str, Job] = {}
        self.responder: Callable[[InlinedCall], Reply] = lambda call: error(500, "INTERNAL", "no scripted responder")
        self.pending_polls = 2
        self.final_state: str | None = "BATCH_STATE_SUCCEEDED"
        self.create_reply: Reply | None = None
        self.get_errors: deque[Reply] = deque()
        self.echo_metadata = True
        self.reverse_output = False
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep pytest output clean
                pass

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                kind, version, target = "unknown", "", ""
                for name, pattern in _ROUTES.items():
                    match = pattern.match(path)
                    if match:
                        kind, version, target = name, match.group(1), match.group(2)
                        break
                call = BatchCall(
                    method, self.path, kind, version, target, {k.lower(): v for k, v in self.headers.items()}, {}
                )
                call.body = json.loads(raw or b"{}")
                self._send(server._reply(call))

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
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def calls(self, kind: str) -> list[BatchCall]:
        """The recorded requests of one kind (create, get, cancel, generate, unknown)."""
        return [c for c in self.requests if c.kind == kind]

    def _reply(self, call: BatchCall) -> Reply:
        with self._lock:
            self.requests.append(call)
            if call.kind == "create":
                return self.create_reply or self._create(call)
            if call.kind in ("get", "cancel"):
                job = self.jobs.get(f"batches/{call.target}")
                if job is None or call.method != ("GET" if call.kind == "get" else "POST"):
                    return error(404, "NOT_FOUND", f"Batch batches/{call.target} not found")
                if call.kind == "get" and self.get_errors:
                    return self.get_errors.popleft()
                if call.kind == "cancel":
                    job.cancelled = True
                    return Reply(body={})
                return self._poll(job)
        return error(404, "NOT_FOUND", f"the fake batch server does not serve {call.method} {call.path}")

    def _create(self, call: BatchCall) -> Reply:
        batch = call.body.get("batch", {})
        items = batch.get("inputConfig", {}).get("requests", {}).get("requests", [])
        calls = [InlinedCall(i, it.get("request", {}), it.get("metadata") or {}) for i, it in enumerate(items)]
        name = f"batches/fake{next(self._ids)}"
        job = Job(name, f"models/{call.target}", batch.get("displayName", ""), calls)
        self.jobs[name] = job
        return Reply(body=_operation(job))

    def _poll(self, job: Job) -> Reply:
        job.polls += 1
        if job.cancelled:
            job.state = "BATCH_STATE_CANCELLED"
        elif job.polls <= self.pending_polls or self.final_state is None:
            job.state = "BATCH_STATE_PENDING" if job.polls == 1 else "BATCH_STATE_RUNNING"
        else:
            job.state = self.final_state
            if job.state == "BATCH_STATE_SUCCEEDED" and not job.output:
                job.output = [self._answer(c) for c in job.calls]
                if self.reverse_output:
                    job.output.reverse()
        return Reply(body=_operation(job))

    def _answer(self, call: InlinedCall) -> dict[str, Any]:
        reply = self.responder(call)
        item: dict[str, Any] = {"metadata": call.metadata} if self.echo_metadata and call.metadata else {}
        if reply.status == 200:
            item["response"] = reply.body
        else:
            item["error"] = (reply.body or {}).get("error", {"code": reply.status, "message": "error"})
        return item

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_port}"

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


def _operation(job: Job) -> dict[str, Any]:
    """The long-running operation the Batch API answers to a create and a get."""
    done = job.state in ("BATCH_STATE_SUCCEEDED", "BATCH_STATE_FAILED", "BATCH_STATE_CANCELLED", "BATCH_STATE_EXPIRED")
    total = len(job.calls)
    finished = total if job.state == "BATCH_STATE_SUCCEEDED" else 0
    failed = sum(1 for o in job.output if "error" in o)
    metadata: dict[str, Any] = {
        "@type": _TYPE + "GenerateContentBatch",
        "model": job.model,
        "displayName": job.display_name,
        "name": job.name,
        "state": job.state,
        "createTime": _TIME,
        "updateTime": _TIME,
        "batchStats": {
            "requestCount": str(total),
            "pendingRequestCount": str(total - finished),
            "successfulRequestCount": str(finished - failed),
            "failedRequestCount": str(failed),
        },
    }
    body: dict[str, Any] = {"name": job.name, "metadata": metadata, "done": done}
    if job.output:
        output = {"@type": _TYPE + "GenerateContentBatchOutput", "inlinedResponses": {"inlinedResponses": job.output}}
        metadata["output"] = output
        body["response"] = output
    elif job.state == "BATCH_STATE_FAILED":
        body["error"] = {"code": 13, "message": "the batch failed"}
    return body
