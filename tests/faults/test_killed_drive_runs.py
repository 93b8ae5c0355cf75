"""A day from a Drive folder into Drive category folders (move mode), its run killed with SIGKILL in the middle of
fetch and then in the middle of filing, then the same command again, against the local Drive server.

What a user must find in Drive: every image exactly once, under its category, with its id (moved, never copied),
the source folder empty, nothing created twice; in the warehouse every image's row once; and no image downloaded
again that the killed run had downloaded whole. Everything runs through the real `content-pipeline` command, in its
own process, on a Dagster instance of its own.
"""

import io
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from PIL import Image

from content_pipeline.drive.links import file_id_of
from content_pipeline.drive.settings import DEFAULT_CONCURRENCY
from pipeline_defs.settings import PROJECT_ROOT
from tests.fakes.drive_server import FOLDER_TYPE, FakeDriveServer
from tests.fakes.sheets_server import SeenRequest, service_account_info
from tests.faults.test_killed_runs import kill, wait_for

DAY = "2026-11-30"
CREATED = f"{DAY}T08:00:00.000Z"
IMAGES = 40
COMMAND_TIMEOUT_S = 300  # a hang guard: each command takes seconds
SLOW_S = 0.08  # each download and each move waits this long, so a kill lands in the middle


def noise(seed: int) -> bytes:
    """A small distinct JPEG (no two alike)."""
    rng = random.Random(seed)
    image = Image.new("RGB", (48, 36))
    image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(48 * 36)])
    out = io.BytesIO()
    image.save(out, format="JPEG")
    return out.getvalue()


def slowed(server: FakeDriveServer, seconds: float) -> None:
    """Downloads and moves answered `seconds` late, outside the server's lock."""
    serve = server._serve

    def late(method: str, target: str, headers: dict[str, str], raw: bytes) -> Any:
        if "alt=media" in target or (method == "PATCH" and "addParents=" in target):
            time.sleep(seconds)
        return serve(method, target, headers, raw)

    server._serve = late  # type: ignore[method-assign]


