"""The names an image may take in a Drive folder (`stem.ext`, `stem-2.ext`...), and which images of a batch could
take the same one (those are filed one after the other; the others side by side)."""

import re
from collections.abc import Iterator, Sequence

from content_pipeline.export.image_filing import MAX_NUMBERED_NAMES, ImageToFile, destination, failure_of

_NUMBERED = re.compile(r"^(.+)-([1-9][0-9]{0,3})$")  # a stem as `candidates` numbers it: `<stem>-<N>`, N >= 2


def name_families(items: Sequence[ImageToFile]) -> list[int]:
    """A family number per item: two items may take the same name (`a.jpg` and `a-2.jpg` are both names of stem
    `a`, `a-2.jpg` the first of stem `a-2`) only when they are of one family."""
    keys = [(folder, stem.lower(), extension) for folder, stem, extension in (target(item) for item in items)]
    first: dict[tuple[str, str, str], int] = {}
    parent = list(range(len(items)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for index, key in enumerate(keys):
        first.setdefault(key, index)
        parent[root(index)] = root(first[key])
    for index, (folder, stem, extension) in enumerate(keys):
        numbered = _NUMBERED.match(stem)
        if numbered and 2 <= int(numbered.group(2)) <= MAX_NUMBERED_NAMES:
            base = first.get((folder, numbered.group(1), extension))
            if base is not None:
                parent[root(index)] = root(base)
    return [root(index) for index in range(len(items))]


def target(item: ImageToFile) -> tuple[str, str, str]:
    """The folder, stem and extension an item is filed under."""
    return destination(item, failure_of(item)[0])


def candidates(stem: str, extension: str) -> Iterator[str]:
    """`stem.ext`, then `stem-2.ext` ... `stem-1000.ext`."""
    yield f"{stem}.{extension}"
    for number in range(2, MAX_NUMBERED_NAMES + 1):
        yield f"{stem}-{number}.{extension}"


def too_many(stem: str, extension: str) -> str:
    return f"{MAX_NUMBERED_NAMES} different files named {stem}-N.{extension} already in the Drive folder"
