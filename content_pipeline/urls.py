"""URL validation, normalization and the stable record id derived from them."""

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import idna

from content_pipeline.status import IngestStatus

FETCHABLE_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 8192
UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")  # RFC 3986 2.3
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


@dataclass(frozen=True)
class CheckedUrl:
    """A user-supplied URL after checking: `url` is normalized when `status` is ok, else the trimmed input."""

    url: str
    status: IngestStatus
    reason: str = ""


def check_url(raw: str | None) -> CheckedUrl:
    """Validate one user-supplied URL and normalize it when it is fetchable."""
    text = (raw or "").strip()
    if not text:
        return CheckedUrl("", IngestStatus.EMPTY_URL, "the url cell is empty")
    if len(text) > MAX_URL_LENGTH:
        return CheckedUrl(text[:200], IngestStatus.INVALID_URL, f"longer than {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return CheckedUrl(text, IngestStatus.INVALID_URL, "contains whitespace or control characters")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        return CheckedUrl(text, IngestStatus.INVALID_URL, f"cannot be parsed: {exc}")
    scheme = parts.scheme.lower()
    if not scheme or (scheme not in FETCHABLE_SCHEMES and not parts.netloc and "." in scheme):
        hint = f"; did you mean https://{text.lstrip('/')}?" if not text.startswith("/") else ""
        return CheckedUrl(text, IngestStatus.RELATIVE_URL, f"relative URL, no scheme or host{hint}")
    if scheme not in FETCHABLE_SCHEMES:
        return CheckedUrl(text, IngestStatus.UNSUPPORTED_SCHEME, f"scheme '{scheme}:' is not http or https")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return CheckedUrl(text, IngestStatus.INVALID_URL, "no host name")
    try:
        host = ascii_host(host)
    except UnicodeError:
        return CheckedUrl(text, IngestStatus.INVALID_URL, f"host name '{host}' is not valid")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if parts.username or parts.password:
        return CheckedUrl(text, IngestStatus.INVALID_URL, "URLs with credentials are not accepted")
    path = without_dot_segments(unreserved_decoded(parts.path)) or "/"
    query = unreserved_decoded(parts.query)
    return CheckedUrl(urlunsplit((scheme, netloc, path, query, "")), IngestStatus.OK)


def ascii_host(host: str) -> str:
    """The host name in lower-case ASCII: IDNA 2008 with UTS-46 mapping ("faß.de" -> "xn--fa-hia.de"), as yarl does.

    ASCII names are only checked (label lengths); a name IDNA 2008 refuses (emoji) falls back to IDNA 2003, as yarl
    does. Raises UnicodeError for a name neither accepts.
    """
    if host.isascii():
        return host.encode("idna").decode("ascii").lower()
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        return host.encode("idna").decode("ascii").lower()


def unreserved_decoded(component: str) -> str:
    """`component` with percent-encoded unreserved characters decoded ("%7E" -> "~"; RFC 3986 6.2.2.2)."""
    if "%" not in component:
        return component
    return _ESCAPE.sub(lambda m: ch if (ch := chr(int(m.group()[1:], 16))) in UNRESERVED else m.group(), component)


def without_dot_segments(path: str) -> str:
    """An absolute path with its "." and ".." segments resolved ("/a/b/../c" -> "/a/c"; RFC 3986 5.2.4)."""
    if "/." not in path:
        return path
    segments = path.split("/")
    kept: list[str] = []
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment in (".", ".."):
            if segment == ".." and len(kept) > 1:
                kept.pop()
            if last:
                kept.append("")
            continue
        kept.append(segment)
    return "/".join(kept)


def stable_id(*parts: str) -> str:
    """A short, stable hex id from the given parts (the same parts always give the same id).

    Never raises: a file name that is not valid UTF-8 (surrogate escapes) hashes its escapes as they are.
    """
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return digest[:16]
