"""Summaries and tags of the local provider in German, Russian, Chinese, French and English: real sentences."""

import numpy as np
import pytest

from content_pipeline.categorize.local_provider import LocalEmbeddingProvider
from content_pipeline.categorize.local_stems import stemmer_for
from content_pipeline.categorize.local_summary import ends_at_title_or_initial, lead_sentences
from content_pipeline.categorize.local_tags import pick_tags, tag_candidates
from content_pipeline.categorize.models import Document
from content_pipeline.categorize.taxonomy import Taxonomy

SENTENCES = {
    "de": ["Das ist gut.", "Übermorgen kommt er.", "Dr. Müller sagt, am 3. Oktober sei Feiertag."],
    "ru": ["Привет мир.", "Новости сегодня плохие!", "В Москве идёт снег."],
    "zh": ["今天天气很好。", "中国经济增长放缓！", "专家认为经济会恢复。"],
    "fr": ["C'est bien.", "M. Dupont a parlé au Dr. Martin.", "Le gouvernement a annoncé une loi."],
    "en": ["This is good.", "Mr. Smith arrived at 5 p.m. yesterday.", "The news is bad."],
}


@pytest.mark.parametrize("language", sorted(SENTENCES))
def test_sentences_are_split_by_the_rules_of_the_documents_language(language: str) -> None:
    expected = SENTENCES[language]
    joiner = "" if language == "zh" else " "
    sentences, rest = lead_sentences(joiner.join(expected), limit=30, cut=False, language=language)
    assert sentences == expected and rest == ""


def test_a_heading_on_its_own_line_is_a_sentence_but_a_wrapped_line_is_not() -> None:
    sentences, _ = lead_sentences("Wahl in Berlin\nDie Wähler kamen früh,\nund sie blieben lange.", 30, False, "de")
    assert sentences == ["Wahl in Berlin", "Die Wähler kamen früh, und sie blieben lange."]


@pytest.mark.parametrize(
    ("language", "forms", "stem"),
    [
        ("en", ["news", "rates", "rate"], ["news", "rate", "rate"]),
        ("de", ["nachrichten", "nachricht"], ["nachricht", "nachricht"]),
        ("ru", ["новости", "новость", "новостей"], ["новост", "новост", "новост"]),
        ("fr", ["nouvelles", "nouvelle"], ["nouvel", "nouvel"]),
    ],
)
def test_inflected_forms_of_a_word_share_one_stem(language: str, forms: list[str], stem: list[str]) -> None:
    assert stemmer_for(language)(forms) == stem
    assert stemmer_for(language)(forms) == stem  # the second time from memory: the same


def test_a_language_without_a_stemmer_keeps_its_words() -> None:
    assert stemmer_for("zh")(["经济"]) == ["经济"] and stemmer_for("xx")(["Wörter"]) == ["Wörter"]


def test_inflected_forms_count_as_one_tag_in_russian_and_german() -> None:
    text = "Новости сегодня плохие. Новость о снеге удивила всех. Снег идёт, новостей много."
    candidates = dict(tag_candidates("", text, limit=20, language="ru"))
    assert candidates["Новости"] == 3.0 and "Новость" not in candidates and "новостей" not in candidates
    text = "Die Nachricht kam spät. Die Nachrichten waren schlecht. Keine Nachricht blieb."
    assert dict(tag_candidates("", text, limit=20, language="de"))["Nachricht"] == 3.0


def test_news_is_not_folded_into_new() -> None:
    candidates = [("news", 3.0), ("new", 2.0)]
    assert pick_tags(candidates, np.array([1.0, 0.9]), count=5, language="en") == ["news", "new"]


def test_chinese_tags_are_two_character_words_not_whole_clauses() -> None:
    title, text = "中国经济新闻", "中国经济增长放缓！专家认为经济会恢复。新闻报道说中国经济的前景很好。"
    forms = [form for form, _ in tag_candidates(title, text, limit=5, language="zh")]
    assert forms[:3] == ["经济", "中国", "新闻"]
    assert all(len(form) == 2 for form in forms) and "国经" not in forms  # no piece straddling two words


def test_a_chinese_article_gets_words_as_tags_and_a_summary_without_spaces(taxonomy: Taxonomy) -> None:
    title = "中国央行下调利率"
    text = (
        "中国人民银行周五宣布下调贷款市场报价利率。这是今年第二次降息。分析人士认为，降息将支持经济增长。"
        "房地产市场仍然疲软，消费需求不足。央行表示将继续实施稳健的货币政策。"
    )
    (answer,) = LocalEmbeddingProvider(taxonomy).categorize([Document("r1", "article", title, text, "", "zh")])
    assert answer.tags and {"中国", "利率", "央行"} <= set(answer.tags) and "国央" not in answer.tags
    assert answer.summary and " " not in answer.summary and answer.summary.count("。") >= 2
    assert answer.summary.startswith("中国人民银行周五宣布下调贷款市场报价利率。")


@pytest.mark.parametrize(
    ("language", "title", "text", "tag"),
    [
        (
            "de",
            "Bahnstreik legt den Verkehr lahm",
            "Der Bahnstreik hat am Montag den Verkehr in ganz Deutschland lahmgelegt. Die Gewerkschaft fordert mehr "
            "Lohn für die Lokführer. Pendler mussten auf Busse umsteigen. Der Bahnstreik soll bis Mittwoch dauern.",
            "Bahnstreik",
        ),
        (
            "ru",
            "Центробанк повысил ключевую ставку",
            "Центробанк повысил ключевую ставку до шестнадцати процентов. Аналитики ожидали такого решения. "
            "Повышение ставки должно замедлить инфляцию. Центробанк обещает следить за ценами.",
            "Центробанк",
        ),
    ],
)
def test_the_provider_summarizes_and_tags_a_german_or_russian_article(
    taxonomy: Taxonomy, language: str, title: str, text: str, tag: str
) -> None:
    (answer,) = LocalEmbeddingProvider(taxonomy).categorize([Document("r1", "article", title, text, "", language)])
    assert answer.summary and answer.summary.count(".") >= 2  # sentences, not the whole text as one
    assert answer.summary.split(".")[0] + "." in text
    assert answer.tags and any(tag in t for t in answer.tags), answer.tags


@pytest.mark.parametrize(
    ("piece", "ends_there"),
    [("Il a parlé au Dr. ", True), ("M. ", True), ("John F. ", True), ("Mme. ", True), ("Join the EU. ", False),
     ("He left Rome. ", False), ("It costs 5. ", False), ("", False)],
)  # fmt: skip
def test_a_title_or_an_initial_is_told_from_a_sentences_end(piece: str, ends_there: bool) -> None:
    assert ends_at_title_or_initial(piece) is ends_there
