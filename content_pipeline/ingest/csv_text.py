"""An inbox file's bytes as text and physical lines (a line ends at `\\r\\n`, `\\r` or `\\n`, as for `csv`)."""

import codecs
import re

from content_pipeline.ingest.inbox_files import InboxFileError

MAX_INBOX_LINES = 1_000_000  # a file with more lines is one bad_file row: split it
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def decode_csv(name: str, data: bytes) -> str:
    """The file's text: UTF-8 with or without a BOM; anything else raises InboxFileError naming byte and line."""
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = str(memoryview(data)[bom:], "utf-8")
    except UnicodeDecodeError as exc:
        offset = bom + exc.start
        line = data.count(b"\n", 0, offset) + data.count(b"\r", 0, offset) - data.count(b"\r\n", 0, offset) + 1
        raise InboxFileError(
            f"{name}: not valid UTF-8 (byte 0x{data[offset]:02x} at offset {offset}, line {line}); "
            "save it as UTF-8 (with or without BOM) and drop it again"
        ) from exc
    if not text.strip():
        raise InboxFileError(f"{name}: the file is empty")
    return text


def line_count(text: str) -> int:
    """How many physical lines the text has (a last line without a line break counts)."""
    breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
    return breaks + (0 if text.endswith(("\n", "\r")) else 1)


def split_lines(name: str, text: str) -> list[str]:
    """The physical lines, each with its line break; more than MAX_INBOX_LINES raises InboxFileError."""
    count = line_count(text)
    if count > MAX_INBOX_LINES:
        raise InboxFileError(
            f"{name}: {count:,} lines, more than the {MAX_INBOX_LINES:,} an inbox file may have; "
            "not read (split it into smaller files)"
        )
    return _LINE.findall(text)
