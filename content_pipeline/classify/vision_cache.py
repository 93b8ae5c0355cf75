"""The AI cache of Gemini Vision answers: its own table in the AI cache (file or database), keyed by model, prompt
and bytes, and its own claims (who is asking Gemini about a picture right now: see cache_store/claims.py)."""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Column, MetaData, Table, Text, select

from content_pipeline.cache_store.claims import LEASE_S, Claims, claims_table
from content_pipeline.cache_store.database import open_database
from content_pipeline.cache_store.location import AI_CACHE_SETTING, CacheLocation, DatabaseUrl, cache_location
from content_pipeline.cache_store.runner import StatementRunner
from content_pipeline.cache_store.statements import rows_in, upsert
from content_pipeline.classify.vision_answer import VISION_PROMPT_VERSION, VisionAnswer

TABLES = MetaData()
VISION_ANSWERS = Table(
    "vision_answers",
    TABLES,
    Column("key", Text, primary_key=True),
    Column("model", Text, nullable=False),
    Column("prompt_version", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("stored_at", Text, nullable=False),
)
VISION_CLAIMS = claims_table("vision_claims", TABLES)


def vision_key(model: str, image: bytes) -> str:
    """The AI cache key of one picture: provider, model, prompt version and a hash of the bytes."""
    payload = json.dumps(["gemini-vision", model, VISION_PROMPT_VERSION, hashlib.sha256(image).hexdigest()])
    return hashlib.sha256(payload.encode()).hexdigest()


class VisionCache:
    """Gemini Vision answers in the AI cache (their own table), so a rerun does not pay for a picture twice."""

    def __init__(self, location: "str | Path | DatabaseUrl", lease_s: float = LEASE_S) -> None:
        self.location: CacheLocation = cache_location(location)
        self.engine = open_database(self.location, TABLES, AI_CACHE_SETTING)
        self.runner = StatementRunner(self.engine)
        self.claims = Claims(self.engine, VISION_CLAIMS, lease_s)

    def close(self) -> None:
        self.runner.close()
        self.engine.dispose()

    def lookup(self, keys: Sequence[str]) -> dict[str, VisionAnswer]:
        query = select(VISION_ANSWERS.c.key, VISION_ANSWERS.c.answer)
        with self.runner.connect() as conn:
            rows = list(rows_in(conn, query, VISION_ANSWERS.c.key, keys))
        found: dict[str, VisionAnswer] = {}
        for key, text in rows:
            fields = json.loads(text)
            found[key] = VisionAnswer(**{**fields, "tags": tuple(fields.get("tags") or ()), "cached": True})
        return found

    def store(self, model: str, answers: Sequence[tuple[str, VisionAnswer]], owner: str | None = None) -> None:
        """Keep the (key, answer) pairs that name a category, in one transaction; with an `owner`, drop its claims of
        all the given keys in the same transaction (a failed answer frees its picture for another asker)."""
        now = datetime.now(UTC).isoformat()
        rows = [
            {
                "key": key,
                "model": model,
                "prompt_version": VISION_PROMPT_VERSION,
                "answer": json.dumps(asdict(answer) | {"cached": False}),
                "stored_at": now,
            }
            for key, answer in answers
            if answer.category is not None
        ]
        if not rows and owner is None:
            return
        with self.engine.begin() as conn:
            upsert(conn, VISION_ANSWERS, rows)
            if owner is not None:
                self.claims.release(conn, owner, [key for key, _ in answers])
