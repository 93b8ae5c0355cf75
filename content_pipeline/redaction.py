"""Known secrets scrubbed out of text before it is cut, stored, logged or sent anywhere.

A whole secret is replaced, and so is any run of `FRAGMENT_CHARS` or more of its characters: a message cut in the
middle of a key, or a server that echoes only part of it, leaks no usable piece either.
"""

from collections.abc import Iterable

REDACTED = "[redacted]"
MIN_SECRET_CHARS = 8  # shorter values (flags like "1") are not secrets worth redacting and would mangle the text
FRAGMENT_CHARS = 12  # a piece of a secret at least this long counts as the secret


class Redactor:
    """Replaces every known secret, and every long enough piece of one, with `[redacted]`."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        kept = {s for s in secrets if s and len(s) >= MIN_SECRET_CHARS}
        self.secrets = sorted(kept, key=len, reverse=True)
        self.fragments = {s[i : i + FRAGMENT_CHARS] for s in kept for i in range(len(s) - FRAGMENT_CHARS + 1)}

    def __call__(self, text: str) -> str:
        if not self.secrets or not text:
            return text
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return self.redact_fragments(text) if self.fragments else text

    def cut(self, text: str, limit: int) -> str:
        """The text redacted first, then cut to `limit` characters (never the other way round)."""
        return self(text)[:limit]

    def redact_fragments(self, text: str) -> str:
        spans: list[list[int]] = []
        for start in range(len(text) - FRAGMENT_CHARS + 1):
            if text[start : start + FRAGMENT_CHARS] in self.fragments:
                end = start + FRAGMENT_CHARS
                if spans and start <= spans[-1][1]:
                    spans[-1][1] = end
                else:
                    spans.append([start, end])
        for start, end in reversed(spans):
            text = text[:start] + REDACTED + text[end:]
        return text
