"""File names as any column, report or log line can hold them, whatever bytes the file system gave us.

A name that is not valid UTF-8 reaches Python with surrogate escapes (`os.fsdecode`); polars, parquet and JSON
cannot store those, and a name can also hold control characters that would forge a new line in a log. Rows name
files through `display_name` only; the real name stays in the `Path` used to open the file.
"""

import re

_UNSAFE_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def is_utf8_name(name: str) -> bool:
    """Whether a name from the file system is valid UTF-8 (one that is not carries surrogate escapes)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def display_name(name: str) -> str:
    r"""The name with bytes that are not UTF-8 and control characters written as `\xNN` (`\uNNNN`)."""
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that no file system byte maps to
        raw = name.encode("utf-8", "backslashreplace")
    text = raw.decode("utf-8", "backslashreplace")
    return _UNSAFE_CHARS.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
