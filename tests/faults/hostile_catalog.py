"""A day of URLs on the hostile origin, each with the outcome a user should find in the export.

`day_catalog` mixes every behaviour of `hostile_origin` (each at least once, then by weight), deterministically
from a seed, and spreads the URLs over the origin's hosts. The expectations are the product's promise: a fault of
the site is a clear status on its own row, never a lost row, a hang or a request to a non-public address.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from tests.faults.hostile_pages import FRENCH_WORD
from tests.faults.hostile_traps import TrapAddresses

RETRY_AFTER_S = 1  # what the 429/503 pages ask for in seconds (the date form asks for RETRY_AFTER_DATE_S)
RETRY_AFTER_DATE_S = 2
TRAP_WEIGHT = 0.3  # each non-public place is one of many: together they are a few percent of a day
OK = "ok"


@dataclass(frozen=True)
class Behaviour:
    """One kind of URL: its path on the origin, what the export should say, and how common it is in a day."""

    name: str
    path: str  # with {n} for the URL's number; "trap:<name>" for a URL straight to a non-public address
    status: str  # the export's overall status
    fetch_status: str  # the fetch stage's status
    weight: float = 1.0
    text_contains: str | None = None  # a word the extracted text must show (the encoding was read right)
    charset: str | None = None  # the fetch stage's resolved charset
    charset_source: str | None = None  # where the fetch stage found it (header, meta, detected...)
    revalidates: bool = False  # a rerun gets a 304 and reuses the stored body


def behaviours(trap_names: Sequence[str]) -> list[Behaviour]:
    """Every behaviour, with `redirect-to/<trap>` and direct URLs for the non-public places in `trap_names`."""
    fixed = [
        Behaviour("article", "/p/article/{n}", OK, "ok", weight=60),
        Behaviour("etag", "/p/etag/{n}", OK, "ok", weight=12, revalidates=True),
        Behaviour("redirect-chain", "/p/redirect-chain/2/{n}", OK, "ok", weight=3),
        Behaviour("html-as-octet-stream", "/p/html-as-octet-stream/{n}", OK, "ok", weight=2),
        # one bad byte: the declared UTF-8 stands; many bad bytes: the header's charset gives way to detection
        Behaviour("utf8-one-bad-byte", "/p/utf8-one-bad-byte/{n}", OK, "ok", 2, FRENCH_WORD, "utf-8", "header"),
        Behaviour("cp1252-labelled-utf8", "/p/cp1252-labelled-utf8/{n}", OK, "ok", 2, charset_source="detected"),
        Behaviour("charset-in-meta-only", "/p/charset-in-meta-only/{n}", OK, "ok", 2, FRENCH_WORD, "cp1252", "meta"),
        Behaviour("png-as-text-html", "/p/png-as-text-html/{n}", OK, "ok", weight=2),
        Behaviour("pdf", "/p/pdf/{n}", "classify:unsupported", "ok", weight=2),
        Behaviour("pdf-as-text-html", "/p/pdf-as-text-html/{n}", "classify:unsupported", "ok"),
        Behaviour("empty", "/p/empty/{n}", "classify:nothing_useful", "ok", weight=2),
        Behaviour("stub", "/p/stub/{n}", "classify:nothing_useful", "ok"),
        Behaviour("503-then-200", "/p/503-then-200/{n}", OK, "ok", weight=4),
        Behaviour("503-retry-after", f"/p/503-retry-after/{RETRY_AFTER_S}/{{n}}", OK, "ok", weight=2),
        Behaviour("429-seconds", f"/p/429-retry-after-seconds/{RETRY_AFTER_S}/{{n}}", OK, "ok", weight=4),
        Behaviour("429-date", f"/p/429-retry-after-date/{RETRY_AFTER_DATE_S}/{{n}}", OK, "ok", weight=4),
        Behaviour("429-too-long", "/p/429-retry-after-too-long/{n}", "fetch:http_error", "http_error"),
        Behaviour("500", "/p/500/{n}", "fetch:http_error", "http_error", weight=2),
        Behaviour("404", "/p/404/{n}", "fetch:http_error", "http_error", weight=2),
        Behaviour("reset-once", "/p/reset-once/{n}", OK, "ok", weight=2),
        Behaviour("reset", "/p/reset/{n}", "fetch:connection_error", "connection_error", weight=2),
        Behaviour("truncated", "/p/truncated/{n}", "fetch:connection_error", "connection_error", weight=2),
        Behaviour("stall", "/p/stall/{n}", "fetch:timeout", "timeout", weight=2),
        Behaviour("hang", "/p/hang/{n}", "fetch:timeout", "timeout"),
        Behaviour("trickle", "/p/trickle/{n}", "fetch:timeout", "timeout", weight=2),
        Behaviour("gzip-bomb", "/p/gzip-bomb/{n}", "fetch:too_large", "too_large", weight=2),
        Behaviour("huge-declared", "/p/huge-declared/{n}", "fetch:too_large", "too_large"),
        Behaviour("endless", "/p/endless/{n}", "fetch:too_large", "too_large"),
        Behaviour("redirect-loop", "/p/redirect-loop/{n}", "fetch:too_many_redirects", "too_many_redirects", 2),
        Behaviour("robots-disallowed", "/private/{n}", "fetch:robots", "robots", weight=2),
        Behaviour("redirect-into-disallowed", "/p/redirect-to-private/{n}", "fetch:robots", "robots"),
    ]
    traps = [
        Behaviour(f"redirect-to-{name}", f"/p/redirect-to/{name}/{{n}}", "fetch:blocked", "blocked", TRAP_WEIGHT)
        for name in trap_names
    ]
    direct = [
        Behaviour(f"direct-to-{name}", f"trap:{name}", "fetch:blocked", "blocked", TRAP_WEIGHT)
        for name in trap_names
        if name in DIRECT_TRAPS
    ]
    return fixed + traps + direct


DIRECT_TRAPS = ("other-loopback", "same-ip-other-port", "ipv6-loopback", "localhost", "cloud-metadata")


@dataclass(frozen=True)
class ExpectedUrl:
    url: str
    behaviour: Behaviour

    @property
    def status(self) -> str:
        return self.behaviour.status


def day_catalog(
    base_urls: Sequence[str], traps: TrapAddresses, count: int = 300, seed: int = 20261124
) -> list[ExpectedUrl]:
    """`count` distinct URLs over the origin's hosts: every behaviour at least once, the rest drawn by weight."""
    kinds = behaviours(list(traps.targets("127.0.0.1")))
    draw = random.Random(seed)
    chosen = kinds[:count] + draw.choices(kinds, weights=[k.weight for k in kinds], k=max(0, count - len(kinds)))
    draw.shuffle(chosen)
    catalog = []
    for n, behaviour in enumerate(chosen):
        base = base_urls[n % len(base_urls)]
        catalog.append(ExpectedUrl(url_for(behaviour, base, traps, n), behaviour))
    return catalog


def url_for(behaviour: Behaviour, base_url: str, traps: TrapAddresses, n: int) -> str:
    if not behaviour.path.startswith("trap:"):
        return base_url + behaviour.path.format(n=n)
    origin_ip = (urlsplit(base_url).hostname or "").strip("[]")
    target = urlsplit(traps.targets(origin_ip)[behaviour.path.removeprefix("trap:")])
    return f"{target.scheme}://{target.netloc}/direct/{n}"


def inbox_csv(catalog: Sequence[ExpectedUrl]) -> str:
    """The day's inbox file: the URL and, as a column of the user's own, what the URL does."""
    return "url,behaviour\n" + "".join(f"{e.url},{e.behaviour.name}\n" for e in catalog)
