"""Text that a spreadsheet would run as a formula, and how it is made plain text (a leading quote).

Values and column names from the web and from users are data. A spreadsheet evaluates a cell that starts with
`=`, `+`, `-` or `@` (also after leading spaces, and in their full-width forms `＝＋－＠`, which some spreadsheets
fold to ASCII), or with a tab or carriage return. Such text gets a leading `'`, which every spreadsheet shows as text.
"""

import re

import polars as pl

FORMULA_START = r"^(?:[\s\u00a0\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20]|[\t\r])"
QUOTE = "'"
_FORMULA_START = re.compile(FORMULA_START)


def looks_like_formula(text: str) -> bool:
    return _FORMULA_START.match(text) is not None


def neutralized(text: str) -> str:
    """`text` with a leading quote when a spreadsheet would evaluate it, unchanged otherwise."""
    return QUOTE + text if looks_like_formula(text) else text


def neutralize_text_columns(data: pl.DataFrame) -> pl.DataFrame:
    """Every text cell and every column name of `data` neutralized (names made unique again if that collides)."""
    text = pl.col(pl.String)
    data = data.with_columns(pl.when(text.str.contains(FORMULA_START)).then(QUOTE + text).otherwise(text).name.keep())
    names: list[str] = []
    for name in data.columns:
        safe = neutralized(name)
        while safe in names:
            safe += "_"
        names.append(safe)
    return data.rename(dict(zip(data.columns, names, strict=True)))
