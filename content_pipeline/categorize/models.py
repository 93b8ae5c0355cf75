"""What the categorize stage sends to a provider and what a provider answers."""

from collections.abc import Callable
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Document:
    """The text of one classified record, as a provider sees it."""

    record_id: str
    kind: str
    title: str
    text: str
    url: str = ""
    language: str | None = None  # ISO 639-1 code from the classify stage, when it detected one


@dataclass(frozen=True)
class Entity:
    name: str
    type: str  # Person, Organization, Location, Event, Work, Concept
    prominence: int  # 1-10


@dataclass
class Categorization:
    """One provider answer for one document; `status`/`reason` carry a per-record failure."""

    record_id: str
    status: str = "ok"  # a CategorizeStatus value
    reason: str = ""
    category: str | None = None
    confidence: float | None = None
    tags: list[str] = field(default_factory=list)
    summary: str | None = None
    entities: list[Entity] | None = None  # None: the provider does not extract entities
    entities_note: str = ""  # e.g. "not available in local mode"
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = None  # estimated from the model's price table; None when the model has no price
    cache: str | None = None  # "hit" when the answer came from the AI cache, "miss" when it was asked for now

    def scrubbed(self, redact: Callable[[str], str]) -> "Categorization":
        """The same answer with `redact` applied to every text a provider or the page could have filled."""
        return replace(
            self,
            reason=redact(self.reason),
            category=redact(self.category) if self.category is not None else None,
            tags=[redact(tag) for tag in self.tags],
            summary=redact(self.summary) if self.summary is not None else None,
            entities=[replace(e, name=redact(e.name)) for e in self.entities] if self.entities is not None else None,
        )