class DriveDay:
    """A Drive folder of IMAGES images, a Drive folder to file them into, and a fresh home and instance."""

    def __init__(self, root: Path, server: FakeDriveServer) -> None:
        self.root, self.server = root, server
        self.source = server.add_folder("Camera uploads")
        self.filed = server.add_folder("Sorted")
        batches = [server.add_folder(f"batch-{n}", self.source) for n in range(2)]
        self.ids = {
            server.add_image(f"img-{n:03d}.jpg", batches[n % 2], noise(n), created=CREATED): noise(n)
            for n in range(IMAGES)
        }
        config = (PROJECT_ROOT / "dagster.yaml").read_text(encoding="utf-8")
        (root / "dagster.yaml").write_text(config.replace("base_dir: var/", f"base_dir: {root}/var/"))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CONTENT_PIPELINE_", "GEMINI_"))}
        self.env = env | {
            "DAGSTER_HOME": str(root),
            "CONTENT_PIPELINE_HOME": str(root / "home"),
            "CONTENT_PIPELINE_DRIVE_IMAGE_FOLDERS": self.source,
            "CONTENT_PIPELINE_DRIVE_IMAGES_MODE": "move",
            "CONTENT_PIPELINE_DRIVE_IMAGES_FOLDER": self.filed,
            "CONTENT_PIPELINE_DRIVE_ENDPOINT": server.base_url,
            "CONTENT_PIPELINE_DRIVE_BACKOFF_INITIAL_S": "0",
            "CONTENT_PIPELINE_SHEETS_CREDENTIALS_JSON": json.dumps(service_account_info(server)),
            "PYTHONPATH": str(PROJECT_ROOT),
        }

    def start(self) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "pipeline_defs.cli", "run", "--date", DAY]
        return subprocess.Popen(
            command, cwd=self.root, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def run(self) -> subprocess.CompletedProcess[str]:
        process = self.start()
        try:
            out, err = process.communicate(timeout=COMMAND_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            pytest.fail(f"content-pipeline run hung\n{err[-3000:]}")
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)

    def requests(self, wanted: Callable[[SeenRequest], bool]) -> list[str]:
        """The paths of the Drive requests answered so far that `wanted` picks."""
        with self.server._lock:
            seen = list(self.server.drive_requests)
        return [r.path for r in seen if wanted(r) and r.status == 200]

    def filed_tree(self) -> dict[str, list[str]]:
        """The ids of the files in each folder of the filing folder, by folder name."""
        return {
            folder.name: [f.id for f in self.server.children(folder.id) if f.mime_type != FOLDER_TYPE]
            for folder in self.server.children(self.filed)
        }

    def cached_files(self) -> set[str]:
        """The ids of the Drive files whose bytes the HTTP cache holds."""
        with sqlite3.connect(self.root / "home" / "cache" / "http.sqlite") as db:
            urls = [url for (url,) in db.execute("SELECT url FROM validators")]
        return {file_id for url in urls if (file_id := file_id_of(url))}

    def export(self) -> pl.DataFrame:
        return pl.read_parquet(self.root / "home" / "warehouse" / "export" / f"date={DAY}" / "part.parquet")


@pytest.fixture
def day(tmp_path: Path) -> Iterator[DriveDay]:
    with FakeDriveServer() as server:
        slowed(server, SLOW_S)
        yield DriveDay(tmp_path, server)


def downloads(request: SeenRequest) -> bool:
    return request.method == "GET" and request.param("alt") == "media"


def moves(request: SeenRequest) -> bool:
    return request.method == "PATCH" and bool(request.param("addParents"))


def kill_when(process: subprocess.Popen[str], condition: Callable[[], bool], what: str) -> None:
    wait_for(condition, what, process)
    kill(process)


def test_a_drive_day_killed_mid_fetch_and_mid_filing_ends_with_every_image_moved_once_and_none_downloaded_twice(
    day: DriveDay,
) -> None:
    first = day.start()
    kill_when(first, lambda: len(day.requests(downloads)) >= 12, "12 downloads")
    answered = len(day.requests(downloads))
    assert answered < IMAGES  # killed in the middle of fetch
    kept = day.cached_files()
    assert len(kept) >= answered - DEFAULT_CONCURRENCY  # each download kept as it finished: lost, those in flight

    second = day.start()
    kill_when(second, lambda: len(day.requests(moves)) >= 10, "10 moves into Drive")
    assert len(day.requests(moves)) < IMAGES  # killed in the middle of filing

    third = day.run()
    assert third.returncode == 0, third.stderr[-3000:]

    all_downloads = day.requests(downloads)
    assert sorted(set(all_downloads)) == sorted(f"/drive/v3/files/{i}" for i in day.ids)
    again = all_downloads[answered:]
    assert not {f"/drive/v3/files/{i}" for i in kept} & set(again)  # what the cache kept is never downloaded again
    assert len(all_downloads) - IMAGES <= DEFAULT_CONCURRENCY  # downloaded twice: only those the kill cut short
    filed = day.filed_tree()
    placed = [file_id for ids in filed.values() for file_id in ids]
    images = [file_id for file_id in placed if file_id in day.ids]
    assert sorted(images) == sorted(day.ids)  # every image once, moved with its id: nothing copied
    assert len(placed) == IMAGES + len(filed.get("failures", [])) // 2  # besides them only failures' reason texts
    assert all(day.server.files[i].data == data for i, data in day.ids.items())
    in_source = [f for f in day.server.files.values() if f.id in day.ids and day.source in f.parents]
    assert in_source == []
    records = day.export()
    assert len(records) == IMAGES and records["record_id"].n_unique() == IMAGES
    assert set(records["filed_status"].to_list()) <= {"filed", "failed"}
    assert records.filter(pl.col("filed_status") == "filed").height > IMAGES // 2
