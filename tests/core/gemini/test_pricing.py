"""The bundled Gemini price table and the cost of usage."""

from datetime import date
from pathlib import Path

import pytest

from content_pipeline.gemini.constants import DEFAULT_GEMINI_MODEL
from content_pipeline.gemini.pricing import DEFAULT_PRICES_PATH, PriceTableError, load_prices, parse_prices


def test_the_bundled_table_prices_the_default_model_and_is_dated() -> None:
    table = load_prices()
    assert table.as_of and table.price(DEFAULT_GEMINI_MODEL) is not None
    for model in ("gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro", "gemini-3-pro-preview"):
        assert table.price(model) is not None
    assert "pricing" in DEFAULT_PRICES_PATH.read_text()


def test_cost_is_per_million_tokens_with_a_long_context_tier() -> None:
    table = parse_prices(
        {
            "models": {
                "m": {
                    "input_per_million": 1.25,
                    "output_per_million": 10,
                    "long_context_tokens": 200_000,
                    "input_per_million_long": 2.5,
                    "output_per_million_long": 15,
                }
            }
        }
    )
    price = table.price("models/m")
    assert price is not None
    assert price.cost(100_000, 100_000) == pytest.approx(0.125 + 1.0)
    assert price.cost(300_000, 1000, prompt_tokens=300_000) == pytest.approx(0.75 + 0.015)


def test_a_missing_model_is_a_note_not_an_error() -> None:
    table = parse_prices({"models": {}}, source="t.yaml")
    assert table.price("gemini-9") is None and "gemini-9" in table.missing_note("gemini-9")


@pytest.mark.parametrize(
    "text",
    [
        "models: [1]",
        "models:\n  m: {input_per_million: 1}",
        "models:\n  m: {input_per_million: -1, output_per_million: 1}",
    ],
)
def test_a_malformed_table_is_a_clear_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(PriceTableError, match="price table"):
        load_prices(path)
    with pytest.raises(PriceTableError, match="not found"):
        load_prices(tmp_path / "missing.yaml")


def test_the_table_says_when_it_was_dated_and_warns_once_it_is_over_90_days_old() -> None:
    table = parse_prices({"as_of": "2025-11", "models": {}}, source="prices.yaml")
    assert table.dated() == date(2025, 11, 1)
    assert table.age_note(date(2026, 1, 30)) == ""
    note = table.age_note(date(2026, 12, 3))
    assert "dated 2025-11, 397 days ago" in note and "prices.yaml" in note
    assert "CONTENT_PIPELINE_GEMINI_PRICES" in note and "gemini-flash-latest" in note
    assert parse_prices({"as_of": "2026-11-20", "models": {}}).age_note(date(2026, 12, 3)) == ""


@pytest.mark.parametrize("as_of", ["", "soon", "2025-13"])
def test_an_undated_table_is_warned_about_too(as_of: str) -> None:
    note = parse_prices({"as_of": as_of, "models": {}}).age_note(date(2026, 12, 3))
    assert "no valid as_of date" in note and "CONTENT_PIPELINE_GEMINI_PRICES" in note
