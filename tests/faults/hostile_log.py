"""What a server on loopback saw: every request, what it answered, and which retries came too early."""

import threading
from collections import Counter
from dataclasses import asdict, dataclass
from itertools import pairwise


@dataclass
class SeenRequest:
    origin: str  # "ip:port" of the listening socket that got it
    path: str
    at: float  # time.time() when the request head was read
    headers: dict[str, str]  # lower-case names
    answer: str = ""  # what the origin did: "200", "304", "429 Retry-After: 2", "stall", "reset"...
    not_before: float | None = None  # a Retry-After: time.time() before which a retry of this URL breaks it

    @property
    def url_key(self) -> str:
        return self.origin + self.path


@dataclass(frozen=True)
class EarlyRetry:
    url_key: str
    answer: str  # the response that asked to wait
    early_by_s: float


class RequestLog:
    """Every request a set of listening sockets saw; safe to read from another thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[SeenRequest] = []

    def record(self, seen: SeenRequest) -> None:
        with self.lock:
            self.seen.append(seen)

    def clear(self) -> None:
        with self.lock:
            self.seen = []

    def requests(self) -> list[SeenRequest]:
        with self.lock:
            return list(self.seen)

    def by_url(self) -> dict[str, list[SeenRequest]]:
        """Requests per URL (origin and path) in order of arrival, robots.txt left out."""
        grouped: dict[str, list[SeenRequest]] = {}
        for seen in sorted(self.requests(), key=lambda s: s.at):
            if seen.path != "/robots.txt":
                grouped.setdefault(seen.url_key, []).append(seen)
        return grouped

    def retries(self) -> int:
        """Requests beyond the first for the same URL."""
        return sum(len(group) - 1 for group in self.by_url().values())

    def early_retries(self) -> list[EarlyRetry]:
        """Requests that came before the time a previous answer's Retry-After asked for."""
        early = []
        for key, group in self.by_url().items():
            for before, after in pairwise(group):
                if before.not_before is not None and after.at < before.not_before:
                    early.append(EarlyRetry(key, before.answer, round(before.not_before - after.at, 3)))
        return early

    def waits_after_due(self) -> list[float]:
        """For every retry that followed a Retry-After: how long after the asked-for time it came (seconds)."""
        return sorted(
            after.at - before.not_before
            for group in self.by_url().values()
            for before, after in pairwise(group)
            if before.not_before is not None and after.at >= before.not_before
        )

    def summary(self) -> dict[str, object]:
        """Counts a bench prints: requests, retries, early retries (with examples) and requests by answer."""
        requests, early = self.requests(), self.early_retries()
        return {
            "requests": len(requests),
            "retries": self.retries(),
            "early_retries": len(early),
            "early_examples": [asdict(e) for e in early[:5]],
            "waits_after_due": self.waits_after_due(),
            "answers": dict(Counter(s.answer.split(" ")[0] for s in requests).most_common()),
            "paths": [f"{s.origin}{s.path}" for s in requests[:20]],
        }
