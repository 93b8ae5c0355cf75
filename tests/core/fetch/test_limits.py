"""Timeouts, body size limits (plain and compressed), Content-Encoding and redirect limits."""

import gzip
import zlib
from dataclasses import replace

import pytest

from content_pipeline.fetch.body_decoder import BodyTooLargeError, BoundedDecoder, UnsupportedEncodingError
from content_pipeline.fetch.models import FetchResult
from content_pipeline.fetch.settings import FetchSettings
from tests.core.fetch.batch import fetch_beside_ok
from tests.fakes.misbehaving_site import PAGE, Site, gzip_bomb

LIMIT = 100_000
LIMITED = FetchSettings(
    allow_private=("127.0.0.1",),
    max_attempts=1,  # timeouts are transient: without this each one would be waited out three times
    read_timeout_s=5.0,
    total_timeout_s=10.0,
    max_body_bytes=LIMIT,
    max_redirects=5,
    per_host_rate=0,
)


def fetch(site: Site, *paths: str, settings: FetchSettings = LIMITED) -> dict[str, FetchResult]:
    return fetch_beside_ok(site, paths, settings)


def test_a_body_that_stalls_past_the_read_timeout_ends_as_timeout(site: Site) -> None:
    result = fetch(site, "/stall/a", settings=replace(LIMITED, read_timeout_s=0.5))["/stall/a"]
    assert result.status.value == "timeout" and result.body is None
    assert result.http_status == 200  # the headers came; the body did not
    assert "no complete response within" not in result.reason  # the read timeout, not the total one


def test_a_body_that_trickles_forever_is_cut_by_the_total_timeout(site: Site) -> None:
    # a byte every 50 ms never trips the 1 s read timeout; only the total timeout ends it
    result = fetch(site, "/trickle/a", settings=replace(LIMITED, read_timeout_s=1.0, total_timeout_s=1.5))
    assert result["/trickle/a"].status.value == "timeout"
    assert result["/trickle/a"].reason == "no complete response within 1.5 s"


def test_a_plain_body_over_the_limit_is_too_large(site: Site) -> None:
    result = fetch(site, "/big-chunked/a")["/big-chunked/a"]  # 300 KB, no Content-Length to warn us
    assert result.status.value == "too_large" and result.body is None
    assert result.bytes > LIMIT
    assert str(LIMIT) in result.reason


def test_a_declared_content_length_over_the_limit_is_refused_without_reading_the_body(site: Site) -> None:
    # the server declares 1 GB, sends 1 KB and then nothing: reading the body could only end in a (5 s) timeout
    result = fetch(site, "/huge-declared/a")["/huge-declared/a"]
    assert result.status.value == "too_large", result.reason
    assert result.body is None


def test_a_gzip_bomb_is_too_large_on_its_decoded_size(site: Site) -> None:
    assert len(gzip_bomb()) < LIMIT  # what travels is small; what it decodes to (10 MB) is not
    result = fetch(site, "/gzip-bomb/a")["/gzip-bomb/a"]
    assert result.status.value == "too_large" and result.body is None
    assert LIMIT < result.bytes <= LIMIT + 1  # decoding stopped at the limit, not at 10 MB


def test_an_unsupported_content_encoding_is_an_error_with_a_clear_reason(site: Site) -> None:
    result = fetch(site, "/brotli/a")["/brotli/a"]
    assert result.status.value == "error" and result.body is None
    assert result.reason == "unsupported Content-Encoding: br"


def test_a_redirect_loop_ends_as_too_many_redirects(site: Site) -> None:
    result = fetch(site, "/loop/a")["/loop/a"]
    assert result.status.value == "too_many_redirects" and result.reason == "more than 5 redirects"
    assert site.log.count("/loop/a") == LIMITED.max_redirects + 1


