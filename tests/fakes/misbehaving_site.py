"""A local web server on loopback that misbehaves on purpose, for the fetcher's tests.

Every request is recorded (path, arrival time, headers) in the server's thread-safe `RequestLog`, so a test can
assert how often, when and how a path was requested. Most routes take extra path segments (`/flaky/1/<token>`):
the behaviour is chosen by the first segment, and the rest makes the path unique to one test.
"""

import functools
import gzip
import math
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PAGE = b"<html><head><title>ok</title></head><body><p>hello</p></body></html>"
CP1252_PAGE = "<html><body>“smart quotes” cost 5 € – naïve</body></html>".encode("cp1252")
LATIN1_PAGE = "<html><body>café crème brûlée</body></html>".encode("latin-1")
META_CHARSET_PAGE = '<html><head><meta charset="windows-1252"></head><body>“quoted” €</body></html>'.encode("cp1252")
LAST_MODIFIED = "Tue, 24 Nov 2026 10:00:00 GMT"
SLOW_S = 0.2  # how long a /slow/ response takes
TRICKLE_EVERY_S = 0.05  # a /trickle/ body sends one byte this often
HOLD_MAX_S = 60.0  # the longest a held handler waits for `release` before giving up on its own


@functools.cache
def gzip_bomb() -> bytes:
    """About 10 MB of zeros, gzip-compressed to about 10 KB."""
    return gzip.compress(b"\0" * 10_000_000)


@dataclass(frozen=True)
class SeenRequest:
    path: str  # without the query string
    query: str
    at: float  # time.monotonic() when the request line was read
    headers: dict[str, str]  # lower-case names


