"""Data-quality checks of a stage's partition: pure functions over polars frames, run by the assets."""
