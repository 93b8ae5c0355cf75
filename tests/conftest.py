"""Every test sees the same partitions whatever the date it runs on: they start on TESTS_START_DATE (the default
start moves with the clock). Set before anything reads the environment; subprocesses inherit it."""

import os

from pipeline_defs.variables import START_DATE

TESTS_START_DATE = "2024-01-01"
os.environ.setdefault(START_DATE, TESTS_START_DATE)
