"""A partition's content version: a hash of what it holds, the same whenever a rerun stores the same content.

Columns that record how a run went rather than what it found (timings, a 304 instead of a 200, cache hits and what
this run paid) are left out, so an identical rerun keeps its version and a changed row gets another. Row order does
not count. The row hashes come from polars (`DataFrame.hash_rows`), which is stable within a polars version: after
an upgrade of polars a partition may get a new version once, which only makes downstream partitions look stale.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from functools import partial

import polars as pl

from content_pipeline.stages import Stage

# Per stage: columns that differ between two runs over the same content.
VOLATILE_COLUMNS: Mapping[str, tuple[str, ...]] = {
    # when and how fast it was fetched, 200 or a 304 revalidation, retries, reused from the HTTP cache or journal
    Stage.FETCH: ("fetched_at", "elapsed_ms", "http_status", "attempts", "cache"),
    # what this run paid: an answer from the AI cache has no tokens or cost in this run
    Stage.CATEGORIZE: ("tokens_in", "tokens_out", "cost_usd", "cache"),
    Stage.EXPORT: ("http_status", "fetch_cache", "tokens_in", "tokens_out", "cost_usd", "ai_cache"),  # as above
}
# Per JSON column (any stage): keys that differ between two runs over the same content (Gemini Vision's accounting).
VOLATILE_JSON_KEYS: Mapping[str, tuple[str, ...]] = {
    "details": ("visual_cache", "visual_tokens_in", "visual_tokens_out", "visual_cost_usd"),
}
VERSION_CHARS = 32  # of the sha256 hex digest
ROW_HASH_SEED = 0


def content_version(data: pl.DataFrame, exclude: Iterable[str] = ()) -> str:
    """A hex digest over the column names, types and rows of `data` (without `exclude`), independent of row order."""
    version = ContentVersion(exclude)
    version.add(data)
    return version.digest()


class ContentVersion:
    """`content_version` of a partition seen chunk by chunk: the same digest as over all its rows at once."""

    def __init__(self, exclude: Iterable[str] = ()) -> None:
        self.exclude = tuple(exclude)
        self.schema: list[list[str]] | None = None
        self.rows = 0
        self.hashes: list[pl.Series] = []  # 8 bytes a row: 0.8 MB for 100,000 rows

    def add(self, data: pl.DataFrame) -> None:
        kept = data.drop([c for c in self.exclude if c in data.columns])
        kept = kept.select(sorted(kept.columns)).with_columns(
            pl.col(column).map_elements(partial(without_keys, keys=keys), return_dtype=pl.String())
            for column, keys in VOLATILE_JSON_KEYS.items()
            if kept.schema.get(column) == pl.String()
        )
        if self.schema is None:
            self.schema = [[name, str(dtype)] for name, dtype in kept.schema.items()]
        self.rows += len(kept)
        if len(kept) and kept.width:
            self.hashes.append(kept.hash_rows(seed=ROW_HASH_SEED))

    def extend(self, other: "ContentVersion") -> None:
        """Count `other`'s rows too (another chunk of the same partition, hashed on its own)."""
        if self.schema is None:
            self.schema = other.schema
        self.rows += other.rows
        self.hashes.extend(other.hashes)

    def digest(self) -> str:
        digest = hashlib.sha256()
        digest.update(json.dumps(self.schema or []).encode())
        digest.update(self.rows.to_bytes(8, "little"))
        if self.hashes:
            digest.update(pl.concat(self.hashes).sort().to_numpy().tobytes())
        return digest.hexdigest()[:VERSION_CHARS]


def stage_content_version(stage: str, data: pl.DataFrame) -> str:
    """`content_version` of a stage's partition, without the stage's volatile columns."""
    return content_version(data, VOLATILE_COLUMNS.get(stage, ()))


def combined_version(versions: Mapping[str, str]) -> str:
    """One version for several days' partitions (day -> version): the version itself when there is only one."""
    if len(versions) == 1:
        return next(iter(versions.values()))
    lines = "\n".join(f"{day}={version}" for day, version in sorted(versions.items()))
    return hashlib.sha256(lines.encode()).hexdigest()[:VERSION_CHARS]


def without_keys(text: str | None, keys: tuple[str, ...]) -> str | None:
    """A JSON object's text without `keys` (re-encoded with sorted keys when one was there); other text as is."""
    if text is None or not any(key in text for key in keys):
        return text
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if not isinstance(value, dict):
        return text
    return json.dumps({k: v for k, v in value.items() if k not in keys}, sort_keys=True)
