"""The quality checks' default bounds, importable without the checks (and polars)."""

DEFAULT_MAX_FAILURE_RATE = 0.5
