"""A local oEmbed provider on loopback that speaks the real protocol: `GET /oembed?url=<page>&format=json` -> JSON.

A test registers what the provider answers for a page URL (`answer`); unknown pages get 404, a request without
`url` gets 400 and a format other than json gets 501, as the oEmbed spec says. Every request is recorded, so a
test can assert which pages were asked about and how often; `/robots.txt` answers 404 (everything allowed) unless
a test sets its text with `robots_txt`.
"""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

ENDPOINT_PATH = "/oembed"


@dataclass(frozen=True)
class Answer:
    body: bytes
    status: int = 200
    content_type: str = "application/json"


@dataclass(frozen=True)
class SeenRequest:
    path: str
    query: dict[str, list[str]]  # parsed query string

    @property
    def page_url(self) -> str | None:
        values = self.query.get("url")
        return values[0] if values else None


@dataclass
class OembedState:
    """What the provider answers and what it was asked; safe across the server's threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    answers: dict[str, Answer] = field(default_factory=dict)
    requests: list[SeenRequest] = field(default_factory=list)
    robots: str | None = None


class OembedServer(ThreadingHTTPServer):
    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, OembedHandler)
        self.daemon_threads = True
        self.state = OembedState()


class OembedHandler(BaseHTTPRequestHandler):
    server: OembedServer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the server is a fixture."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        seen = SeenRequest(parts.path, query)
        state = self.server.state
        with state.lock:
            state.requests.append(seen)
            answer = state.answers.get(seen.page_url or "")
            robots = state.robots
        if parts.path == "/robots.txt" and robots is not None:
            self.send(Answer(robots.encode(), 200, "text/plain"))
        elif parts.path != ENDPOINT_PATH:
            self.send(Answer(b"not found", 404, "text/plain"))
        elif seen.page_url is None:
            self.send(Answer(b'{"error": "url is required"}', 400))
        elif (query.get("format") or ["json"])[0] != "json":
            self.send(Answer(b"only json", 501, "text/plain"))
        else:
            self.send(answer or Answer(b'{"error": "no such page"}', 404))

    def send(self, answer: Answer) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)


@dataclass
class FakeOembed:
    """A running provider: its endpoint, what to answer, and what it was asked."""

    server: OembedServer
    base_url: str

    @property
    def endpoint(self) -> str:
        return self.base_url + ENDPOINT_PATH

    def link_for(self, page_url: str) -> str:
        """The discovery link a page of this provider advertises."""
        return f"{self.endpoint}?url={quote(page_url, safe='')}&format=json"

    def answer(self, page_url: str, document: object, status: int = 200) -> None:
        """Answer requests about `page_url` with `document` (JSON-encoded unless it is bytes already)."""
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        with self.server.state.lock:
            self.server.state.answers[page_url] = Answer(body, status)

    def robots_txt(self, text: str) -> None:
        with self.server.state.lock:
            self.server.state.robots = text

    @property
    def requests(self) -> list[SeenRequest]:
        """Every oEmbed request so far (robots.txt left out)."""
        with self.server.state.lock:
            return [r for r in self.server.state.requests if r.path != "/robots.txt"]

    def asked_about(self) -> list[str | None]:
        return [r.page_url for r in self.requests]


@contextmanager
def serve_oembed(host: str = "127.0.0.1", port: int = 0) -> Iterator[FakeOembed]:
    """Serve the fake provider in a daemon thread for the duration of the block."""
    server = OembedServer((host, port))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield FakeOembed(server, f"http://{host}:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
