"""A local web server on 127.0.0.1 that misbehaves on purpose, for the fetcher's tests."""

import gzip
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = b"<html><head><title>ok</title></head><body><p>hello</p></body></html>"


class MisbehavingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": "text/html; charset=utf-8", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/ok":
            self.send(200, PAGE, {"ETag": '"v1"', "Last-Modified": "Tue, 24 Nov 2026 10:00:00 GMT"})
        elif path == "/missing":
            self.send(404, b"not here")
        elif path == "/slow-body":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"<html>")
            self.wfile.flush()
            time.sleep(3)
        elif path == "/big":
            self.send(200, b"x" * 300_000)
        elif path == "/gzip-bomb":
            self.send(200, gzip.compress(b"\0" * 5_000_000), {"Content-Encoding": "gzip"})
        elif path == "/loop":
            self.send(302, b"", {"Location": "/loop"})
        elif path == "/to-private":
            self.send(302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"})
        elif path == "/hop":
            self.send(301, b"", {"Location": "/ok"})
        elif path == "/latin1":
            body = "<html><body>café crème</body></html>".encode("latin-1")
            self.send(200, body, {"Content-Type": "text/html; charset=iso-8859-1"})
        else:
            self.send(404, b"no such page")


@contextmanager
def serve_misbehaving_site() -> Iterator[str]:
    """Serve the misbehaving routes on 127.0.0.1 and a free port; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), MisbehavingHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
