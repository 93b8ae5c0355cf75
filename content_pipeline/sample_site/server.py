"""Serve the bundled sample site on loopback, for the demo and the tests (no internet needed)."""

import csv
import hashlib
import mimetypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

SITE_DIR = Path(__file__).resolve().parent
PAGES_DIR = SITE_DIR / "pages"
URLS_CSV = SITE_DIR / "urls.csv"
SHUTDOWN_POLL_SECONDS = 0.05  # how quickly leaving the context manager stops the server
NOT_FOUND_PAGE = b"<!DOCTYPE html><html><head><title>Not Found</title></head><body><h1>Not Found</h1></body></html>"
CONTENT_TYPES = {
    ".html": "text/html",
    ".json": "application/json",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".pdf": "application/pdf",
    ".mp3": "audio/mpeg",
}


def content_type_for(path: Path, body: bytes) -> str:
    """Content-Type header for a file: HTML and JSON that are UTF-8 say so; legacy-encoded HTML names no charset."""
    media = CONTENT_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if media in {"text/html", "application/json"}:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return media  # the page declares its encoding in <meta charset>: leave it to the reader
        return f"{media}; charset=utf-8"
    return media


class _SampleSiteHandler(BaseHTTPRequestHandler):
    """GET/HEAD of files under pages/; 404 for anything else, no directory listings, no escaping the root."""

    server_version = "SampleSite/1.0"
    root: Path = PAGES_DIR

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def _resolve(self) -> Path | None:
        relative = unquote(urlsplit(self.path).path).lstrip("/")
        if not relative or "\x00" in relative:
            return None
        target = (self.root / relative).resolve()
        if not target.is_relative_to(self.root) or not target.is_file():
            return None
        return target

    def _respond(self, send_body: bool) -> None:
        target = self._resolve()
        if target is None:
            body = NOT_FOUND_PAGE
            self._send(HTTPStatus.NOT_FOUND, {"Content-Type": "text/html; charset=utf-8"}, body, send_body)
            return
        body = target.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        headers = {
            "Content-Type": content_type_for(target, body),
            "ETag": etag,
            "Last-Modified": formatdate(target.stat().st_mtime, usegmt=True),
            "Cache-Control": "max-age=60",
        }
        if self.headers.get("If-None-Match") == etag:
            self._send(HTTPStatus.NOT_MODIFIED, headers, b"", send_body=False)
            return
        self._send(HTTPStatus.OK, headers, body, send_body)

    def _send(self, status: HTTPStatus, headers: dict[str, str], body: bytes, send_body: bool) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != HTTPStatus.NOT_MODIFIED:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the sample site is a fixture, not a service."""


@contextmanager
def serve_sample_site(host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve pages/ in a daemon thread for the duration of the block; yields the base URL ("http://127.0.0.1:PORT")."""
    server = ThreadingHTTPServer((host, port), _SampleSiteHandler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, args=(SHUTDOWN_POLL_SECONDS,), name="sample-site", daemon=True
    )
    thread.start()
    try:
        bound_host, bound_port = server.server_address[:2]
        yield f"http://{bound_host!s}:{bound_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def sample_urls(base_url: str) -> list[tuple[str, str]]:
    """(absolute URL, expected kind) for every row of urls.csv; kind "broken" marks the link that answers 404."""
    with URLS_CSV.open(newline="", encoding="utf-8") as handle:
        return [
            (urljoin(base_url.rstrip("/") + "/", row["path"].lstrip("/")), row["expected_kind"])
            for row in csv.DictReader(handle)
        ]
