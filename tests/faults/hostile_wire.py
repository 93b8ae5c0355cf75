"""HTTP/1.1 on an asyncio stream, just enough for a hostile origin: read a request head, answer in ways a client
must survive (short bodies, endless bodies, silence, resets)."""

import asyncio
import socket
import struct
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from urllib.parse import urlsplit

from tests.faults.hostile_log import SeenRequest

HOLD_MAX_S = 60.0  # the longest a connection is held open (stall, hang, trickle) while the client stays
MAX_HEAD_BYTES = 64 * 1024
HTML = "text/html; charset=utf-8"
REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 304: "Not Modified", 404: "Not Found"}
REASONS |= {405: "Method Not Allowed", 429: "Too Many Requests", 500: "Internal Server Error"}
REASONS |= {503: "Service Unavailable"}


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    keep_alive: bool
    seen: SeenRequest


class Connection:
    """One client connection: the streams and how the answer ends it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.keep_open = True

    async def send(self, request: Request, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        head = {"Content-Type": HTML, **(headers or {}), "Content-Length": str(len(body))}
        await self.write_head(request, status, head)
        self.writer.write(body)
        await self.writer.drain()
        request.seen.answer = request.seen.answer or str(status)

    async def write_head(self, request: Request, status: int, headers: dict[str, str]) -> None:
        if not request.keep_alive:
            headers = {**headers, "Connection": "close"}
            self.keep_open = False
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}", "Server: hostile-origin"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await self.writer.drain()

    async def until_client_leaves(self, limit_s: float = HOLD_MAX_S) -> None:
        """Wait, reading and dropping anything sent, until the client closes the connection (or `limit_s`)."""
        self.keep_open = False
        with suppress(TimeoutError, ConnectionError):
            async with asyncio.timeout(limit_s):
                while await self.reader.read(4096):
                    pass

    def reset(self) -> None:
        """Drop the connection with a TCP RST."""
        self.keep_open = False
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()

    async def send_chunks(self, request: Request, chunks: Iterator[bytes], every_s: float = 0.0) -> None:
        """A chunked 200 whose chunks come from `chunks` until it ends or the client leaves; never terminated."""
        await self.write_head(request, 200, {"Content-Type": HTML, "Transfer-Encoding": "chunked"})
        self.keep_open = False
        with suppress(ConnectionError):
            for chunk in chunks:
                if self.reader.at_eof() or self.writer.is_closing():
                    return
                self.writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await self.writer.drain()
                if every_s:
                    await asyncio.sleep(every_s)


async def read_request(reader: asyncio.StreamReader, origin: str) -> Request | None:
    """The next request head on a connection; None when the client is gone or sent something that is not HTTP."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    arrived = time.time()
    request_line, *lines = head.decode("latin-1").split("\r\n")
    parts = request_line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        return None
    headers = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    connection = headers.get("connection", "").lower()
    keep_alive = "close" not in connection if parts[2] == "HTTP/1.1" else "keep-alive" in connection
    path = urlsplit(parts[1]).path or "/"
    return Request(parts[0], path, headers, keep_alive, SeenRequest(origin, path, arrived, headers))
