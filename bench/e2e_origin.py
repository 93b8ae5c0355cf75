"""The origin of bench/e2e.py: N generated article pages written to one file once, served fast with validators.

    python bench/e2e_origin.py --pages DIR [--no-uvloop]

DIR holds what `build_pages` wrote: `pages.bin` (the pages back to back), `index.bin` (offsets and CRC-32s) and
`manifest.json` (how many pages, from which generator). Page i is `bench/pages.py`'s `article_page(i, rng)` with
an RNG seeded from i, so every run of the bench serves the same bytes; generating costs ~5 ms a page, so it is done
once (on all cores) and reused while the generator and the page count allow. The server reads each page from the
file on request (`os.pread`, from the page cache): its memory does not grow with N.

One asyncio.Protocol loop on a free port of 127.0.0.1, HTTP/1.1 keep-alive, GET and HEAD, requests not pipelined:
  - `/p/<i>` (0 <= i < N): page i, `text/html; charset=utf-8`, with an ETag (its CRC-32 and length) and a fixed
    Last-Modified; `304 Not Modified` without a body when If-None-Match names that ETag (or `*`), or, without
    If-None-Match, when If-Modified-Since is not before Last-Modified;
  - `/robots.txt`: allows everything; anything else: 404.

Protocol with the parent, one JSON line each way:
  - on start, stdout: {"port": PORT, "pages": N, "loop": "uvloop" | "asyncio"}
  - stdin "stats": stdout {"cpu_s": user+sys, "peak_rss_mib": its peak RSS, "served": {"200": n, "304": n, ...}}
  - stdin "quit" or EOF: the server stops.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import resource
import sys
import threading
import zlib
from array import array
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from email.utils import formatdate, parsedate_to_datetime
from multiprocessing import get_context
from pathlib import Path
from typing import cast

GENERATOR_FILE = Path(__file__).resolve().with_name("pages.py")
LAST_MODIFIED_EPOCH = 1_780_000_000  # a fixed day in 2026: the pages never change
LAST_MODIFIED = formatdate(LAST_MODIFIED_EPOCH, usegmt=True)
MAX_HEAD_BYTES = 64 * 1024
GENERATE_CHUNK = 64  # pages a generating worker returns at once
ROBOTS = b"User-agent: *\nAllow: /\n"


# ---------------------------------------------------------------------------------------------------------------
# The pages on disk


def generated_page(i: int) -> bytes:
    """Page i, the same bytes on every run."""
    from pages import article_page  # bench/pages.py: this folder is on sys.path when a bench script runs

    return article_page(i, random.Random(f"e2e-page-{i}"))


def generated_pages(start: int, stop: int) -> list[bytes]:
    return [generated_page(i) for i in range(start, stop)]


def generator_id() -> str:
    """Changes whenever bench/pages.py does, so pages of an older generator are not reused."""
    return hashlib.sha256(GENERATOR_FILE.read_bytes()).hexdigest()[:16]


class PageStore:
    """Generated pages in one file, with their offsets and CRC-32s; read with pread, never all in memory."""

    def __init__(self, folder: Path) -> None:
        manifest = json.loads((folder / "manifest.json").read_text())
        self.count: int = manifest["count"]
        index = array("Q")
        index.frombytes((folder / "index.bin").read_bytes())
        self.offsets = index[: self.count + 1]
        self.crcs = index[self.count + 1 :]
        self.fd = os.open(folder / "pages.bin", os.O_RDONLY)

    def body(self, i: int) -> bytes:
        start = self.offsets[i]
        return os.pread(self.fd, self.offsets[i + 1] - start, start)

    def size(self, i: int) -> int:
        return self.offsets[i + 1] - self.offsets[i]

    def etag(self, i: int) -> str:
        return f'"{self.crcs[i]:08x}-{self.size(i):x}"'

    def total_bytes(self, count: int) -> int:
        return self.offsets[count] - self.offsets[0]

    def close(self) -> None:
        os.close(self.fd)


def stored_count(folder: Path) -> int:
    """How many pages of the current generator `folder` holds (0 when none, or another generator's)."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return 0
    return int(manifest["count"]) if manifest.get("generator") == generator_id() else 0


def build_pages(folder: Path, count: int, workers: int, say: Callable[[str], None]) -> PageStore:
    """The store of at least `count` pages in `folder`: reused when it has them, generated on `workers` cores else."""
    if stored_count(folder) >= count:
        return PageStore(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").unlink(missing_ok=True)  # a half-written store is never taken for a whole one
    say(f"generating {count} pages into {folder} on {workers} processes (once; reused by later runs)")
    offsets, crcs = array("Q", [0]), array("Q")
    ranges = [(start, min(count, start + GENERATE_CHUNK)) for start in range(0, count, GENERATE_CHUNK)]
    with open(folder / "pages.bin", "wb") as out, ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        for done, pages in enumerate(pool.map(generated_pages, *zip(*ranges, strict=True)), start=1):
            for page in pages:
                out.write(page)
                offsets.append(offsets[-1] + len(page))
                crcs.append(zlib.crc32(page))
            if done % max(1, len(ranges) // 10) == 0:
                say(f"  {min(count, done * GENERATE_CHUNK)} / {count} pages")
    (folder / "index.bin").write_bytes((offsets + crcs).tobytes())
    manifest = {"count": count, "generator": generator_id(), "bytes": offsets[-1]}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return PageStore(folder)


# ---------------------------------------------------------------------------------------------------------------
# The server


def response(status: str, headers: dict[str, str], body: bytes, keep_alive: bool, head_only: bool = False) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Server: bench-e2e-origin", f"Connection: {'keep-alive' if keep_alive else 'close'}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if not status.startswith("304"):  # a 304 has no body, and no length of one
        lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")
    return head if head_only else head + body


def parse_head(head: bytes) -> tuple[list[bytes], dict[str, str]]:
    """The request line's parts and the headers (lower-case names; the last one of a name wins)."""
    request_line, _, rest = head.partition(b"\r\n")
    headers = {}
    for line in rest.split(b"\r\n"):
        name, sep, value = line.partition(b":")
        if sep:
            headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    return request_line.split(b" "), headers


def not_modified(etag: str, headers: dict[str, str]) -> bool:
    """RFC 9110 13.1: If-None-Match decides when present (weak comparison); If-Modified-Since only without it."""
    if "if-none-match" in headers:
        tags = [tag.strip().removeprefix("W/") for tag in headers["if-none-match"].split(",")]
        return "*" in tags or etag in tags
    since = headers.get("if-modified-since")
    if not since:
        return False
    try:
        return parsedate_to_datetime(since).timestamp() >= LAST_MODIFIED_EPOCH
    except (TypeError, ValueError):
        return False


class Site:
    """What the origin answers, and how often it answered what."""

    def __init__(self, store: PageStore) -> None:
        self.store = store
        self.served: Counter[str] = Counter()

    def answer(self, method: bytes, target: bytes, headers: dict[str, str], keep_alive: bool) -> bytes:
        head_only = method == b"HEAD"
        path = target.decode("latin-1").split("?", 1)[0]
        number = path.removeprefix("/p/")
        if path.startswith("/p/") and number.isdigit() and int(number) < self.store.count:
            i = int(number)
            validators = {"ETag": self.store.etag(i), "Last-Modified": LAST_MODIFIED}
            if not_modified(validators["ETag"], headers):
                self.served["304"] += 1
                return response("304 Not Modified", validators, b"", keep_alive, head_only=True)
            self.served["200"] += 1
            headers_out = {"Content-Type": "text/html; charset=utf-8", **validators}
            return response("200 OK", headers_out, self.store.body(i), keep_alive, head_only)
        if path == "/robots.txt":
            self.served["robots.txt"] += 1
            return response("200 OK", {"Content-Type": "text/plain"}, ROBOTS, keep_alive, head_only)
        self.served["404"] += 1
        return response("404 Not Found", {"Content-Type": "text/plain"}, b"not found\n", keep_alive, head_only)


class PagesProtocol(asyncio.Protocol):
    """One client connection: answer each complete request head in turn."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None and (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = bytes(self.buffer[:end])
            del self.buffer[: end + 4]
            self.answer(head)
        if self.transport is not None and len(self.buffer) > MAX_HEAD_BYTES:
            self.transport.write(response("431 Request Header Fields Too Large", {}, b"", False))
            self.transport.close()

    def answer(self, head: bytes) -> None:
        assert self.transport is not None
        parts, headers = parse_head(head)
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
            self.transport.write(response("400 Bad Request", {}, b"", False))
            self.transport.close()
            self.transport = None
            return
        method, target, version = parts
        connection = headers.get("connection", "").lower()
        keep_alive = "close" not in connection if version == b"HTTP/1.1" else "keep-alive" in connection
        self.transport.write(self.site.answer(method, target, headers, keep_alive))
        if not keep_alive:
            self.transport.close()
            self.transport = None


def stats(site: Site) -> str:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures = {"cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mib": usage.ru_maxrss / 1024}
    return json.dumps(figures | {"served": dict(site.served)})


def answer_commands(site: Site, stop: Callable[[], None]) -> None:
    """Read commands from stdin (in a thread); on "quit" or end of input, stop the server."""
    for line in sys.stdin:
        if line.strip() == "stats":
            print(stats(site), flush=True)
        elif line.strip() == "quit":
            break
    stop()


async def serve(store: PageStore) -> None:
    loop = asyncio.get_running_loop()
    site = Site(store)
    server = await loop.create_server(lambda: PagesProtocol(site), "127.0.0.1", 0, backlog=4096)
    done = asyncio.Event()
    loop_name = "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port, "pages": store.count, "loop": loop_name}), flush=True)

    def stop() -> None:
        loop.call_soon_threadsafe(done.set)

    threading.Thread(target=answer_commands, args=(site, stop), daemon=True).start()
    await done.wait()
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=Path, required=True, help="the folder build_pages wrote")
    parser.add_argument("--no-uvloop", action="store_true", help="use the stock asyncio loop even if uvloop exists")
    args = parser.parse_args()
    store = PageStore(args.pages)
    if not args.no_uvloop:
        try:
            import uvloop

            uvloop.run(serve(store))
            return
        except ImportError:
            pass
    asyncio.run(serve(store))


if __name__ == "__main__":
    main()
