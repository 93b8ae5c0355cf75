"""The extractive summary of the local provider: the lead sentences of a text, and the ones nearest the document."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import sentencex

DEFAULT_LANGUAGE = "en"  # the sentence rules used when classify detected no language
UNSPACED_LANGUAGES = frozenset({"zh", "ja"})  # sentences follow each other without a space


def sentence_separator(language: str | None) -> str:
    """What goes between two sentences of a summary in `language`: nothing in Chinese and Japanese."""
    return "" if language in UNSPACED_LANGUAGES else " "


def ends_at_title_or_initial(piece: str) -> bool:
    """Whether `piece` ends in a capitalised word of at most 3 letters and a full stop ("M.", "Dr.", "Mme.", the "F."
    of "John F. Kennedy"): a title or an initial, not a sentence's end. sentencex's rules for French, among others,
    cut 'M. Dupont est arrivé.' after 'M.'; "EU." or "Rome." still end a sentence."""
    words = piece.rsplit(maxsplit=1)
    last = words[-1] if words else ""
    name = last[:-1]
    return (
        last.endswith(".")
        and 1 <= len(name) <= 3
        and name.isalpha()
        and name[0].isupper()
        and name[1:] == name[1:].lower()
    )


def _sentencex_pieces(text: str, language: str | None) -> Iterator[str]:
    """sentencex's sentences of `text`, a piece that ends at a title or an initial joined to the next."""
    held = ""
    for piece in sentencex.segment(language or DEFAULT_LANGUAGE, text):
        held += piece
        if not ends_at_title_or_initial(held):
            yield held
            held = ""
    if held:
        yield held


def _pieces(text: str, language: str | None) -> Iterator[str]:
    """Sentences of `text` by the rules of its language (sentencex), also cut at line ends; they join to `text`.

    A line break ends a sentence (a heading, a paragraph of extracted text) unless a lower-case word follows it.
    """
    for piece in _sentencex_pieces(text, language):
        start = 0
        at = piece.find("\n")
        while at != -1:
            following = piece[at + 1 :].lstrip()
            if following and not following[0].islower():
                yield piece[start : at + 1]
                start = at + 1
            at = piece.find("\n", at + 1)
        yield piece[start:]


def lead_sentences(text: str, limit: int, cut: bool, language: str | None = None) -> tuple[list[str], str]:
    """The first `limit` sentences of `text` (whitespace folded) and the rest of it, split by its language's rules.

    `cut` says the text was cut short: its last, unfinished piece is then left in the rest, not offered as a
    sentence, unless the text has no other.
    """
    found: list[tuple[str, int]] = []  # (sentence, where it ends in text)
    end = 0
    for piece in _pieces(text, language):
        end += len(piece)
        sentence = " ".join(piece.split())
        if sentence:
            found.append((sentence, end))
            if len(found) > limit:
                break
    else:
        if cut and len(found) > 1:
            found.pop()
    lead = found[:limit]
    rest = text[lead[-1][1] :] if lead else text
    return [sentence for sentence, _ in lead], rest.lstrip() if rest.strip() else ""


def pick_summary(
    sentences: list[str], scores: np.ndarray, count: int, max_chars: int, separator: str = " "
) -> str | None:
    """The sentences nearest the document embedding, in document order, within max_chars, joined by `separator`."""
    if not sentences:
        return None
    ranked = sorted(range(len(sentences)), key=lambda i: (-float(scores[i]), i))
    chosen: list[int] = []
    used = 0
    for i in ranked:
        if len(chosen) == count:
            break
        if chosen and used + len(sentences[i]) + len(separator) > max_chars:
            continue
        chosen.append(i)
        used += len(sentences[i]) + len(separator)
    summary = separator.join(sentences[i] for i in sorted(chosen))
    if len(summary) > max_chars:  # one very long sentence
        summary = summary[:max_chars].rsplit(" ", 1)[0] + " …"
    return summary