def test_a_redirect_chain_within_the_limit_is_followed_and_counted(site: Site) -> None:
    results = fetch(site, "/chain/3/a", "/chain/5/b", "/chain/6/c")
    assert results["/chain/3/a"].status.value == "ok" and results["/chain/3/a"].body == PAGE
    assert results["/chain/3/a"].redirects == 3 and results["/chain/3/a"].final_url == site.url("/chain/0/a")
    assert results["/chain/5/b"].status.value == "ok" and results["/chain/5/b"].redirects == 5  # exactly the limit
    assert results["/chain/6/c"].status.value == "too_many_redirects"
    assert site.log.count("/chain/0/c") == 0  # the sixth redirect was not followed


# BoundedDecoder on its own

TEXT = b"".join(b"line %d: " % i + bytes(range(32, 127)) + b"\n" for i in range(2000))  # ~200 KB, compressible


def decode(coding: str | None, data: bytes, chunk_size: int, limit: int = 10_000_000) -> bytes:
    decoder = BoundedDecoder(coding, limit)
    out = [decoder.feed(data[i : i + chunk_size]) for i in range(0, len(data), chunk_size)]
    return b"".join(out) + decoder.flush()


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("coding", "encoded"),
    [
        ("gzip", gzip.compress(TEXT)),
        ("x-gzip", gzip.compress(TEXT)),
        ("deflate", zlib.compress(TEXT)),  # zlib-wrapped, as RFC 9110 says
        ("deflate", raw_deflate(TEXT)),  # raw, as many servers send it
        (None, TEXT),
        ("identity", TEXT),
    ],
    ids=["gzip", "x-gzip", "deflate-zlib", "deflate-raw", "none", "identity"],
)
@pytest.mark.parametrize("chunk_size", [1, 7, 16_384, 10_000_000])
def test_decoding_round_trips_whatever_the_chunking(coding: str | None, encoded: bytes, chunk_size: int) -> None:
    assert decode(coding, encoded, chunk_size) == TEXT


@pytest.mark.parametrize("chunk_size", [1, 5, 64, 10_000])
def test_multi_member_gzip_decodes_every_member(chunk_size: int) -> None:
    members = gzip.compress(b"first member\n") + gzip.compress(b"second member\n") + gzip.compress(b"")
    assert decode("gzip", members, chunk_size) == b"first member\nsecond member\n"


def test_an_empty_body_decodes_to_nothing() -> None:
    assert decode("gzip", gzip.compress(b""), 1) == b""
    assert decode("deflate", raw_deflate(b""), 1) == b""
    assert decode("deflate", zlib.compress(b""), 1) == b""
    assert BoundedDecoder("deflate", 10).flush() == b""


def test_a_gzip_bomb_in_one_chunk_stops_at_the_limit() -> None:
    decoder = BoundedDecoder("gzip", LIMIT)
    with pytest.raises(BodyTooLargeError) as raised:
        decoder.feed(gzip_bomb())
    assert LIMIT < raised.value.produced <= LIMIT + 1  # never more than one byte past the limit in memory


@pytest.mark.parametrize("chunk_size", [1024, 65_536])
def test_a_gzip_bomb_in_many_chunks_stops_at_the_limit(chunk_size: int) -> None:
    with pytest.raises(BodyTooLargeError) as raised:
        decode("gzip", gzip_bomb(), chunk_size, limit=LIMIT)
    assert LIMIT < raised.value.produced <= LIMIT + 1


def test_a_deflate_bomb_stops_at_the_limit() -> None:
    with pytest.raises(BodyTooLargeError) as raised:
        BoundedDecoder("deflate", LIMIT).feed(zlib.compress(b"\0" * 10_000_000))
    assert raised.value.produced <= LIMIT + 1


def test_a_plain_body_may_be_exactly_the_limit_but_not_more() -> None:
    assert decode(None, b"x" * LIMIT, 4096, limit=LIMIT) == b"x" * LIMIT
    with pytest.raises(BodyTooLargeError):
        decode(None, b"x" * (LIMIT + 1), 4096, limit=LIMIT)


@pytest.mark.parametrize("coding", ["br", "zstd", "compress", "gzip, br", "gzip, gzip"])
def test_an_encoding_that_was_not_asked_for_is_refused(coding: str) -> None:
    with pytest.raises(UnsupportedEncodingError, match="unsupported Content-Encoding"):
        BoundedDecoder(coding, LIMIT)
