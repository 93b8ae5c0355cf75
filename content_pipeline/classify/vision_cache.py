"""The AI cache of Gemini Vision answers: its own table in the AI cache file, keyed by model, prompt and bytes."""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from content_pipeline.classify.vision_answer import VISION_PROMPT_VERSION, VisionAnswer
from content_pipeline.sqlite_file import open_sqlite


def vision_key(model: str, image: bytes) -> str:
    """The AI cache key of one picture: provider, model, prompt version and a hash of the bytes."""
    payload = json.dumps(["gemini-vision", model, VISION_PROMPT_VERSION, hashlib.sha256(image).hexdigest()])
    return hashlib.sha256(payload.encode()).hexdigest()


class VisionCache:
    """Gemini Vision answers in the AI cache file (their own table), so a rerun does not pay for a picture twice."""

    SCHEMA = (
        "CREATE TABLE IF NOT EXISTS vision_answers (key TEXT PRIMARY KEY, model TEXT NOT NULL,"
        " prompt_version TEXT NOT NULL, answer TEXT NOT NULL, stored_at TEXT NOT NULL);"
    )

    def __init__(self, path: Path) -> None:
        self.db = open_sqlite(path, self.SCHEMA)

    def close(self) -> None:
        self.db.close()

    def lookup(self, keys: Sequence[str]) -> dict[str, VisionAnswer]:
        found: dict[str, VisionAnswer] = {}
        for key in dict.fromkeys(keys):
            row = self.db.execute("SELECT answer FROM vision_answers WHERE key = ?", (key,)).fetchone()
            if row:
                fields = json.loads(row[0])
                found[key] = VisionAnswer(**{**fields, "tags": tuple(fields.get("tags") or ()), "cached": True})
        return found

    def store(self, model: str, answers: Sequence[tuple[str, VisionAnswer]]) -> None:
        now = datetime.now(UTC).isoformat()
        rows = [
            (key, model, VISION_PROMPT_VERSION, json.dumps(asdict(answer) | {"cached": False}), now)
            for key, answer in answers
        ]
        if rows:
            self.db.executemany("INSERT OR REPLACE INTO vision_answers VALUES (?, ?, ?, ?, ?)", rows)
