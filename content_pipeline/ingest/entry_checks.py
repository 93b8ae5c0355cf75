"""What a file system entry is, and where a link leads, told in words a person reads (never a link's target)."""

import errno
import os
import stat
from datetime import UTC, date, datetime
from pathlib import Path

LINK_LOOP = "a link that loops back on itself; not followed"


class EntryRefusedError(Exception):
    """Why an entry is not read: a reason without the entry's name (the row names it)."""


def kind_of(mode: int) -> str:
    """What an entry is, in words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISLNK(mode):
        return "a link"
    return "a regular file" if stat.S_ISREG(mode) else "not a regular file"


def utc_day(timestamp: float) -> date:
    """The UTC day of a modification time; one out of datetime's range (a hostile `touch`) is the first or last day."""
    try:
        return datetime.fromtimestamp(timestamp, tz=UTC).date()
    except (OverflowError, OSError, ValueError):
        return date.max if timestamp > 0 else date.min


def followed_link(root: Path, path: Path, place: str) -> tuple[Path, os.stat_result]:
    """Where the link `path` leads and that target's stat, when it is inside `root` (the `place` it was found in).

    Raises EntryRefusedError for a link out of `root`, a link to nothing and a link loop; the reason never names
    the target.
    """
    try:
        target = path.resolve(strict=True)
        if not target.is_relative_to(root):
            raise EntryRefusedError(
                f"a link that leads out of the {place}; not followed (put a copy of the file there instead)"
            )
        return target, os.stat(target)
    except FileNotFoundError:
        raise EntryRefusedError("a link to nothing (its target does not exist); not followed") from None
    except RuntimeError:  # Python 3.11 reports a link loop this way (3.13 raises OSError ELOOP)
        raise EntryRefusedError(LINK_LOOP) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise EntryRefusedError(LINK_LOOP) from None
        raise EntryRefusedError(f"a link that cannot be followed ({exc.strerror or 'error'}); not followed") from None
