"""The offline provider: wordllama embeddings, nearest-description category, extractive tags and summary."""

from __future__ import annotations

import functools
import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from stop_words import StopWordError, get_stop_words

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
    # text beyond this is not read (the lead of a page carries its topic)
    max_text_chars: int = 8000
    # long texts are embedded in chunks so padding stays small
    chunk_chars: int = 1000
    batch_size: int = 64  # texts per embedding call
    docs_per_slice: int = 256  # documents processed together (bounds memory)
    # confidence = softmax over the cosine similarities / T, for the chosen category
    softmax_temperature: float = 0.05
    tag_count: int = 5
    # the most frequent terms, re-ranked by their similarity to the document
    tag_candidates: int = 20
    summary_sentences: int = 3
    summary_max_chars: int = 500
    summary_candidates: int = 30  # only the first N sentences compete for the summary
    min_sentence_words: int = 5


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


class LocalEmbeddingProvider:
    """Zero-shot categorization by the nearest "Name: description" embedding; no entities."""

    name = "local"
    model = LOCAL_MODEL_NAME
    prompt_version = "1"  # bump when the scoring, tags or summary change: part of the AI cache key

    def __init__(self, taxonomy: Taxonomy, settings: LocalSettings | None = None) -> None:
        self.taxonomy = taxonomy
        self.settings = settings or LocalSettings()
        self._wl = load_wordllama()
        self._category_vectors = self._build_category_vectors()

    def _build_category_vectors(self) -> np.ndarray:
        rows = []
        for c in self.taxonomy.categories:
            label = self.settings.category_text.format(name=c.name, description=c.description)
            vecs = self._embed([label, *c.examples])
            mean = vecs.mean(axis=0)  # description and examples count alike
            rows.append(mean / max(float(np.linalg.norm(mean)), 1e-12))
        return np.vstack(rows)

    def _embed(self, texts: list[str]) -> np.ndarray:
        """Unit-normalized embeddings, batched by length so padding stays small."""
        if not texts:
            return np.zeros((0, WORDLLAMA_DIM), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vecs = self._wl.embed([texts[i] for i in order], batch_size=self.settings.batch_size)
        out = np.empty_like(vecs)
        out[order] = vecs
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def categorize(self, docs: Sequence[Document], on_answer: AnswerHook | None = None) -> list[Categorization]:
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
        doc_vecs = self._doc_vectors(docs)
        sims = doc_vecs @ self._category_vectors.T
        logits = (sims - sims.max(axis=1, keepdims=True)) / s.softmax_temperature
        probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        best = sims.argmax(axis=1)

        sentences = [_sentences(d.text)[: s.summary_candidates] for d in docs]
        candidates = [[x for x in sent if len(x.split()) >= s.min_sentence_words] or sent for sent in sentences]
        terms = [tag_candidates(d.title, d.text[: s.max_text_chars], s.tag_candidates, d.language) for d in docs]
        sent_vecs = self._embed([x for c in candidates for x in c])
        term_vecs = self._embed([t for ts in terms for t, _ in ts])
        results, pos, tpos = [], 0, 0
        for k, doc in enumerate(docs):
            n, m = len(candidates[k]), len(terms[k])
            scores = sent_vecs[pos : pos + n] @ doc_vecs[k]
            relevance = term_vecs[tpos : tpos + m] @ doc_vecs[k]
            pos, tpos = pos + n, tpos + m
            results.append(
                _result(
                    doc,
                    category=self.taxonomy.names[int(best[k])],
                    confidence=round(float(probs[k, best[k]]), 4),
                    tags=pick_tags(terms[k], relevance, s.tag_count),
                    summary=_pick_summary(candidates[k], scores, s.summary_sentences, s.summary_max_chars),
                )
            )
        return results

    def _doc_vectors(self, docs: Sequence[Document]) -> np.ndarray:
        """Mean token embedding of title + text, computed over chunks weighted by their length."""
        chunks: list[str] = []
        owners: list[int] = []
        for k, doc in enumerate(docs):
            body = f"{doc.title.strip()}\n{doc.text[: self.settings.max_text_chars]}".strip()
            for chunk in _chunks(body, self.settings.chunk_chars):
                chunks.append(chunk)
                owners.append(k)
        order = sorted(range(len(chunks)), key=lambda i: len(chunks[i]))
        raw = self._wl.embed([chunks[i] for i in order], batch_size=self.settings.batch_size)
        vecs = np.empty_like(raw)
        vecs[order] = raw
        weights = np.array([len(c) for c in chunks], dtype=np.float32)
        total = np.zeros((len(docs), raw.shape[1]), dtype=np.float32)
        np.add.at(total, np.array(owners), vecs * weights[:, None])
        return total / np.maximum(np.linalg.norm(total, axis=1, keepdims=True), 1e-12)


def _result(doc: Document, **fields: object) -> Categorization:
    return Categorization(record_id=doc.record_id, entities=None, entities_note=ENTITIES_NOTE, **fields)  # type: ignore[arg-type]


def _chunks(text: str, size: int) -> list[str]:
    """Split text into pieces of at most ~size characters at whitespace."""
    out, start = [], 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind(" ", start + size // 2, end)
            end = cut if cut > start else end
        out.append(text[start:end])
        start = end
    return [c for c in out if c.strip()] or [text]


_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"'”’)]))\s+(?=[\"'“‘(]?[A-Z0-9])|\n\s*\n|\n(?=[A-Z])")


def _sentences(text: str) -> list[str]:
    return [" ".join(p.split()) for p in _SENTENCE_END.split(text) if p and p.strip()]


def _pick_summary(sentences: list[str], scores: np.ndarray, count: int, max_chars: int) -> str | None:
    """The sentences nearest the document embedding, in document order, within max_chars."""
    if not sentences:
        return None
    ranked = sorted(range(len(sentences)), key=lambda i: (-float(scores[i]), i))
    chosen: list[int] = []
    used = 0
    for i in ranked:
        if len(chosen) == count:
            break
        if chosen and used + len(sentences[i]) + 1 > max_chars:
            continue
        chosen.append(i)
        used += len(sentences[i]) + 1
    summary = " ".join(sentences[i] for i in sorted(chosen))
    if len(summary) > max_chars:  # one very long sentence
        summary = summary[:max_chars].rsplit(" ", 1)[0] + " …"
    return summary


_STOPWORDS_TEXT = """
    a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
    now of off on once only or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves said says say told
    according may might must shall can't don't it's also one two three new like get got make made many much
    yet still even well back way year years last first time week day today yesterday since us via per
    mr mrs ms however although though another every around among within without would've could've monday tuesday
    wednesday thursday friday saturday sunday"""
_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_WORD = re.compile(r"[^\W\d_][\w'’&-]*[^\W_]|[^\W\d_]", re.UNICODE)
_POSSESSIVE = re.compile(r"['’]s$")
_CLAUSE = re.compile(r"[.,;:!?()\[\]\"“”|/\n]+")


def stopwords_for(language: str | None) -> frozenset[str]:
    """English stop words plus those of the document's language (from the `stop-words` package) when it has them."""
    if not language or language == "en":
        return _STOPWORDS
    return _STOPWORDS | _language_stopwords(language)


@functools.cache
def _language_stopwords(language: str) -> frozenset[str]:
    try:
        return frozenset(w.casefold() for w in get_stop_words(language))
    except StopWordError:
        return frozenset()


def tag_candidates(title: str, text: str, limit: int, language: str | None = None) -> list[tuple[str, float]]:
    """Frequent content words and repeated two-word phrases of title + text, as they appear, with a weight.

    The title counts double; a phrase needs two real occurrences; stop words of the text's language are skipped.
    """
    stopwords = stopwords_for(language)
    weight: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    surface: dict[str, Counter[str]] = {}
    first: dict[str, int] = {}

    def add(key: str, form: str, w: int) -> None:
        weight[key] += w
        seen[key] += 1
        surface.setdefault(key, Counter())[form] += 1
        first.setdefault(key, len(first))

    for w, source in ((2, title), (1, text)):
        for clause in _CLAUSE.split(source):
            words = _WORD.findall(clause)
            words = [_POSSESSIVE.sub("", x) for x in words]
            keys = [x.casefold().strip("'’-&") for x in words]
            good = [len(k) >= 3 and k not in stopwords for k in keys]
            for j, key in enumerate(keys):
                if good[j]:
                    add(key, words[j], w)
                    if j + 1 < len(keys) and good[j + 1]:
                        add(f"{key} {keys[j + 1]}", f"{words[j]} {words[j + 1]}", w)
    keys = [k for k in weight if " " not in k or seen[k] >= 2]
    keys.sort(key=lambda k: (-weight[k] * (1.5 if " " in k else 1.0), first[k]))
    return [(surface[k].most_common(1)[0][0], float(weight[k])) for k in keys[:limit]]


def pick_tags(candidates: list[tuple[str, float]], relevance: np.ndarray, count: int) -> list[str]:
    """Rank candidates by relevance to the document x (1 + log weight); a chosen phrase covers its words."""
    order = sorted(range(len(candidates)), key=lambda i: (-float(relevance[i]) * (1.0 + math.log(candidates[i][1])), i))
    tags: list[str] = []
    covered: set[str] = set()
    for i in order:
        form = candidates[i][0]
        parts = [_stem(p) for p in form.casefold().split()]
        if all(p in covered for p in parts):
            continue
        tags.append(form)
        covered.update(parts)
        if len(tags) == count:
            break
    return tags


def _stem(word: str) -> str:
    """Fold a plain English plural so "rate" and "rates" count as one tag."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
