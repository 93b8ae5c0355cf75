"""Local HTTP/1.1 origins for bench/fetch.py: a minimal asyncio.Protocol server, fast enough not to be the bottleneck.

Started by bench/fetch.py as a child process, one event loop serving one or more listening sockets:

    python bench/origin.py --page-kb 50 --origin static:0 --origin latency:0.1

Each `--origin NAME:DELAY_S` listens on a free port of 127.0.0.1 and answers `GET /p/<anything>` with the same
HTML page (Content-Length, keep-alive), DELAY_S seconds after the request arrived; any other path is a 404.
Requests are GET without a body and are not pipelined: one request per connection is answered at a time.

Protocol with the parent, one JSON line each way:
  - on start, stdout: {"ports": {NAME: PORT, ...}, "page_bytes": N, "loop": "uvloop" | "asyncio"}
  - stdin "stats": stdout {"cpu_s": user+sys of this process, "served": {NAME: responses, ...}}
  - stdin "quit" or EOF: the server stops.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import threading
from collections import Counter
from collections.abc import Callable
from typing import cast

MAX_HEAD_BYTES = 64 * 1024
PARAGRAPH = (
    "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et "
    "dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip.</p>\n"
)


def make_page(size: int) -> bytes:
    """An HTML page of exactly `size` bytes (at least the head and tail)."""
    head = b"<!doctype html>\n<html><head><meta charset='utf-8'><title>bench page</title></head><body>\n"
    tail = b"</body></html>\n"
    filler = PARAGRAPH.encode() * (size // len(PARAGRAPH) + 1)
    return head + filler[: max(0, size - len(head) - len(tail))] + tail


def make_response(status: str, content_type: str, body: bytes, keep_alive: bool) -> bytes:
    connection = "keep-alive" if keep_alive else "close"
    head = (
        f"HTTP/1.1 {status}\r\nServer: bench-origin\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: {connection}\r\n\r\n"
    )
    return head.encode("ascii") + body


class Responses:
    """Every response the origin can send, built once."""

    def __init__(self, page: bytes) -> None:
        self.page = {ka: make_response("200 OK", "text/html; charset=utf-8", page, ka) for ka in (True, False)}
        self.page_head = {ka: r[: len(r) - len(page)] for ka, r in self.page.items()}
        missing = b"not found\n"
        self.not_found = {ka: make_response("404 Not Found", "text/plain", missing, ka) for ka in (True, False)}
        self.bad_request = make_response("400 Bad Request", "text/plain", b"bad request\n", False)

    def pick(self, method: bytes, target: bytes, keep_alive: bool) -> bytes:
        if not target.startswith(b"/p/"):
            return self.not_found[keep_alive]
        return self.page_head[keep_alive] if method == b"HEAD" else self.page[keep_alive]


def wants_keep_alive(version: bytes, headers: bytes) -> bool:
    """HTTP/1.1 keeps the connection unless told `close`; HTTP/1.0 closes it unless told `keep-alive`."""
    connection = b""
    for line in headers.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"connection":
            connection = value.strip().lower()
    if version == b"HTTP/1.1":
        return b"close" not in connection
    return b"keep-alive" in connection


class OriginProtocol(asyncio.Protocol):
    """One client connection: parse each request head up to the blank line, answer it (after `delay`), repeat."""

    def __init__(self, name: str, responses: Responses, delay: float, served: Counter[str]) -> None:
        self.name, self.responses, self.delay, self.served = name, responses, delay, served
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.pending: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's

    def connection_lost(self, exc: Exception | None) -> None:
        if self.pending is not None:
            self.pending.cancel()
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.pending is None:
            self.next_request()

    def next_request(self) -> None:
        """Answer the next complete request head in the buffer, if any."""
        transport = self.transport
        end = self.buffer.find(b"\r\n\r\n")
        if transport is None or end < 0:
            if transport is not None and len(self.buffer) > MAX_HEAD_BYTES:
                self.finish(self.responses.bad_request, keep_alive=False)
            return
        head = bytes(self.buffer[:end])
        del self.buffer[: end + 4]
        request_line, _, headers = head.partition(b"\r\n")
        parts = request_line.split(b" ")
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
            self.finish(self.responses.bad_request, keep_alive=False)
            return
        method, target, version = parts
        keep_alive = wants_keep_alive(version, headers)
        response = self.responses.pick(method, target, keep_alive)
        if self.delay > 0:
            loop = asyncio.get_running_loop()
            self.pending = loop.call_later(self.delay, self.finish, response, keep_alive)
        else:
            self.finish(response, keep_alive)

    def finish(self, response: bytes, keep_alive: bool) -> None:
        self.pending = None
        if self.transport is None:
            return
        self.transport.write(response)
        self.served[self.name] += 1
        if not keep_alive:
            self.transport.close()
            return
        if self.buffer:
            self.next_request()


def parse_origin(spec: str) -> tuple[str, float]:
    name, _, delay = spec.partition(":")
    return name, float(delay or 0)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def answer_commands(served: Counter[str], stop: Callable[[], None]) -> None:
    """Read commands from stdin (in a thread); on "quit" or end of input, stop the server."""
    for line in sys.stdin:
        if line.strip() == "stats":
            print(json.dumps({"cpu_s": cpu_seconds(), "served": dict(served)}), flush=True)
        elif line.strip() == "quit":
            break
    stop()


async def serve(origins: list[tuple[str, float]], page: bytes) -> None:
    loop = asyncio.get_running_loop()
    responses, served = Responses(page), Counter[str]()
    ports: dict[str, int] = {}
    servers = []
    for name, delay in origins:

        def factory(name: str = name, delay: float = delay) -> OriginProtocol:
            return OriginProtocol(name, responses, delay, served)

        server = await loop.create_server(factory, "127.0.0.1", 0, backlog=4096)
        servers.append(server)
        ports[name] = server.sockets[0].getsockname()[1]
    done = asyncio.Event()
    loop_name = "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"
    print(json.dumps({"ports": ports, "page_bytes": len(page), "loop": loop_name}), flush=True)
    threading.Thread(
        target=answer_commands, args=(served, lambda: loop.call_soon_threadsafe(done.set)), daemon=True
    ).start()
    await done.wait()
    for server in servers:
        server.close()


def run(origins: list[tuple[str, float]], page: bytes, use_uvloop: bool) -> None:
    if use_uvloop:
        try:
            import uvloop

            uvloop.run(serve(origins, page))
            return
        except ImportError:
            pass
    asyncio.run(serve(origins, page))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--page-kb", type=float, default=50.0, help="page size in KiB (default 50)")
    parser.add_argument("--origin", action="append", required=True, help="NAME:DELAY_S, repeatable")
    parser.add_argument("--no-uvloop", action="store_true", help="use the stock asyncio loop even if uvloop exists")
    args = parser.parse_args()
    run([parse_origin(s) for s in args.origin], make_page(round(args.page_kb * 1024)), not args.no_uvloop)


if __name__ == "__main__":
    main()
