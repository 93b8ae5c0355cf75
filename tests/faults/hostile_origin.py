"""A hostile web origin on loopback, and traps on the addresses the fetcher must never reach.

Every URL says in its path what it does (`/p/<behaviour>/<args...>/<n>`); `n` makes each URL unique. The routes:

    /p/article/<n>                     a 2-3 KB news article        /p/etag/<n>        the same, ETag + 304
    /p/503-then-200/<n>                503 once, then the article   /p/500/<n>         500 every time
    /p/503-retry-after/<s>/<n>         503 + Retry-After: s, once   /p/404/<n>         404
    /p/429-retry-after-seconds/<s>/<n> 429 + Retry-After: s, once
    /p/429-retry-after-date/<s>/<n>    429 + Retry-After: an HTTP date at least s-1 s ahead, once
    /p/429-retry-after-too-long/<n>    429 + Retry-After: 3600, every time
    /p/stall/<n>        headers and 6 of 100 bytes, then silence    /p/hang/<n>   no answer at all
    /p/trickle/<n>      a chunked body, one byte every 50 ms, never complete
    /p/reset/<n>        TCP RST every time                          /p/reset-once/<n>  RST once, then the article
    /p/truncated/<n>    Content-Length 4096, 1000 bytes sent, then the connection is closed
    /p/gzip-bomb/<n>    1 MB of gzip that decodes to 1 GiB          /p/huge-declared/<n>  Content-Length 1 GiB
    /p/endless/<n>      a chunked body that never ends (64 KiB chunks, up to 1 GiB)
    /p/redirect-loop/<n>  302 to itself     /p/redirect-chain/<k>/<n>  k redirects, then the article
    /p/redirect-to/<trap>/<n>  302 to a non-public address (see TrapAddresses.targets)
    /p/redirect-to-private/<n>  302 into /private/, which robots.txt disallows
    /private/<n>        the article (robots.txt disallows /private/: nothing may ask for it)
    /p/utf8-one-bad-byte/<n>  a French page declared UTF-8 with one byte that is not UTF-8
    /p/cp1252-labelled-utf8/<n>  the French page in windows-1252, declared UTF-8 in the header
    /p/charset-in-meta-only/<n>  the French page in windows-1252, declared only in <meta charset>
    /p/png-as-text-html/<n>  a PNG served as text/html     /p/pdf/<n>  a PDF    /p/pdf-as-text-html/<n>
    /p/html-as-octet-stream/<n>  the article as application/octet-stream
    /p/empty/<n>        200 with an empty body          /p/stub/<n>  a page of two words

Every request is logged (origin, path, arrival time, headers, what it got and, for a Retry-After, the time before
which a retry breaks it), so a test can count retries and check their timing. The traps answer anything and count
every connection: a fetcher that honours its address guard leaves them at 0.

The servers run on one asyncio loop: in a background thread (`serve_hostile_origin`, for tests) or in a process of
its own (`python -m tests.faults.hostile_origin`, for bench/faults.py; see `serve_forever_with_commands`).
"""

import asyncio
import json
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tests.faults.hostile_log import RequestLog
from tests.faults.hostile_routes import HostileOrigin
from tests.faults.hostile_traps import Trap, TrapAddresses
from tests.faults.hostile_wire import MAX_HEAD_BYTES

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class HostileServers:
    """The origin's listening sockets and the traps, all on one event loop."""

    origin: HostileOrigin
    trap: Trap
    base_urls: list[str]
    traps: TrapAddresses
    servers: list[asyncio.Server] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def close(self) -> None:
        for server in self.servers:
            server.close()
        for task in self.tasks:
            task.cancel()


