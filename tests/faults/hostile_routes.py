"""The hostile origin's routes: each URL's path says what it does (see hostile_origin.py for the list)."""

import asyncio
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from email.utils import formatdate

from tests.faults import hostile_pages as pages
from tests.faults.hostile_log import RequestLog
from tests.faults.hostile_traps import TrapAddresses
from tests.faults.hostile_wire import HOLD_MAX_S, HTML, Connection, Request, read_request

TRICKLE_EVERY_S = 0.05
ENDLESS_CHUNK = 64 * 1024
ENDLESS_MAX_BYTES = 1 << 30
HUGE_DECLARED_BYTES = 1 << 30
TRUNCATED_DECLARED, TRUNCATED_SENT = 4096, 1000
TOO_LONG_RETRY_AFTER_S = 3600
Route = Callable[[Connection, Request, list[str], int], Awaitable[None]]


class HostileOrigin:
    """The routes and their state (how often each URL was asked), for any number of listening sockets."""

    def __init__(self, traps: TrapAddresses | None = None) -> None:
        self.log = RequestLog()
        self.hits: Counter[str] = Counter()
        self.traps = traps
        self.routes: dict[str, Route] = {name.replace("_", "-"): route for name, route in self.named_routes()}

    def reset(self) -> None:
        """Forget every request: the next run meets the same faults (a 503-then-200 answers 503 again)."""
        self.log.clear()
        self.hits.clear()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = Connection(reader, writer)
        host, port = writer.get_extra_info("sockname")[:2]
        origin = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        try:
            while connection.keep_open:
                request = await read_request(reader, origin)
                if request is None:
                    return
                self.log.record(request.seen)
                await self.answer(connection, request)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            if not writer.transport.is_closing():
                writer.close()

    async def answer(self, connection: Connection, request: Request) -> None:
        if request.method not in ("GET", "HEAD"):
            await connection.send(request, 405, b"GET only")
            return
        hit = self.hits[request.seen.url_key] = self.hits[request.seen.url_key] + 1
        parts = request.path.strip("/").split("/")
        if request.path == "/robots.txt":
            await connection.send(request, 200, pages.ROBOTS_TXT, {"Content-Type": "text/plain"})
        elif parts[0] == "private":
            await connection.send(request, 200, pages.article(number(parts)))
        elif parts[0] == "p" and len(parts) >= 3 and parts[1] in self.routes:
            try:
                await self.routes[parts[1]](connection, request, parts[2:-1], hit)
            except (IndexError, ValueError):  # a route's arguments missing or not numbers
                await connection.send(request, 404, b"no such page")
        else:
            await connection.send(request, 404, b"no such page")

    def named_routes(self) -> list[tuple[str, Route]]:
        return [(name.removeprefix("route_"), getattr(self, name)) for name in dir(self) if name.startswith("route_")]

    # --- pages that work -----------------------------------------------------------------------------------------

    async def route_article(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        await c.send(r, 200, pages.article(number(r.path)))

    async def route_etag(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        etag = f'"e{number(r.path)}"'
        if r.headers.get("if-none-match") == etag:
            await c.write_head(r, 304, {"ETag": etag})
            r.seen.answer = "304"
        else:
            await c.send(r, 200, pages.article(number(r.path)), {"ETag": etag})

    async def route_redirect_chain(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        left, n = int(args[0]), number(r.path)
        location = f"/p/redirect-chain/{left - 1}/{n}" if left > 0 else f"/p/article/{n}"
        await c.send(r, 301, b"", {"Location": location})

    async def route_html_as_octet_stream(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        await c.send(r, 200, pages.article(number(r.path)), {"Content-Type": "application/octet-stream"})

    async def route_utf8_one_bad_byte(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        await c.send(r, 200, pages.utf8_with_one_bad_byte())

    async def route_cp1252_labelled_utf8(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        await c.send(r, 200, pages.cp1252_bytes(None))

    async def route_charset_in_meta_only(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        await c.send(r, 200, pages.cp1252_bytes("windows-1252"), {"Content-Type": "text/html"})

    async def route_png_as_text_html(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        await c.send(r, 200, pages.png_image())

    async def route_pdf(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        await c.send(r, 200, pages.pdf_document(), {"Content-Type": "application/pdf"})

    async def route_pdf_as_text_html(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        await c.send(r, 200, pages.pdf_document())

    async def route_empty(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        await c.send(r, 200, b"")

    async def route_stub(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        await c.send(r, 200, pages.STUB_PAGE)

    # --- HTTP errors and Retry-After -----------------------------------------------------------------------------

    async def route_404(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        await c.send(r, 404, b"not here")

    async def route_500(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        await c.send(r, 500, b"it broke")

    async def route_503_then_200(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        if hit == 1:
            await c.send(r, 503, b"busy")
        else:
            await self.route_article(c, r, args, hit)

    async def route_503_retry_after(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        if hit == 1:
            await self.ask_to_wait(c, r, 503, int(args[0]))
        else:
            await self.route_article(c, r, args, hit)

    async def route_429_retry_after_seconds(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        if hit == 1:
            await self.ask_to_wait(c, r, 429, int(args[0]))
        else:
            await self.route_article(c, r, args, hit)

    async def route_429_retry_after_date(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        if hit == 1:
            when = math.floor(time.time()) + int(args[0])  # HTTP dates have whole seconds: s-1 to s from now
            r.seen.answer, r.seen.not_before = f"429 Retry-After: date +{args[0]} s", float(when)
            await c.send(r, 429, b"slow down", {"Retry-After": formatdate(when, usegmt=True)})
        else:
            await self.route_article(c, r, args, hit)

    async def route_429_retry_after_too_long(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        await self.ask_to_wait(c, r, 429, TOO_LONG_RETRY_AFTER_S)

    async def ask_to_wait(self, c: Connection, r: Request, status: int, seconds: int) -> None:
        r.seen.answer = f"{status} Retry-After: {seconds}"
        r.seen.not_before = time.time() + seconds
        await c.send(r, status, b"slow down", {"Retry-After": str(seconds)})

    # --- connections that misbehave ------------------------------------------------------------------------------

    async def route_stall(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        r.seen.answer = "stall"
        await c.write_head(r, 200, {"Content-Type": HTML, "Content-Length": "100"})
        c.writer.write(b"<html>")
        await c.writer.drain()
        await c.until_client_leaves()

    async def route_hang(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        r.seen.answer = "hang"
        await c.until_client_leaves()

    async def route_trickle(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        r.seen.answer = "trickle"
        ticks = int(HOLD_MAX_S / TRICKLE_EVERY_S)
        await c.send_chunks(r, (b"x" for _ in range(ticks)), TRICKLE_EVERY_S)

    async def route_reset(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        r.seen.answer = "reset"
        c.reset()

    async def route_reset_once(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        if hit == 1:
            await self.route_reset(c, r, args, hit)
        else:
            await self.route_article(c, r, args, hit)

    async def route_truncated(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        r.seen.answer = "truncated"
        await c.write_head(r, 200, {"Content-Type": HTML, "Content-Length": str(TRUNCATED_DECLARED)})
        c.writer.write(pages.article(number(r.path))[:TRUNCATED_SENT])
        await c.writer.drain()
        c.keep_open = False

    async def route_gzip_bomb(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        r.seen.answer = "gzip-bomb"
        await c.send(r, 200, pages.gzip_bomb(), {"Content-Encoding": "gzip"})

    async def route_huge_declared(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        r.seen.answer = "huge-declared"
        await c.write_head(r, 200, {"Content-Type": HTML, "Content-Length": str(HUGE_DECLARED_BYTES)})
        c.writer.write(b"x" * 1024)
        await c.writer.drain()
        await c.until_client_leaves()

    async def route_endless(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        r.seen.answer = "endless"
        chunk = b"<p>" + b"x" * (ENDLESS_CHUNK - 7) + b"</p>"
        await c.send_chunks(r, (chunk for _ in range(ENDLESS_MAX_BYTES // len(chunk))))

    # --- redirects -----------------------------------------------------------------------------------------------

    async def route_redirect_loop(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        await c.send(r, 302, b"", {"Location": r.path})

    async def route_redirect_to_private(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        await c.send(r, 302, b"", {"Location": f"/private/{number(r.path)}"})

    async def route_redirect_to(self, c: Connection, r: Request, args: list[str], hit: int) -> None:
        origin_ip = r.seen.origin.rsplit(":", 1)[0].strip("[]")
        target = self.traps.targets(origin_ip).get(args[0]) if self.traps and args else None
        if target is None:
            await c.send(r, 404, b"no such trap")
        else:
            await c.send(r, 302, b"", {"Location": target})


def number(path: str | list[str]) -> int:
    """The URL's own number: its last path segment."""
    last = (path if isinstance(path, list) else path.rstrip("/").split("/"))[-1]
    return int(last) if last.isdigit() else 0
