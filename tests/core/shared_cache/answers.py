"""A provider that counts what it is asked, for the cache tests: plain, picklable, no network."""

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from content_pipeline.categorize.models import Categorization, Document, Entity
from content_pipeline.categorize.provider import AnswerHook


@dataclass
class CountingProvider:
    """Answers every document with a category named after its title and a summary naming the answering process;
    records each document it was asked about, and fails the titles in `fail`."""

    model: str = "m1"
    prompt_version: str = "1"
    fail: set[str] = field(default_factory=set)
    delay_s: float = 0.0  # per document: time for another worker to come along while this one is asking
    name: str = "counting"
    asked: list[str] = field(default_factory=list)

    def categorize(self, docs: Sequence[Document], on_answer: AnswerHook | None = None) -> list[Categorization]:
        answers = []
        for index, doc in enumerate(docs):
            time.sleep(self.delay_s)
            self.asked.append(doc.record_id)
            answers.append(self.answer(doc))
            if on_answer is not None:
                on_answer(index, answers[-1])
        return answers

    def answer(self, doc: Document) -> Categorization:
        if doc.title in self.fail:
            return Categorization(doc.record_id, "error", "the model said no")
        entities = [Entity(doc.title.split()[0], "Concept", 5)]
        summary = f"Answered by process {os.getpid()}."
        return Categorization(
            doc.record_id, "ok", "", f"cat:{doc.title}", 0.9, ["t1"], summary, entities, "", 100, 20, 0.01
        )


def documents(count: int, prefix: str = "r") -> list[Document]:
    return [
        Document(f"{prefix}{i}", "article", f"Title {i}", f"Text number {i}.", f"https://x.org/{i}")
        for i in range(count)
    ]
