"""HTTPS through the guarded resolver: the certificate is checked against the host name, not the pinned address."""

import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme

from content_pipeline.fetch.http_fetcher import HttpFetcher
from content_pipeline.fetch.models import FetchRequest
from content_pipeline.fetch.settings import FetchSettings

SETTINGS = FetchSettings(allow_private=("127.0.0.1", "localhost"), max_attempts=1, total_timeout_s=10)


class PageHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = b"<html><body>secure page</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def trusted_ca(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> trustme.CA:
    """A local certificate authority the fetcher trusts (through SSL_CERT_FILE, as a corporate CA would be)."""
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    return ca


def serve_tls(certificate_authority: trustme.CA, *names: str) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), PageHandler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate_authority.issue_cert(*names).configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def tls_site(trusted_ca: trustme.CA) -> Iterator[int]:
    yield from serve_tls(trusted_ca, "localhost")


@pytest.fixture
def untrusted_site(trusted_ca: trustme.CA) -> Iterator[int]:
    yield from serve_tls(trustme.CA(), "localhost")  # a certificate from an authority nobody trusts


def test_an_https_page_with_a_valid_certificate_is_fetched(tls_site: int) -> None:
    [result] = HttpFetcher(SETTINGS).fetch_all([FetchRequest("a", f"https://localhost:{tls_site}/page")])
    assert (result.status, result.http_status) == ("ok", 200), result.reason
    assert result.body == b"<html><body>secure page</body></html>"


def test_a_certificate_for_another_name_or_from_an_unknown_authority_is_refused(
    tls_site: int, untrusted_site: int
) -> None:
    results = HttpFetcher(SETTINGS).fetch_all(
        [
            FetchRequest("wrong-name", f"https://127.0.0.1:{tls_site}/page"),  # the certificate names localhost only
            FetchRequest("unknown-ca", f"https://localhost:{untrusted_site}/page"),
            FetchRequest("fine", f"https://localhost:{tls_site}/page"),
        ]
    )
    assert [r.status.value for r in results] == ["connection_error", "connection_error", "ok"]
    assert all("certificate" in r.reason.lower() for r in results[:2]), [r.reason for r in results]
