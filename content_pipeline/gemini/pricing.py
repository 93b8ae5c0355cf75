"""Model prices (USD per million tokens) loaded from a YAML table, and the cost of a request's usage."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

DEFAULT_PRICES_PATH = Path(__file__).resolve().parent.parent / "defaults" / "gemini_prices.yaml"
_PER = 1_000_000
MAX_PRICE_TABLE_AGE_DAYS = 90  # an older table gets a warning: Google changes prices and moves its aliases
PRICES_SETTING = "CONTENT_PIPELINE_GEMINI_PRICES"


class PriceTableError(ValueError):
    """The price table file is missing or malformed."""


@dataclass(frozen=True)
class ModelPrice:
    input_per_million: float
    output_per_million: float
    long_context_tokens: int | None = None  # prompts above this many tokens pay the *_long prices
    input_per_million_long: float | None = None
    output_per_million_long: float | None = None

    def cost(self, tokens_in: int, tokens_out: int, prompt_tokens: int | None = None) -> float:
        """USD for the tokens; `prompt_tokens` (one request's prompt size) selects the long-context tier."""
        size = tokens_in if prompt_tokens is None else prompt_tokens
        long = self.long_context_tokens is not None and size > self.long_context_tokens
        rate_in = self.input_per_million_long if long and self.input_per_million_long is not None else None
        rate_out = self.output_per_million_long if long and self.output_per_million_long is not None else None
        return (
            tokens_in * (rate_in if rate_in is not None else self.input_per_million)
            + tokens_out * (rate_out if rate_out is not None else self.output_per_million)
        ) / _PER


@dataclass(frozen=True)
class PriceTable:
    models: dict[str, ModelPrice]
    as_of: str = ""
    source: str = ""

    def price(self, model: str) -> ModelPrice | None:
        """The price of a model name (a "models/" prefix is ignored); None when the table does not list it."""
        return self.models.get(model.removeprefix("models/"))

    def dated(self) -> date | None:
        """The day the table was dated (`as_of`: YYYY-MM-DD, or YYYY-MM for the month's first day); None if unknown."""
        text = self.as_of.strip()
        try:
            return date.fromisoformat(f"{text}-01" if len(text) == 7 else text)
        except ValueError:
            return None

    def age_note(self, today: date, max_age_days: int = MAX_PRICE_TABLE_AGE_DAYS) -> str:
        """A warning when the table is older than `max_age_days` or undated; "" when it is recent enough."""
        dated = self.dated()
        where = f" ({self.source})" if self.source else ""
        fix = (
            "costs and budgets may be wrong (an alias such as gemini-flash-latest may now name a newer model); "
            f"check the prices and point {PRICES_SETTING} at your own copy of the table with a new as_of date"
        )
        if dated is None:
            return f"the Gemini price table{where} has no valid as_of date (YYYY-MM or YYYY-MM-DD): {fix}"
        age = (today - dated).days
        if age <= max_age_days:
            return ""
        return f"the Gemini price table{where} is dated {self.as_of}, {age} days ago (over {max_age_days}): {fix}"

    def missing_note(self, model: str) -> str:
        """Why costs are unknown for a model, or "" when the table prices it."""
        if self.price(model) is not None:
            return ""
        return (
            f"no price for model {model!r} in the Gemini price table{f' ({self.source})' if self.source else ''}: "
            f"cost_usd is left empty; add the model to the table ({PRICES_SETTING})"
        )


def load_prices(path: Path | str | None = None) -> PriceTable:
    """Load a price table YAML file; None loads the bundled default."""
    file = Path(path) if path is not None else DEFAULT_PRICES_PATH
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PriceTableError(f"Gemini price table not found: {file}") from None
    except yaml.YAMLError as exc:
        raise PriceTableError(f"Gemini price table {file}: not valid YAML: {exc}") from None
    return parse_prices(data, source=str(file))


def parse_prices(data: Any, source: str = "<memory>") -> PriceTable:
    """Validate a parsed price table: {as_of, models: {name: {input_per_million, output_per_million, ...}}}."""
    if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
        raise PriceTableError(f"Gemini price table {source}: expected a mapping with a 'models' mapping")
    models: dict[str, ModelPrice] = {}
    for name, entry in data["models"].items():
        if not isinstance(entry, dict):
            raise PriceTableError(f"Gemini price table {source}: model {name!r} needs a mapping of prices")
        try:
            price = ModelPrice(
                input_per_million=_rate(entry["input_per_million"]),
                output_per_million=_rate(entry["output_per_million"]),
                long_context_tokens=int(entry["long_context_tokens"]) if "long_context_tokens" in entry else None,
                input_per_million_long=_rate(entry["input_per_million_long"])
                if "input_per_million_long" in entry
                else None,
                output_per_million_long=_rate(entry["output_per_million_long"])
                if "output_per_million_long" in entry
                else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PriceTableError(f"Gemini price table {source}: model {name!r}: bad or missing {exc}") from None
        models[str(name)] = price
    return PriceTable(models=models, as_of=str(data.get("as_of") or ""), source=source)


def _rate(value: object) -> float:
    rate = float(value)  # type: ignore[arg-type]
    if not math.isfinite(rate) or rate < 0:
        raise ValueError(f"price {value!r}")
    return rate
