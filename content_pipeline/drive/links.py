"""The Drive link of a file, as ingest keeps it on a row (`url`), and the file id back from such a link."""

import re

FILE_LINK = "https://drive.google.com/file/d/{}/view"
_FILE_LINK = re.compile(r"^https://drive\.google\.com/file/d/([A-Za-z0-9_-]+)/view")


def file_link(file_id: str) -> str:
    return FILE_LINK.format(file_id)


def file_id_of(url: str | None) -> str | None:
    """The file id of a Drive file link; None for any other URL."""
    match = _FILE_LINK.match(url or "")
    return match.group(1) if match else None
