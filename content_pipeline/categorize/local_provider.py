"""The offline provider: wordllama embeddings, nearest-description category, extractive tags and summary."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from content_pipeline.categorize.day_adaptation import AdaptationSettings, adapt_categories, day_sample
from content_pipeline.categorize.local_embedding import TokenEmbedder, unit
from content_pipeline.categorize.local_summary import lead_sentences, pick_summary, sentence_separator
from content_pipeline.categorize.local_tags import pick_tags, tag_candidates
from content_pipeline.categorize.models import Categorization, Document
from content_pipeline.categorize.provider import NO_TEXT_REASON, AnswerHook, CategorizeSystemError, has_text
from content_pipeline.categorize.taxonomy import Taxonomy
from content_pipeline.status import CategorizeStatus

if TYPE_CHECKING:
    from wordllama.inference import WordLlamaInference

log = logging.getLogger(__name__)

WORDLLAMA_CONFIG = "l2_supercat"
WORDLLAMA_DIM = 256
LOCAL_MODEL_NAME = f"wordllama/{WORDLLAMA_CONFIG}_{WORDLLAMA_DIM}"
ENTITIES_NOTE = "not available in local mode"


@dataclass(frozen=True)
class LocalSettings:
    """Named limits of the local provider."""

    # what is embedded for each category (the bench's bare-names baseline uses "{name}")
    category_text: str = "{name}: {description}"
    # title and text beyond this are not read (the lead of a page carries its topic)
    max_text_chars: int = 8000
    # unused since prompt version 2 (documents are no longer cut into pieces); bench/e2e.py still reads it
    chunk_chars: int = 1000
    batch_size: int = 64  # documents embedded together (bounds the memory of their word and token lists)
    docs_per_slice: int = 256  # documents answered together (bounds memory; on_answer is called per slice)
    # confidence = softmax over the cosine similarities / T, for the chosen category
    softmax_temperature: float = 0.05
    tag_count: int = 5
    # the most frequent terms, re-ranked by their similarity to the document
    tag_candidates: int = 20
    summary_sentences: int = 3
    summary_max_chars: int = 500
    summary_candidates: int = 30  # only the first N sentences compete for the summary
    min_sentence_words: int = 5
    # an answer whose confidence is below this says so in its reason ("uncertain: ..."); 0 marks none
    uncertain_below: float = 0.5


_MODEL_LOCK = threading.Lock()
_MODELS: dict[str, WordLlamaInference] = {}


def load_wordllama() -> WordLlamaInference:
    """Load the bundled wordllama model once per process, from the installed package only (no network)."""
    with _MODEL_LOCK:
        if LOCAL_MODEL_NAME not in _MODELS:
            root = logging.getLogger()
            handlers, level = list(root.handlers), root.level
            try:
                import wordllama  # its inference module calls logging.basicConfig(INFO) on import
                from wordllama import WordLlama

                package_dir = Path(wordllama.__file__).resolve().parent
                _MODELS[LOCAL_MODEL_NAME] = WordLlama.load(
                    config=WORDLLAMA_CONFIG, dim=WORDLLAMA_DIM, cache_dir=package_dir, disable_download=True
                )
            except Exception as exc:  # any failure here means a broken install
                raise CategorizeSystemError(
                    f"could not load the local model {LOCAL_MODEL_NAME} from the installed wordllama package "
                    f"({exc}); reinstall it with `uv sync` or set GEMINI_API_KEY to use Gemini"
                ) from exc
            finally:
                for h in root.handlers[:]:
                    if h not in handlers:
                        root.removeHandler(h)
                root.setLevel(level)
        return _MODELS[LOCAL_MODEL_NAME]


DaySource = Callable[[], Iterable[Document]]  # the day's documents, read again each time it is called


class LocalEmbeddingProvider:
    """Zero-shot categorization by the nearest category vector; no entities.

    A category's vector starts as the embedding of its "Name: description" (and examples); `fit_to(day)` moves the
    vectors toward the day's own documents before the first answer (content_pipeline/categorize/day_adaptation.py).
    `category_vectors` fixes them instead (a Dask worker gets the vectors the run computed).
    A document's token ids (from remembered words) yield its vector and its lead sentences' vectors in one pass
    (local_embedding); tag candidates are counted in bulk (local_tags) and embedded once per slice of documents.
    """

    name = "local"
    model = LOCAL_MODEL_NAME
    # bump when the scoring, tags or summary change: part of the AI cache key (4: "M." or "Dr." ends no sentence;
    # 5: the categories are fitted to the day's documents; uncertain and other-language answers say so)
    PROMPT_VERSION = "5"
    free_answers = True  # nothing is paid: the AI cache may store these answers in batches

    def __init__(
        self,
        taxonomy: Taxonomy,
        settings: LocalSettings | None = None,
        *,
        adaptation: AdaptationSettings | None = None,
        category_vectors: np.ndarray | None = None,
    ) -> None:
        self.taxonomy = taxonomy
        self.settings = settings or LocalSettings()
        self.adaptation = adaptation or AdaptationSettings()
        self._fixed = category_vectors
        self._day: DaySource | None = None
        self._vectors: np.ndarray | None = category_vectors

    # The model is loaded on first use (~1 s): a run that keeps its stored partition never needs it.
    @cached_property
    def _embedder(self) -> TokenEmbedder:
        wl = load_wordllama()
        return TokenEmbedder(wl.embedding, wl.tokenizer)

    @cached_property
    def label_vectors(self) -> np.ndarray:
        """Each category's vector from its own words: "Name: description" and its examples, alike."""
        rows = []
        for c in self.taxonomy.categories:
            label = self.settings.category_text.format(name=c.name, description=c.description)
            rows.append(self._embedder.embed([label, *c.examples]).mean(axis=0))
        return unit(np.vstack(rows))

    def fit_to(self, day: DaySource | None) -> None:
        """Fit the categories to these documents before the next answer (None: the categories' own words)."""
        if self._fixed is None:
            self._day, self._vectors = day, None

    @property
    def category_vectors(self) -> np.ndarray:
        """The vectors documents are scored against (computed at first use: the day's sample is read then)."""
        if self._vectors is None:
            labels = self.label_vectors
            limit = self.settings.max_text_chars
            day = (read_part(doc, limit) for doc in self._day() if has_text(doc)) if self._day is not None else ()
            sample = day_sample(day, self.adaptation.sample_docs)
            if sample:
                doc_vectors, _ = self._doc_vectors([_read(doc, self.settings) for doc in sample])
                labels = adapt_categories(labels, doc_vectors, self.adaptation)
            self._vectors = labels
        return self._vectors

    @property
    def prompt_version(self) -> str:
        """PROMPT_VERSION, and a digest of the fitted vectors when they were fitted to a day (part of the AI cache
        key: an answer depends on them)."""
        if self._day is None and self._fixed is None:
            return self.PROMPT_VERSION
        digest = hashlib.sha256(np.ascontiguousarray(self.category_vectors).tobytes()).hexdigest()[:16]
        return f"{self.PROMPT_VERSION}.{digest}"

    def categorize(self, docs: Sequence[Document], on_answer: AnswerHook | None = None) -> list[Categorization]:
        _ = self.category_vectors  # a model that cannot be loaded fails the stage here, before any document
        results: list[Categorization] = []
        step = self.settings.docs_per_slice
        for start in range(0, len(docs), step):
            answers = self._categorize_slice(docs[start : start + step])
            if on_answer is not None:
                for offset, answer in enumerate(answers):
                    on_answer(start + offset, answer)
            results.extend(answers)
        return results

    def _categorize_slice(self, docs: Sequence[Document]) -> list[Categorization]:
        out: list[Categorization | None] = [None] * len(docs)
        todo = []
        for i, doc in enumerate(docs):
            if not has_text(doc):
                out[i] = _result(doc, status=CategorizeStatus.NO_TEXT.value, reason=NO_TEXT_REASON)
            else:
                todo.append(i)
        if not todo:
            return [r for r in out if r is not None]
        try:
            answers = self._answer([docs[i] for i in todo])
        except Exception:  # retry one by one: one odd doc must not fail the others
            log.warning("batch categorization failed; retrying documents one by one", exc_info=True)
            answers = [self._answer_one(docs[i]) for i in todo]
        for i, answer in zip(todo, answers, strict=True):
            out[i] = answer
        return [r for r in out if r is not None]

    def _answer_one(self, doc: Document) -> Categorization:
        try:
            return self._answer([doc])[0]
        except Exception as exc:
            return _result(doc, status=CategorizeStatus.ERROR.value, reason=f"local model failed: {exc}"[:300])

    def _answer(self, docs: Sequence[Document]) -> list[Categorization]:
        s = self.settings
        readings = [_read(doc, s) for doc in docs]
        doc_vecs, sentence_vecs = self._doc_vectors(readings)
        terms = [tag_candidates(r.title, r.head, s.tag_candidates, r.language) for r in readings]
        # row by row (not one matrix product) so that a document's scores never depend on the others in its chunk
        sims = np.einsum("nd,cd->nc", doc_vecs, self.category_vectors, optimize=False)
        logits = (sims - sims.max(axis=1, keepdims=True)) / s.softmax_temperature
        probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        best = sims.argmax(axis=1)

        vocabulary = list(dict.fromkeys(t for ts in terms for t, _ in ts))
        row_of = {t: j for j, t in enumerate(vocabulary)}
        term_vecs = self._embedder.embed(vocabulary)
        results = []
        for k, (doc, reading) in enumerate(zip(docs, readings, strict=True)):
            sentences = reading.sentences
            keep = [i for i, x in enumerate(sentences) if len(x.split()) >= s.min_sentence_words]
            keep = keep or list(range(len(sentences)))
            scores = sentence_vecs[k][keep] @ doc_vecs[k]
            relevance = term_vecs[[row_of[t] for t, _ in terms[k]]] @ doc_vecs[k]
            results.append(
                _result(
                    doc,
                    category=self.taxonomy.names[int(best[k])],
                    confidence=round(float(probs[k, best[k]]), 4),
                    reason=caution(
                        reading.language,
                        float(probs[k, best[k]]),
                        s.uncertain_below,
                        self.taxonomy.names[int(np.argsort(sims[k])[-2])] if sims.shape[1] > 1 else None,
                    ),
                    tags=pick_tags(terms[k], relevance, s.tag_count, reading.language),
                    summary=pick_summary(
                        [sentences[i] for i in keep],
                        scores,
                        s.summary_sentences,
                        s.summary_max_chars,
                        sentence_separator(reading.language),
                    ),
                )
            )
        return results

    def _doc_vectors(self, readings: Sequence[Reading]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Unit vectors of the documents (title + text as read) and of their lead sentences, a batch at a time."""
        docs: list[np.ndarray] = []
        sentences: list[np.ndarray] = []
        step = self.settings.batch_size
        for start in range(0, len(readings), step):
            batch = readings[start : start + step]
            pieces = [[r.title, *r.sentences, r.rest] for r in batch]
            vecs, sents = self._embedder.embed_documents(pieces, [len(r.sentences) for r in batch])
            docs.append(vecs)
            sentences.extend(sents)
        return np.vstack(docs), sentences


@dataclass(frozen=True)
class Reading:
    """What the provider reads of one document: title, the text up to max_text_chars, its lead sentences."""

    title: str
    head: str
    sentences: list[str]
    rest: str  # the read text after the lead sentences
    language: str | None


def _read(doc: Document, settings: LocalSettings) -> Reading:
    title = doc.title.strip()[: settings.max_text_chars]
    head = doc.text[: settings.max_text_chars]
    cut = len(doc.text) > settings.max_text_chars
    sentences, rest = lead_sentences(head, settings.summary_candidates, cut, doc.language)
    return Reading(title, head, sentences, rest, doc.language)


ENGLISH = frozenset({"en"})  # the languages the model's vocabulary and the categories' words are written in


def caution(language: str | None, confidence: float, uncertain_below: float, runner_up: str | None) -> str:
    """Why an answer should be read with care, or "": a page in another language than the model's, a confidence
    below the threshold."""
    said = []
    if language and language.split("-")[0].lower() not in ENGLISH:
        said.append(
            f"low confidence: the page is in '{language}' and the local model reads English best; check its category"
        )
    if confidence < uncertain_below:
        after = f" (next: {runner_up})" if runner_up else ""
        said.append(f"uncertain: confidence {confidence:.2f} is below {uncertain_below:.2f}{after}")
    return "; ".join(said)


def read_part(doc: Document, max_text_chars: int) -> Document:
    """The document with its text cut to what the provider reads (one character past the limit still says the text
    was cut); whole when the part read would be blank, so its answer stays the same."""
    part = doc.text[: max_text_chars + 1]
    return replace(doc, text=part) if len(part) < len(doc.text) and part.strip() else doc


def _result(doc: Document, **fields: object) -> Categorization:
    return Categorization(record_id=doc.record_id, entities=None, entities_note=ENTITIES_NOTE, **fields)  # type: ignore[arg-type]