async def start_servers(hosts: Sequence[str] = ("127.0.0.1",)) -> HostileServers:
    """The origin on a free port of each of `hosts` (127/8 addresses), and the traps; call within the loop."""
    trap, servers, tasks = Trap(), [], set[asyncio.Task[None]]()

    def tracked(handler: Handler) -> Handler:
        async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            tasks.add(task)  # cancelled when the servers close, so no held connection outlives them
            try:
                await handler(reader, writer)
            except asyncio.CancelledError:  # the servers are closing: drop the connection quietly
                writer.transport.abort()
            finally:
                tasks.discard(task)

        return run

    async def listen(handler: Handler, host: str) -> int:
        server = await asyncio.start_server(handler, host, 0, limit=MAX_HEAD_BYTES, backlog=1024)
        servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    trap_handler = tracked(trap.serve)
    main_port = await listen(trap_handler, "127.0.0.1")
    other = ("127.0.0.2", await listen(trap_handler, "127.0.0.2"))
    same_ip = {"127.0.0.1": main_port}
    for host in hosts:
        if host not in same_ip:
            same_ip[host] = await listen(trap_handler, host)
    ipv6_port = None
    with suppress(OSError):  # no IPv6 loopback on this machine: that trap is left out
        ipv6_port = await listen(trap_handler, "::1")
    traps = TrapAddresses(main_port, other, same_ip, ipv6_port)
    origin = HostileOrigin(traps)
    origin_handler = tracked(origin.serve)
    base_urls = [f"http://{host}:{await listen(origin_handler, host)}" for host in hosts]
    return HostileServers(origin, trap, base_urls, traps, servers, tasks)


@dataclass
class RunningOrigin:
    """The origin running in a background thread: its URLs, its log and the traps' log."""

    servers: HostileServers
    loop: asyncio.AbstractEventLoop

    @property
    def base_urls(self) -> list[str]:
        return self.servers.base_urls

    @property
    def log(self) -> RequestLog:
        return self.servers.origin.log

    @property
    def trap_log(self) -> RequestLog:
        return self.servers.trap.log

    @property
    def traps(self) -> TrapAddresses:
        return self.servers.traps

    @property
    def allow_entries(self) -> list[str]:
        """The fetcher allowlist that exempts exactly the origin's ports: `127.0.0.1:<port>`, one per host."""
        return [urlsplit(url).netloc for url in self.base_urls]

    def reset(self) -> None:
        """Forget every request (origin and traps): a rerun meets the same faults again."""
        self.loop.call_soon_threadsafe(self.servers.origin.reset)
        self.servers.trap.log.clear()


@contextmanager
def serve_hostile_origin(hosts: Sequence[str] = ("127.0.0.1",)) -> Iterator[RunningOrigin]:
    """Run the origin and the traps on an event loop in a background thread until the block ends."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="hostile-origin", daemon=True)
    thread.start()
    servers = asyncio.run_coroutine_threadsafe(start_servers(hosts), loop).result(timeout=30)
    try:
        yield RunningOrigin(servers, loop)
    finally:
        loop.call_soon_threadsafe(servers.close)
        asyncio.run_coroutine_threadsafe(asyncio.sleep(0.1), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def serve_forever_with_commands(hosts: Sequence[str]) -> None:
    """Serve in this process for a parent that talks JSON lines (bench/faults.py).

    On start, one line: {"base_urls": [...], "traps": {...}}. Then, per command line on stdin:
    "report" -> {"origin": RequestLog.summary(), "trap": ..., "cpu_s": ...}; "reset" -> {"reset": true};
    "quit" or end of input stops the servers.
    """
    import resource

    async def main() -> None:
        servers = await start_servers(hosts)
        print(json.dumps({"base_urls": servers.base_urls, "traps": servers.traps.to_json()}), flush=True)
        loop = asyncio.get_running_loop()
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            command = line.strip()
            if command == "report":
                usage = resource.getrusage(resource.RUSAGE_SELF)
                reply = {"origin": servers.origin.log.summary(), "trap": servers.trap.log.summary()}
                print(json.dumps(reply | {"cpu_s": usage.ru_utime + usage.ru_stime}), flush=True)
            elif command == "reset":
                servers.origin.reset()
                servers.trap.log.clear()
                print(json.dumps({"reset": True}), flush=True)
            elif command == "quit":
                break
        servers.close()

    asyncio.run(main())


if __name__ == "__main__":
    serve_forever_with_commands(sys.argv[1:] or ["127.0.0.1"])
