"""Fixtures of the categorize tests: the fake Gemini server on 127.0.0.1 and the bundled taxonomy."""

from collections.abc import Iterator

import pytest

from content_pipeline.categorize.taxonomy import Taxonomy, load_taxonomy
from tests.fakes.gemini_server import FakeGeminiServer


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


@pytest.fixture
def gemini_server() -> Iterator[FakeGeminiServer]:
    with FakeGeminiServer() as server:
        yield server
