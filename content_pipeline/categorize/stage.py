"""The categorize stage over one partition: send every classified text to the provider, keep every record."""

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict

import polars as pl

from content_pipeline.categorize.models import Categorization, Document
from content_pipeline.categorize.provider import NO_TEXT_REASON, CategorizeProvider, has_text
from content_pipeline.schemas import CATEGORIZE_SCHEMA, frame
from content_pipeline.stages import Stage
from content_pipeline.status import CategorizeStatus, ClassifyStatus
from content_pipeline.warehouse.partition_store import PartitionStore

# what categorize reads of classify
CLASSIFY_COLUMNS = ("record_id", "url", "kind", "status", "reason", "title", "text", "description", "language")
CATEGORIZE_CHUNK_ROWS = 1000  # classified rows per chunk: the provider answers a chunk at a time


def document_for(row: dict[str, object]) -> Document:
    """The text a provider sees for one classified row (its description stands in when it has no main text)."""
    language = str(row["language"]) if row.get("language") else None
    text = str(row["text"] or row["description"] or "")
    return Document(
        str(row["record_id"]), str(row["kind"] or ""), str(row["title"] or ""), text, str(row["url"] or ""), language
    )


def asked_documents(classified: Iterable[pl.DataFrame]) -> Iterator[Document]:
    """The documents of classified rows that a provider is asked about (classified ok, with a text or a title)."""
    for chunk in classified:
        for row in chunk.select(CLASSIFY_COLUMNS).to_dicts():
            if row["status"] == ClassifyStatus.OK and has_text(doc := document_for(row)):
                yield doc


def stored_documents(store: PartitionStore, day: str, chunk_rows: int = CATEGORIZE_CHUNK_ROWS) -> Iterator[Document]:
    """The documents of the day's stored classify partition that a provider is asked about, a chunk at a time."""
    with store.reader(Stage.CLASSIFY, day) as reader:
        yield from asked_documents(chunk for _, chunk in reader.chunks(chunk_rows, CLASSIFY_COLUMNS))


def fit_to_day(provider: object, store: PartitionStore, day: str, chunk_rows: int = CATEGORIZE_CHUNK_ROWS) -> None:
    """Let a provider that fits itself to a day's documents (the local model) read this day's before it answers."""
    fit_to = getattr(provider, "fit_to", None)
    if callable(fit_to):
        fit_to(lambda: stored_documents(store, day, chunk_rows))


def categorize_partition(classified: pl.DataFrame, provider: CategorizeProvider) -> pl.DataFrame:
    """One categorize row per classified row; rows without a usable text get a status that says why."""
    rows = classified.select(CLASSIFY_COLUMNS).to_dicts()
    answers: dict[str, Categorization] = {}
    docs: list[Document] = []
    for row in rows:
        record_id = str(row["record_id"])
        if row["status"] != ClassifyStatus.OK:
            reason = f"classify status {row['status']}" + (f": {row['reason']}" if row["reason"] else "")
            answers[record_id] = Categorization(record_id, CategorizeStatus.SKIPPED.value, reason)
        elif not has_text(doc := document_for(row)):
            reason = f"{NO_TEXT_REASON} ({row['kind']})"
            answers[record_id] = Categorization(record_id, CategorizeStatus.NO_TEXT.value, reason)
        else:
            docs.append(doc)
    for answer in provider.categorize(docs) if docs else []:
        answers[answer.record_id] = answer
    sent = {doc.record_id for doc in docs}
    out = []
    for row in rows:
        answer = answers[str(row["record_id"])]
        record = asdict(answer)
        record["entities"] = None if answer.entities is None else json.dumps(record["entities"], ensure_ascii=False)
        sent_to_provider = answer.record_id in sent
        record["provider"], record["model"] = (provider.name, provider.model) if sent_to_provider else (None, None)
        out.append(record)
    return frame(out, CATEGORIZE_SCHEMA)


# rows a rerun may fill in: a categorize partition holding one is done again by the next run
RERUN_STATUSES = frozenset({CategorizeStatus.QUOTA_EXHAUSTED, CategorizeStatus.BUDGET_REACHED, CategorizeStatus.ERROR})


def may_keep_categorized(categorized: pl.DataFrame) -> bool:
    """Whether a later run over the same classified rows may keep this partition as it is (nothing to fill in)."""
    return not categorized["status"].is_in([s.value for s in RERUN_STATUSES]).any()