class RequestLog:
    """Everything the server was asked, and how many requests were in flight at most; safe across threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[SeenRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0

    def record(self, seen: SeenRequest) -> int:
        """Add a request; returns how many times its path has been requested, this one included."""
        with self.lock:
            self.requests.append(seen)
            return sum(1 for r in self.requests if r.path == seen.path)

    def seen(self, path: str) -> list[SeenRequest]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def count(self, path: str) -> int:
        return len(self.seen(path))

    def times(self, path: str) -> list[float]:
        return [r.at for r in self.seen(path)]

    def starting_with(self, prefix: str) -> list[SeenRequest]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith(prefix)]

    def total(self) -> int:
        with self.lock:
            return len(self.requests)

    def enter(self) -> None:
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1


class MisbehavingServer(ThreadingHTTPServer):
    """The server, with what its routes need: the log, the robots.txt answer, page versions and a release switch."""

    daemon_threads = True
    request_queue_size = 128  # the default backlog of 5 drops connections when a test opens many at once

    def __init__(self, address: tuple[str, int], robots_status: int = 404, robots_body: str = "") -> None:
        super().__init__(address, MisbehavingHandler)
        self.log = RequestLog()
        self.robots_status, self.robots_body = robots_status, robots_body
        self.versions: dict[str, str] = {}  # path -> current version of a /versioned/ page ("1" when absent)
        self.release = threading.Event()  # lets held handlers (/hang/, /stall/, /trickle/) finish

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hang up on purpose (timeouts, size limits, killed processes)


class MisbehavingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: MisbehavingServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": "text/html; charset=utf-8", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_chunked(self, chunks: Iterator[bytes], headers: dict[str, str] | None = None) -> None:
        """A 200 with `Transfer-Encoding: chunked` (no Content-Length), one HTTP chunk per item, flushed at once."""
        self.send_response(200)
        for name, value in {"Content-Type": "text/html", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in chunks:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    def hold(self) -> None:
        """Wait until the test releases the server (or HOLD_MAX_S passes)."""
        self.server.release.wait(HOLD_MAX_S)

    def reset(self) -> None:
        """Drop the connection with a TCP RST, before any response."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()  # the real close (and the RST) happens when the request's reader is closed

    def start_short_body(self) -> None:
        """Headers promising 100 bytes, and only the first 6 of them."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", "100")
        self.end_headers()
        self.wfile.write(b"<html>")
        self.wfile.flush()

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path, query = parts.path, parts.query
        headers = {name.lower(): value for name, value in self.headers.items()}
        hit = self.server.log.record(SeenRequest(path, query, time.monotonic(), headers))
        route, *args = path.strip("/").split("/")
        number = int(args[0]) if args and args[0].isdigit() else 0
        if route == "ok":
            if headers.get("if-none-match") == '"v1"':
                self.send_not_modified({"ETag": '"v1"'})
            else:
                self.send(200, PAGE, {"ETag": '"v1"', "Last-Modified": LAST_MODIFIED})
        elif route in ("plain", "public", "private"):
            self.send(200, PAGE)
        elif route == "missing":
            self.send(404, b"not here")
        elif route == "robots.txt":
            self.send(self.server.robots_status, self.server.robots_body.encode(), {"Content-Type": "text/plain"})
        elif route == "slow-body":
            self.start_short_body()
            time.sleep(3)
        elif route == "stall":  # headers and the start of the body, then silence until released
            self.start_short_body()
            self.hold()
            self.close_connection = True
        elif route == "stall-first":  # /stall-first/<n>/<token>: the first n requests stall like /stall/, then the page
            if hit <= number:
                self.start_short_body()
                self.hold()
                self.close_connection = True
            else:
                self.send(200, PAGE)
        elif route == "trickle":  # one byte at a time, never silent for long, never complete
            self.close_connection = True
            self.send_chunked(self.trickle())
        elif route == "big":
            self.send(200, b"x" * 300_000)
        elif route == "big-chunked":  # 300 KB with no Content-Length: the size is only known by reading
            self.send_chunked(iter([b"x" * 16_384] * 19))
        elif route == "huge-declared":  # declares 1 GB, sends 1 KB, then nothing: only a header check can finish
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(1 << 30))
            self.end_headers()
            self.wfile.write(b"x" * 1024)
            self.wfile.flush()
            self.hold()
            self.close_connection = True
        elif route == "gzip-bomb":
            self.send(200, gzip_bomb(), {"Content-Encoding": "gzip"})
        elif route == "brotli":
            self.send(200, b"\x1b\x03\x00\xf8\xa5\x90\x02", {"Content-Encoding": "br"})
        elif route == "loop":
            self.send(302, b"", {"Location": path})
        elif route == "chain":  # /chain/<n>/<token>: n redirects, then the page
            if number > 0:
                self.send(302, b"", {"Location": "/".join(["", "chain", str(number - 1), *args[1:]])})
            else:
                self.send(200, PAGE)
        elif route == "redirect":  # /redirect/<token>?to=<url>
            self.send(302, b"", {"Location": parse_qs(query)["to"][0]})
        elif route == "to-private":
            self.send(302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"})
        elif route == "hop":
            self.send(301, b"", {"Location": "/ok"})
        elif route == "latin1":
            body = "<html><body>café crème</body></html>".encode("latin-1")
            self.send(200, body, {"Content-Type": "text/html; charset=iso-8859-1"})
        elif route == "cp1252":  # windows-1252 bytes, no charset anywhere in the header
            self.send(200, CP1252_PAGE, {"Content-Type": "text/html"})
        elif route == "mislabeled":  # the header says utf-8, the bytes are latin-1
            self.send(200, LATIN1_PAGE, {"Content-Type": "text/html; charset=utf-8"})
        elif route == "flaky":  # /flaky/<n>/<token>: 503 for the first n requests, then the page
            if hit <= number:
                self.send(503, b"busy")
            else:
                self.send(200, PAGE)
        elif route == "flaky-odd-retry-after":  # like /flaky/, with a Retry-After no parser should choke on
            if hit <= number:
                self.send(503, b"busy", {"Retry-After": "\u00b2"})  # sent as the latin-1 byte 0xB2
            else:
                self.send(200, PAGE)
        elif route == "unavailable":
            self.send(503, b"down for maintenance")
        elif route == "throttled":  # /throttled/<seconds>/<token>: a 429 asking to wait, then the page
            if hit == 1:
                self.send(429, b"slow down", {"Retry-After": args[0]})
            else:
                self.send(200, PAGE)
        elif route == "throttled-until":  # the same, with an HTTP-date at least <seconds> - 1 s ahead
            if hit == 1:
                self.send(429, b"slow down", {"Retry-After": formatdate(math.floor(time.time()) + number, usegmt=True)})
            else:
                self.send(200, PAGE)
        elif route == "reset":  # /reset/<n>/<token>: TCP RST for the first n requests, then the page
            if hit <= number:
                self.reset()
            else:
                self.send(200, PAGE)
        elif route == "hangup":  # /hangup/<n>/<token>: connection closed without an answer n times, then the page
            if hit <= number:
                self.close_connection = True
            else:
                self.send(200, PAGE)
        elif route == "slow":  # counted in flight while it works; leaves before answering
            self.server.log.enter()
            time.sleep(SLOW_S)
            self.server.log.leave()
            self.send(200, PAGE)
        elif route == "hang":  # answers only once the test releases the server
            self.hold()
            self.send(200, PAGE + path.encode())
        elif route == "versioned":  # ETag per version of the page; 304 when the client has it
            version = self.server.versions.get(path, "1")
            etag = f'"v{version}"'
            if headers.get("if-none-match") == etag:
                self.send_not_modified({"ETag": etag})
            else:
                self.send(200, PAGE + f"<!-- {path} v{version} -->".encode(), {"ETag": etag})
        elif route == "meta-charset":  # cp1252 named only by the page's <meta>, with an ETag
            if headers.get("if-none-match") == '"m1"':
                self.send_not_modified({"ETag": '"m1"'})
            else:
                self.send(200, META_CHARSET_PAGE, {"ETag": '"m1"', "Content-Type": "text/html"})
        elif route == "dated":  # a Last-Modified validator only
            if headers.get("if-modified-since") == LAST_MODIFIED:
                self.send_not_modified({})
            else:
                self.send(200, PAGE + f"<!-- {path} -->".encode(), {"Last-Modified": LAST_MODIFIED})
        else:
            self.send(404, b"no such page")

    def send_not_modified(self, headers: dict[str, str]) -> None:
        self.send_response(304)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def trickle(self) -> Iterator[bytes]:
        deadline = time.monotonic() + HOLD_MAX_S
        while not self.server.release.is_set() and time.monotonic() < deadline:
            yield b"x"
            time.sleep(TRICKLE_EVERY_S)


@dataclass
class Site:
    """A running misbehaving server: its base URL and what it saw."""

    server: MisbehavingServer
    base_url: str

    @property
    def log(self) -> RequestLog:
        return self.server.log

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str) -> str:
        return self.base_url + path

    def release(self) -> None:
        """Let every held handler answer (and answer new held requests at once)."""
        self.server.release.set()


StartSite = Callable[..., Site]  # starts a site with `serve_site`'s arguments, e.g. a test fixture


@contextmanager
def serve_site(
    host: str = "127.0.0.1", port: int = 0, robots_status: int = 404, robots_body: str = ""
) -> Iterator[Site]:
    """Serve the misbehaving routes on `host` (any 127/8 address on Linux) and `port` (0: a free one)."""
    server = MisbehavingServer((host, port), robots_status, robots_body)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Site(server, f"http://{host}:{server.server_address[1]}")
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()


@contextmanager
def serve_misbehaving_site() -> Iterator[str]:
    """Serve the misbehaving routes on 127.0.0.1 and a free port; yields the base URL."""
    with serve_site() as site:
        yield site.base_url
