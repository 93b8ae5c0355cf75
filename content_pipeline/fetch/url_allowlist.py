"""The entries that exempt a target from the public-address guard: a host name, an IP address or a CIDR network,
each either on every port or on one port only (`intranet.local:8080`, `127.0.0.1:18080`, `[::1]:8080`)."""

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_BRACKETED = re.compile(r"\[([^\]]*)\](?::(.*))?", re.DOTALL)
_HOST_NAME = re.compile(r"[\w-]+(\.[\w-]+)*\.?")  # \w: letters of any script, digits and "_"
FORMS = (
    "write a host name, IP address or CIDR network, optionally with :port "
    "(e.g. intranet.local, 10.0.0.0/8, 127.0.0.1:8080, [::1]:8080)"
)


@dataclass(frozen=True)
class AllowEntry:
    """One parsed entry: a host name or a network (an address is a network of one), and a port or None for all."""

    host: str | None = None  # lower case, no trailing dot
    network: IpNetwork | None = None
    port: int | None = None


def parse_allow_entry(entry: str) -> AllowEntry:
    """Parse one entry; raises ValueError naming the entry and what is wrong with it."""
    text = entry.strip()
    try:
        return _parse(text)
    except ValueError as exc:
        raise ValueError(f"entry {entry!r}: {exc}; {FORMS}") from None


def check_entries(entries: Iterable[str], setting: str) -> None:
    """Raise ValueError naming `setting` and the first entry that is not one (before any request is made)."""
    for entry in entries:
        try:
            parse_allow_entry(entry)
        except ValueError as exc:
            raise ValueError(f"{setting} {exc}") from None


def _parse(text: str) -> AllowEntry:
    if not text:
        raise ValueError("it is empty")
    if "://" in text:
        raise ValueError("a URL is not an entry")
    if bracketed := _BRACKETED.fullmatch(text):
        network, port_text = _network(bracketed.group(1)), bracketed.group(2)
        if network is None or network.version != 6:
            raise ValueError("only an IPv6 address or network goes in brackets")
        return AllowEntry(network=network, port=None if port_text is None else _port(port_text))
    port = None
    if text.count(":") == 1:  # more colons: a bare IPv6 address (write [v6]:port for a port)
        text, port_text = text.split(":")
        port = _port(port_text)
    network = _network(text)
    if network is not None:
        return AllowEntry(network=network, port=port)
    if "/" in text or ":" in text:
        raise ValueError(f"{text!r} is not a valid IP address or network")
    if not _HOST_NAME.fullmatch(text):
        raise ValueError(f"{text!r} is not a valid host name")
    if all(label.isdigit() for label in text.rstrip(".").split(".")):
        raise ValueError(f"{text!r} is not a valid IP address")
    return AllowEntry(host=text.lower().rstrip("."), port=port)


def _network(text: str) -> IpNetwork | None:
    """The network `text` names (an address: a network of one); None when it names none and has no "/"."""
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        if "/" in text:
            raise ValueError(f"{text!r} is not a valid CIDR network") from None
        return None


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 65535):
        raise ValueError(f"port {text!r} is not a number from 1 to 65535")
    return int(text)


class Allowlist:
    """Answers whether a host name, or a resolved address, on a given port is exempt from the guard."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        parsed = [parse_allow_entry(entry) for entry in entries]
        self.hosts = {(e.host, e.port) for e in parsed if e.host is not None}
        self.networks = [(e.network, e.port) for e in parsed if e.network is not None]

    def allows_host(self, host: str, port: int) -> bool:
        """True when the host name itself is listed, for every port or for this one (its addresses go unchecked)."""
        return (host, None) in self.hosts or (host, port) in self.hosts

    def allows_address(self, address: IpAddress, port: int | None) -> bool:
        """True when a listed address or network holds `address`, for every port or for `port`."""
        return any(address in net and wanted in (None, port) for net, wanted in self.networks)
