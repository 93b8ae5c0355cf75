import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import polars as pl
import pytest

from content_pipeline.fetch.http_fetcher import HttpFetcher
from content_pipeline.fetch.settings import FetchSettings
from content_pipeline.fetch.stage import fetch_partition
from content_pipeline.schemas import INGEST_SCHEMA, frame


class ClosedSiteHandler(BaseHTTPRequestHandler):
    """A site whose robots.txt disallows everything; every page is a small HTML document."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = b"User-agent: *\nDisallow: /\n" if self.path == "/robots.txt" else b"<html><body>page</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain" if self.path == "/robots.txt" else "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def closed_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ClosedSiteHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def ingested(rows: list[tuple[str, str | None, str, str]]) -> pl.DataFrame:
    return frame(
        [
            {"record_id": rid, "url": url, "status": status, "source_file": source, "added_on": date(2026, 11, 24)}
            for rid, url, status, source in rows
        ],
        INGEST_SCHEMA,
    )


def test_robots_txt_is_obeyed_except_for_sources_the_user_exempted(closed_site: str) -> None:
    data = ingested(
        [
            ("a", f"{closed_site}/news/1", "ok", "public-list.csv"),
            ("b", f"{closed_site}/news/2", "ok", "partner-feeds.csv"),
            ("c", None, "empty_url", "public-list.csv"),
        ]
    )
    fetcher = HttpFetcher(FetchSettings(allow_private=("127.0.0.1",)))
    out = fetch_partition(data, fetcher, ignore_robots_for=["partner-*.csv"]).sort("record_id")
    assert out["status"].to_list() == ["robots", "ok", "skipped"]
    assert "robots.txt" in out["reason"][0]
    assert out["reason"][2] == "ingest status empty_url"
    assert (out["content_type"][1], out["charset"][1], out["attempts"][1]) == ("text/html", "ascii", 1)
