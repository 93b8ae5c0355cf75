"""The category taxonomy: names, one-line descriptions and optional examples, loaded from YAML."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_TAXONOMY_PATH = Path(__file__).resolve().parent.parent / "defaults" / "taxonomy.yaml"
VERSION_HASH_CHARS = 12

_TOP_KEYS = {"version", "categories"}
_CATEGORY_KEYS = {"name", "description", "examples"}


class TaxonomyError(ValueError):
    """A malformed taxonomy; the message names the file."""


@dataclass(frozen=True)
class Category:
    name: str
    description: str
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    """An ordered set of categories; `version` changes whenever the content changes (unless pinned)."""

    version: str
    categories: tuple[Category, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.categories)

    def __contains__(self, name: object) -> bool:
        return name in self.names

    @classmethod
    def from_categories(
        cls, categories: Iterable[Category], version: str | None = None, source: str = "<code>"
    ) -> Taxonomy:
        """Validate categories and compute the content-hash version unless one is given."""
        cats = tuple(categories)
        _validate(cats, source)
        return cls(version=version or content_version(cats), categories=cats)


def content_version(categories: Iterable[Category]) -> str:
    """A short hash of the normalized taxonomy content."""
    normalized = [
        {"name": c.name.strip(), "description": " ".join(c.description.split()), "examples": list(c.examples)}
        for c in categories
    ]
    digest = hashlib.sha256(json.dumps(normalized, sort_keys=True).encode()).hexdigest()
    return digest[:VERSION_HASH_CHARS]


def _validate(categories: tuple[Category, ...], source: str) -> None:
    if len(categories) < 2:
        raise TaxonomyError(f"taxonomy {source}: needs at least 2 categories, found {len(categories)}")
    seen: set[str] = set()
    for i, c in enumerate(categories):
        if not c.name.strip():
            raise TaxonomyError(f"taxonomy {source}: category #{i + 1} has an empty name")
        key = c.name.strip().casefold()
        if key in seen:
            raise TaxonomyError(f"taxonomy {source}: duplicate category name {c.name!r}")
        seen.add(key)
        if not c.description.strip():
            raise TaxonomyError(f"taxonomy {source}: category {c.name!r} has an empty description")
        if any(not e.strip() for e in c.examples):
            raise TaxonomyError(f"taxonomy {source}: category {c.name!r} has an empty example")


def _text(value: object, what: str, source: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise TaxonomyError(f"taxonomy {source}: {what} must be a string, got {type(value).__name__}")
    return " ".join(str(value).split())


def parse_taxonomy(data: object, source: str = "<data>") -> Taxonomy:
    """Build a Taxonomy from parsed YAML/JSON data; ValueError naming `source` when it is malformed."""
    if not isinstance(data, Mapping):
        raise TaxonomyError(f"taxonomy {source}: expected a mapping with a 'categories' list")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise TaxonomyError(f"taxonomy {source}: unknown keys {sorted(map(str, unknown))}")
    raw = data.get("categories")
    if not isinstance(raw, list) or not raw:
        raise TaxonomyError(f"taxonomy {source}: missing or empty 'categories' list")
    categories = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise TaxonomyError(f"taxonomy {source}: category #{i + 1} must be a mapping with name and description")
        bad = set(item) - _CATEGORY_KEYS
        if bad:
            raise TaxonomyError(f"taxonomy {source}: category #{i + 1} has unknown keys {sorted(map(str, bad))}")
        examples = item.get("examples") or []
        if not isinstance(examples, list):
            raise TaxonomyError(f"taxonomy {source}: 'examples' of category #{i + 1} must be a list")
        categories.append(
            Category(
                name=_text(item.get("name"), f"name of category #{i + 1}", source),
                description=_text(item.get("description"), f"description of category #{i + 1}", source),
                examples=tuple(_text(e, f"example of category #{i + 1}", source) for e in examples),
            )
        )
    version = data.get("version")
    pinned = _text(version, "version", source) if version is not None else None
    return Taxonomy.from_categories(categories, version=pinned or None, source=source)


def load_taxonomy(path: Path | str | None = None) -> Taxonomy:
    """Load a taxonomy YAML file; None loads the bundled default."""
    file = Path(path) if path is not None else DEFAULT_TAXONOMY_PATH
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"taxonomy file not found: {file}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"taxonomy {file}: not valid YAML: {exc}") from None
    return parse_taxonomy(data, source=str(file))
