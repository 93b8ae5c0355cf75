"""The AI cache beside the warehouse (SQLite): successful answers keyed by provider, model, prompt version,
taxonomy version and content hash, so a rerun, a retry or a backfill over unchanged content never pays twice.

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

from content_pipeline.categorize.models import Categorization, Document, Entity
from content_pipeline.categorize.provider import CategorizeProvider
from content_pipeline.sqlite_file import open_sqlite, select_in

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY, provider TEXT NOT NULL, model TEXT NOT NULL, prompt_version TEXT NOT NULL,
    taxonomy_version TEXT NOT NULL, answer TEXT NOT NULL, stored_at TEXT NOT NULL
);
"""
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
    """One SQLite file; safe to share between processes (WAL); `store` writes a batch in one transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = open_sqlite(path, SCHEMA)

    def close(self) -> None:
        self.db.close()

    def lookup(self, keys: Sequence[str]) -> dict[str, Categorization]:
        """The stored answers among `keys` (record_id empty: the caller fills in its own)."""
        rows = select_in(self.db, "SELECT key, answer FROM answers WHERE key IN", keys)
        return {key: from_json(text) for key, text in rows}

    def store(
        self,
        provider: str,
        model: str,
        prompt_version: str,
        taxonomy_version: str,
        answers: Iterable[tuple[str, Categorization]],
    ) -> None:
        """Keep the (key, answer) pairs whose status is ok, in one transaction."""
        now = datetime.now(UTC).isoformat()
        rows = [
            (key, provider, model, prompt_version, taxonomy_version, to_json(answer), now)
            for key, answer in answers
            if answer.status == "ok"
        ]
        if not rows:
            return
        self.db.execute("BEGIN")
        try:
            self.db.executemany("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def __len__(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM answers").fetchone()[0])


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
def open_cache(path: Path | None) -> Iterator[AiCache | None]:
    """The cache at `path` for the length of a block, or None when no path is configured."""
    if path is None:
        yield None
        return
    cache = AiCache(path)
    try:
        yield cache
    finally:
        cache.close()
