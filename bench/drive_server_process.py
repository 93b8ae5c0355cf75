"""The Google Drive of bench/drive_images.py: the tests' local Drive v3 server in a process of its own.

    python bench/drive_server_process.py --images DIR --created 2026-06-01T09:30:00.000Z [--latency-ms 0]

It starts tests/fakes/drive_server.py's FakeDriveServer (with its OAuth token endpoint; the service account's key is
registered, so every request needs a token it issued) unchanged, and adds, before serving:
  - a shared folder "Camera uploads" with one sub-folder per sub-folder of DIR, holding DIR's images (`*.jpg`), each
    reported with `createdTime` = --created (the day's images, as the image source reads them);
  - a shared, empty folder "Filed images" for filing;
  - with --latency-ms, a wait before every answer (Google's servers are a network round trip away, not loopback).
The server's memory holds every image's bytes (the fake keeps files in memory), as Drive holds them.

Protocol with the parent, one JSON line each way:
  - on start, stdout: {"port", "source": folder id, "filed": folder id, "images": n, "credentials": the key JSON}
  - stdin "stats": stdout {"requests": {kind: n}, "refused": n, "files": files held, "cpu_s", "peak_rss_mib"}, the
    Drive requests counted by kind since the start (`files.list`, `files.get`, `alt=media`, `files.copy`,
    `files.create`, `upload`, `files.update`, `files.delete`, `upload chunk`), the token requests under `token`;
  - stdin "quit" or EOF: the server stops.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))  # the fake lives in the tests package

from tests.fakes.drive_server import FakeDriveServer  # noqa: E402
from tests.fakes.sheets_server import SeenRequest, service_account_info  # noqa: E402


def kind_of(request: SeenRequest) -> str:
    """What a Drive request did, in the words of the API."""
    rest = request.path.removeprefix("/upload").removeprefix("/drive/v3/files").strip("/")
    if request.path.startswith("/upload/"):
        return "upload chunk" if request.method == "PUT" else "upload"
    if request.method == "GET":
        return "files.list" if not rest else "alt=media" if request.param("alt") == "media" else "files.get"
    if request.method == "POST":
        return "files.copy" if rest.endswith("/copy") else "files.create"
    return {"PATCH": "files.update", "DELETE": "files.delete"}.get(request.method, request.method)


def stats(server: FakeDriveServer) -> dict[str, Any]:
    with server._lock:  # the handler threads append while we count
        drive = list(server.drive_requests)
        tokens = sum(1 for r in server.requests if r.kind == "token")
        files = len(server.files)
    counted = Counter(kind_of(r) for r in drive)
    counted["token"] = tokens
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "requests": dict(counted),
        "refused": sum(1 for r in drive if r.status >= 400),
        "files": files,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mib": usage.ru_maxrss / 1024,
    }


def fill(server: FakeDriveServer, images: Path, created: str) -> tuple[str, str, int]:
    """The source folder (DIR's sub-folders and images) and the filing folder; their ids and the image count."""
    source = server.add_folder("Camera uploads")
    count = 0
    for sub in sorted(p for p in images.iterdir() if p.is_dir()):
        folder = server.add_folder(sub.name, source)
        for image in sorted(sub.glob("*.jpg")):
            server.add_image(image.name, folder, image.read_bytes(), "image/jpeg", created)
            count += 1
    return source, server.add_folder("Filed images"), count


def delay(server: FakeDriveServer, seconds: float) -> None:
    """Answer every request `seconds` late, outside the server's lock: requests in flight wait side by side, as they
    do for a network's round trip."""
    serve = server._serve

    def late(*args: Any) -> Any:
        time.sleep(seconds)
        return serve(*args)

    server._serve = late  # type: ignore[method-assign,assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=Path, required=True, help="a folder of sub-folders of .jpg images")
    parser.add_argument("--created", required=True, help="the createdTime of every image (RFC 3339, Z)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="a wait before each answer (a network's)")
    args = parser.parse_args()
    with FakeDriveServer() as server:
        if args.latency_ms > 0:
            delay(server, args.latency_ms / 1000)
        credentials = service_account_info(server)
        source, filed, count = fill(server, args.images, args.created)
        ready = {"port": server.port, "source": source, "filed": filed, "images": count, "credentials": credentials}
        print(json.dumps(ready), flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "stats":
                print(json.dumps(stats(server)), flush=True)
            elif command == "quit":
                break


if __name__ == "__main__":
    main()
