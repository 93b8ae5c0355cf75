"""The extractive summary of the local provider: the lead sentences of a text, and the ones nearest the document."""

from __future__ import annotations

import re

import numpy as np

# the end of a sentence (group 1: its closing punctuation, kept with it) before a capital or a digit, a blank line,
# or a line break before a capital; it starts with a plain character class so the regex engine skips ahead fast
_SENTENCE_END = re.compile(r"([.!?][\"'”’)]?)\s+(?=[\"'“‘(]?[A-Z0-9])|\n\s*\n|\n(?=[A-Z])")


def lead_sentences(text: str, limit: int, cut: bool) -> tuple[list[str], str]:
    """The first `limit` sentences of `text` (whitespace folded) and the rest of it.

    `cut` says the text was cut short: its last, unfinished piece is then left in the rest, not offered as a
    sentence, unless the text has no other.
    """
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if len(sentences) == limit:
            break
        end = match.end(1) if match.group(1) else match.start()
        sentence = " ".join(text[start:end].split())
        if sentence:
            sentences.append(sentence)
        start = match.end()
    else:
        if len(sentences) < limit and not (cut and sentences):
            last = " ".join(text[start:].split())
            if last:
                sentences.append(last)
            start = len(text)
    return sentences, text[start:]


def pick_summary(sentences: list[str], scores: np.ndarray, count: int, max_chars: int) -> str | None:
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
