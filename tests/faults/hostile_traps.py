"""Traps: servers on the non-public addresses around the hostile origin, counting every connection that reaches them.

A fetcher that honours its address guard (only the origin's own port allowed) never reaches one.
"""

import asyncio
import time
from contextlib import suppress
from dataclasses import asdict, dataclass

from tests.faults.hostile_log import RequestLog, SeenRequest
from tests.faults.hostile_wire import read_request

TRAPPED = b"trapped: this address must never be reached"


@dataclass(frozen=True)
class TrapAddresses:
    """Where the traps listen: another loopback address, another port of each origin's IP, and IPv6 loopback."""

    main_port: int  # a trap on 127.0.0.1 (what 0.0.0.0, localhost, 127.1 and 2130706433 reach)
    other_loopback: tuple[str, int]  # e.g. ("127.0.0.2", port)
    same_ip_ports: dict[str, int]  # origin IP -> a trap port on that IP
    ipv6_port: int | None  # a trap on [::1], when the machine has IPv6 loopback

    def targets(self, origin_ip: str) -> dict[str, str]:
        """Non-public places, by name, as seen from an origin on `origin_ip`: traps, and addresses nobody serves."""
        main, (other_ip, other_port) = self.main_port, self.other_loopback
        found = {
            "other-loopback": f"http://{other_ip}:{other_port}/latest/meta-data/",
            "same-ip-other-port": f"http://{origin_ip}:{self.same_ip_ports.get(origin_ip, main)}/admin",
            "unspecified": f"http://0.0.0.0:{main}/",
            "localhost": f"http://localhost:{main}/",
            "ipv4-mapped-ipv6": f"http://[::ffff:127.0.0.1]:{main}/",
            "decimal-ip": f"http://2130706433:{main}/",
            "short-ip": f"http://127.1:{main}/",
            "private-10": "http://10.0.0.1/",
            "cloud-metadata": "http://169.254.169.254/latest/meta-data/",
            "cgnat": "http://100.64.0.1/",
            "file-scheme": "file:///etc/passwd",
        }
        if self.ipv6_port is not None:
            found["ipv6-loopback"] = f"http://[::1]:{self.ipv6_port}/"
        return found

    def to_json(self) -> dict[str, object]:
        """A plain dict for JSON (the bench's origin process sends it to the bench)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, object]) -> "TrapAddresses":
        other, same_ip, ipv6 = data["other_loopback"], data["same_ip_ports"], data["ipv6_port"]
        assert isinstance(other, list | tuple) and isinstance(same_ip, dict)
        return cls(
            main_port=int(str(data["main_port"])),
            other_loopback=(str(other[0]), int(other[1])),
            same_ip_ports={str(ip): int(port) for ip, port in same_ip.items()},
            ipv6_port=None if ipv6 is None else int(str(ipv6)),
        )


class Trap:
    """Answers anything with a 200 and counts every connection; nothing should ever reach it."""

    def __init__(self) -> None:
        self.log = RequestLog()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = writer.get_extra_info("sockname")[:2]
        seen = SeenRequest(f"{host}:{port}", "", time.time(), {}, "trapped")
        self.log.record(seen)  # a connection counts even if no request follows
        with suppress(ConnectionError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            async with asyncio.timeout(5):
                request = await read_request(reader, seen.origin)
                if request is not None:
                    seen.path, seen.headers = request.path, request.headers
                head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(TRAPPED)
                writer.write(head + TRAPPED)
                await writer.drain()
        writer.close()
