"""How a partition's values are shown to a person (reports, check descriptions, run metadata): rows per value, and
text shortened to one line."""

import polars as pl

NONE_LABEL = "(none)"  # how a null value is shown
ELLIPSIS = "…"


def value_counts(values: pl.Series, at_least: int = 1) -> list[tuple[str | None, int]]:
    """(value as text, rows) of `values`, most frequent first, then by value; a null value is None (last of equals).

    Only values on at least `at_least` rows: counting repeated record ids of a 100,000-row day with `at_least=2`
    turns no row into a Python object when none repeats."""
    frame = values.cast(pl.String).rename("value").to_frame().group_by("value").len()
    if at_least > 1:
        frame = frame.filter(pl.col("len") >= at_least)
    frame = frame.sort(["len", "value"], descending=[True, False], nulls_last=True)
    return list(frame.iter_rows())


def column_counts(data: pl.DataFrame, column: str) -> list[tuple[str, int]]:
    """`value_counts` of `column`, a null shown as '(none)'; [] when there is no such column or no row."""
    if column not in data.columns or data.is_empty():
        return []
    return [(NONE_LABEL if value is None else value, n) for value, n in value_counts(data[column])]


def shorten(text: str, limit: int) -> str:
    """`text` on one line (every run of white space one space), cut to at most `limit` characters ending in '…'."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS
