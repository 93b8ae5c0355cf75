"""The local provider's text work: tag candidates counted in bulk, lead sentences, and token-mean vectors."""

import numpy as np
import pytest

from content_pipeline.categorize import local_embedding
from content_pipeline.categorize.local_embedding import TokenEmbedder, unit
from content_pipeline.categorize.local_provider import load_wordllama
from content_pipeline.categorize.local_summary import lead_sentences
from content_pipeline.categorize.local_tags import tag_candidates


def test_title_words_count_double_and_a_phrase_needs_two_occurrences() -> None:
    title = "Ferry strike"
    text = "The ferry strike hit ports. Ferry strike talks failed. Union leaders met. Ports stayed shut at Calais."
    candidates = dict(tag_candidates(title, text, limit=20))
    assert candidates["Ferry strike"] == 4.0  # twice in the text, once in the title (counted double)
    assert candidates["Ferry"] == 4.0 and candidates["strike"] == 4.0  # its most frequent written form
    assert "ports stayed" not in {k.casefold() for k in candidates}  # one occurrence: not a phrase
    assert next(iter(candidates)) == "Ferry strike"  # a phrase scores 1.5x its weight


def test_words_seen_once_follow_the_heavier_ones_in_the_order_they_appear() -> None:
    candidates = tag_candidates("Solar power", "Wind turbines spin quickly near coastal towns.", limit=20)
    assert [form for form, _ in candidates] == [
        "Solar",
        "power",
        "Wind",
        "turbines",
        "spin",
        "quickly",
        "near",
        "coastal",
        "towns",
    ]
    assert [w for _, w in candidates[:3]] == [2.0, 2.0, 1.0]
    assert len(tag_candidates("Solar power", "Wind turbines spin quickly near coastal towns.", limit=3)) == 3


def test_a_phrase_never_spans_a_clause_break_or_the_title() -> None:
    candidates = [form for form, _ in tag_candidates("Rates", "rates. Banks rates, banks", limit=20)]
    assert all(" " not in form for form in candidates), candidates


def test_a_tag_keeps_its_most_frequent_written_form_and_loses_a_possessive() -> None:
    text = "Apple's profits rose. Apple shares rose. APPLE said so. Apple’s chief spoke."
    candidates = dict(tag_candidates("", text, limit=20))
    assert "Apple" in candidates and candidates["Apple"] == 4.0
    assert not any("'" in form or "’" in form for form in candidates)


def test_stop_words_of_the_document_language_are_skipped() -> None:
    text = "Die Pilotanlage der Stadtwerke ist fertig. Die Pilotanlage soll Strom speichern, sagen die Stadtwerke."
    lowered = {form.casefold() for form, _ in tag_candidates("", text, limit=20, language="de")}
    assert {"pilotanlage", "stadtwerke"} <= lowered
    assert not {"die", "der", "ist", "soll"} & lowered


def test_lead_sentences_split_at_sentence_ends_and_blank_lines_with_whitespace_folded() -> None:
    text = 'He said "Yes." Then he left.\n\nA new   paragraph\nstarts here! Does it end? 3 more follow.'
    sentences, rest = lead_sentences(text, limit=30, cut=False)
    assert sentences == [
        'He said "Yes."',
        "Then he left.",
        "A new paragraph starts here!",
        "Does it end?",
        "3 more follow.",
    ]
    assert rest == ""


def test_lead_sentences_stop_at_the_limit_and_leave_the_rest() -> None:
    sentences, rest = lead_sentences("One is here. Two is here. Three is here.", limit=2, cut=False)
    assert sentences == ["One is here.", "Two is here."]
    assert rest == "Three is here."


def test_the_unfinished_last_piece_of_a_cut_text_is_no_sentence_unless_it_is_the_only_one() -> None:
    sentences, rest = lead_sentences("A whole sentence here. And one cut in the mid", limit=30, cut=True)
    assert sentences == ["A whole sentence here."] and rest == "And one cut in the mid"
    sentences, rest = lead_sentences("no sentence end anywhere in this cut text", limit=30, cut=True)
    assert sentences == ["no sentence end anywhere in this cut text"] and rest == ""


@pytest.fixture(scope="module")
def embedder() -> TokenEmbedder:
    model = load_wordllama()
    return TokenEmbedder(model.embedding, model.tokenizer)


ODD_TEXTS = [
    "The central bank raised interest rates.",
    "Cup final",
    "Ümlaut façade — ünïcode, 東京の株価は3.5%上昇 🚀🚀 emoji",
    "a" * 300 + " pneumonoultramicroscopicsilicovolcanoconiosis x-ray O'Brien's e-mail@example.org",
    "tabs\tand\n\nnew  lines   and\u00a0no-break spaces",
]


def test_a_text_vector_is_the_models_own_embedding_of_the_whitespace_folded_text(embedder: TokenEmbedder) -> None:
    theirs = unit(load_wordllama().embed([" ".join(text.split()) for text in ODD_TEXTS]))
    assert np.allclose(embedder.embed(ODD_TEXTS), theirs, atol=1e-5)
    assert np.array_equal(embedder.embed(ODD_TEXTS), embedder.embed(ODD_TEXTS))  # remembered words: same answer
    assert not embedder.embed(["", " \n "]).any()  # no tokens: a zero vector, not NaN


def test_vectors_stay_the_same_when_the_word_memo_is_full(monkeypatch: pytest.MonkeyPatch) -> None:
    model = load_wordllama()
    expected = [TokenEmbedder(model.embedding, model.tokenizer).embed([text]) for text in ODD_TEXTS]
    monkeypatch.setattr(local_embedding, "MEMO_WORDS", 5)  # full after the first call: later words are not kept
    cramped = TokenEmbedder(model.embedding, model.tokenizer)
    for text, vector in zip(ODD_TEXTS * 2, expected * 2, strict=True):
        assert np.array_equal(cramped.embed([text]), vector)


def test_one_pass_gives_the_document_vector_and_each_sentence_vector(embedder: TokenEmbedder) -> None:
    title = "Rates rise again"
    sentences = ["The Federal Reserve raised rates on Wednesday.", "Stocks fell after the news."]
    rest = "Bond yields rose as investors priced in higher borrowing costs."
    docs, sents = embedder.embed_documents([[title, *sentences, rest], ["", "Only one sentence here.", ""]], [2, 1])
    whole = unit(load_wordllama().embed([" ".join([title, *sentences, rest])]))[0]
    assert np.allclose(docs[0], whole, atol=1e-5)
    assert np.allclose(sents[0], embedder.embed(sentences), atol=1e-5)
    assert np.allclose(sents[1][0], docs[1], atol=1e-5)  # an empty title and rest add nothing


def test_the_models_own_tokenizer_keeps_its_padding(embedder: TokenEmbedder) -> None:
    assert embedder.tokenizer.padding is None
    assert load_wordllama().tokenizer.padding is not None  # wordllama's embed relies on it
