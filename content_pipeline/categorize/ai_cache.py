"""The AI cache (a SQLite file beside the warehouse, or a shared PostgreSQL database): successful answers keyed by
provider, model, prompt version, taxonomy version and content hash, so a rerun, a retry or a backfill over unchanged
content never pays twice.

Only answers with status ok are kept: errors, quota and budget statuses are asked again next run. The key leaves
out record_id and URL, so the same content under another URL or on another day is a hit.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Column, MetaData, Table, Text, func, select

from content_pipeline.cache_store.claims import LEASE_S, Claims, claims_table
from content_pipeline.cache_store.database import open_database
from content_pipeline.cache_store.location import AI_CACHE_SETTING, CacheLocation, DatabaseUrl, cache_location
from content_pipeline.cache_store.runner import StatementRunner
from content_pipeline.cache_store.statements import rows_in, upsert
from content_pipeline.categorize.models import Categorization, Document, Entity
from content_pipeline.categorize.provider import CategorizeProvider

TABLES = MetaData()
ANSWERS = Table(
    "answers",
    TABLES,
    Column("key", Text, primary_key=True),
    Column("provider", Text, nullable=False),
    Column("model", Text, nullable=False),
    Column("prompt_version", Text, nullable=False),
    Column("taxonomy_version", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("stored_at", Text, nullable=False),
)
CLAIMS = claims_table("answer_claims", TABLES)  # who is asking the provider for a key right now
ANSWER_FIELDS = (
    "category",
    "confidence",
    "tags",
    "summary",
    "entities",
    "entities_note",
    "tokens_in",
    "tokens_out",
    "cost_usd",
)


def prompt_version_of(provider: CategorizeProvider) -> str:
    """The provider's prompt version (every provider names one): part of the cache key."""
    return str(provider.prompt_version)


def content_hash(doc: Document) -> str:
    """sha256 of what the provider reads: kind, title, text and language (not record_id, not URL)."""
    payload = json.dumps([doc.kind, doc.title, doc.text, doc.language], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def cache_key(provider: str, model: str, prompt_version: str, taxonomy_version: str, doc: Document) -> str:
    payload = json.dumps([provider, model, prompt_version, taxonomy_version, content_hash(doc)])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class AiCache:
    """The answers in a SQLite file or a shared PostgreSQL database; safe to share between processes and machines.

    `store` writes a batch in one transaction. `claims` say which worker is asking the provider for a key right
    now, so two workers categorizing the same content at once pay for it once (see cached_provider.py).
    """

    def __init__(self, location: "str | Path | DatabaseUrl", lease_s: float = LEASE_S) -> None:
        self.location: CacheLocation = cache_location(location)
        self.engine = open_database(self.location, TABLES, AI_CACHE_SETTING)
        self.runner = StatementRunner(self.engine)
        self.claims = Claims(self.engine, CLAIMS, lease_s)

    @property
    def shared(self) -> bool:
        """Whether the cache is a database other machines may use too."""
        return isinstance(self.location, DatabaseUrl)

    def close(self) -> None:
        self.runner.close()
        self.engine.dispose()

    def lookup(self, keys: Sequence[str]) -> dict[str, Categorization]:
        """The stored answers among `keys` (record_id empty: the caller fills in its own)."""
        with self.runner.connect() as conn:
            rows = list(rows_in(conn, select(ANSWERS.c.key, ANSWERS.c.answer), ANSWERS.c.key, keys))
        return {key: from_json(text) for key, text in rows}

    def store(
        self,
        provider: str,
        model: str,
        prompt_version: str,
        taxonomy_version: str,
        answers: Iterable[tuple[str, Categorization]],
        owner: str | None = None,
    ) -> None:
        """Keep the (key, answer) pairs whose status is ok, in one transaction; with an `owner`, drop its claims of
        all the given keys in the same transaction (an answer that is not kept frees its key for another asker)."""
        now = datetime.now(UTC).isoformat()
        given = list(answers)
        rows = [
            {
                "key": key,
                "provider": provider,
                "model": model,
                "prompt_version": prompt_version,
                "taxonomy_version": taxonomy_version,
                "answer": to_json(answer),
                "stored_at": now,
            }
            for key, answer in given
            if answer.status == "ok"
        ]
        if not rows and owner is None:
            return
        with self.engine.begin() as conn:
            upsert(conn, ANSWERS, rows)
            if owner is not None:
                self.claims.release(conn, owner, [key for key, _ in given])

    def __len__(self) -> int:
        with self.runner.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(ANSWERS)).scalar_one())


def to_json(answer: Categorization) -> str:
    fields = {name: getattr(answer, name) for name in ANSWER_FIELDS}  # no deep copy (dataclasses.asdict): faster
    if answer.entities is not None:
        fields["entities"] = [asdict(e) for e in answer.entities]
    return json.dumps(fields, ensure_ascii=False)


def from_json(text: str) -> Categorization:
    fields = json.loads(text)
    entities = fields.get("entities")
    fields["entities"] = None if entities is None else [Entity(**e) for e in entities]
    return Categorization("", **{k: v for k, v in fields.items() if k in ANSWER_FIELDS})


@contextmanager
def open_cache(location: "str | Path | DatabaseUrl | None") -> Iterator[AiCache | None]:
    """The cache at `location` for the length of a block, or None when none is configured."""
    if location is None:
        yield None
        return
    cache = AiCache(location)
    try:
        yield cache
    finally:
        cache.close()
