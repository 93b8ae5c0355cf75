"""robots.txt per origin (RFC 9309), parsed by Protego, fetched once per origin and kept for the run."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from protego import Protego

from content_pipeline.status import FetchStatus


@dataclass(frozen=True)
class RobotsFile:
    """What fetching /robots.txt gave: an HTTP status and text, or an error reason when there was no answer."""

    http_status: int | None
    text: str = ""
    error: str = ""
    error_status: FetchStatus = FetchStatus.CONNECTION_ERROR  # what kind of failure `error` is


@dataclass(frozen=True)
class RobotsVerdict:
    allowed: bool
    reason: str = ""
    crawl_delay_s: float | None = None
    status: FetchStatus = FetchStatus.ROBOTS  # what a refused record ends as


RobotsLoader = Callable[[str], Awaitable[RobotsFile]]


class RobotsRules:
    """Answers "may this URL be fetched?" for one user agent; loads each origin's robots.txt at most once."""

    def __init__(self, user_agent: str, load: RobotsLoader) -> None:
        self.agent = user_agent.split("/")[0].split()[0]  # the product token, e.g. "content-pipeline"
        self.load = load
        self.by_origin: dict[str, asyncio.Task[Protego | RobotsVerdict]] = {}

    async def verdict(self, url: str) -> RobotsVerdict:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        task = self.by_origin.get(origin)
        if task is None:
            task = self.by_origin[origin] = asyncio.ensure_future(self.rules_for(origin))
        rules = await asyncio.shield(task)
        if isinstance(rules, RobotsVerdict):
            return rules
        delay = rules.crawl_delay(self.agent)
        if rules.can_fetch(url, self.agent):
            return RobotsVerdict(True, crawl_delay_s=delay)
        return RobotsVerdict(False, f"robots.txt of {origin} disallows it for {self.agent}", delay)

    async def rules_for(self, origin: str) -> Protego | RobotsVerdict:
        robots_url = origin + "/robots.txt"
        answer = await self.load(robots_url)
        status = answer.http_status
        if status is not None and 200 <= status < 300:
            return Protego.parse(answer.text)
        if status is not None and 400 <= status < 500:
            return RobotsVerdict(True)  # RFC 9309 2.3.1.3: unavailable, so no rules
        if status is None:  # no answer at all: the pages would fail the same way, so say how
            return RobotsVerdict(
                False, f"robots.txt of {origin} could not be fetched: {answer.error}", None, answer.error_status
            )
        # RFC 9309 2.3.1.4: unreachable, so assume the whole site is disallowed
        return RobotsVerdict(
            False, f"robots.txt of {origin} is unreachable (HTTP {status}); the site is treated as closed"
        )
