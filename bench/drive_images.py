"""A day of N images from a Google Drive folder filed into Drive, against the same images from a local folder.

    uv run python bench/drive_images.py [--images 1000 --images 5000] [--per-folder 500] [--workdir DIR] [--keep]
                                        [--latency-ms 0] [--drive-concurrency 4]

For each N (default 1000, then 5000), N distinct small JPEGs (64x48, random noise of their own seed; a quarter of
them grey) are written once into sub-folders of at most --per-folder images, then the real
`content-pipeline run --date DAY` runs in a child process (bench/e2e.py's `run_pipeline`, a fresh home and Dagster
instance each) three times:
  1. baseline: the folder as CONTENT_PIPELINE_IMAGE_FOLDERS (each file's mtime on the day), filed on disk (copy);
  2. Drive: the same images in a Drive folder tree served by tests/fakes/drive_server.py in a process of its own
     (bench/drive_server_process.py: the same sub-folders, `createdTime` on the day, a service account that must
     sign in), read through CONTENT_PIPELINE_DRIVE_IMAGE_FOLDERS and filed into another Drive folder
     (CONTENT_PIPELINE_DRIVE_IMAGES_MODE=file, CONTENT_PIPELINE_DRIVE_ENDPOINT at the local server);
  3. the Drive day again, on the same home: it must download nothing (`alt=media`) and create no file.
Printed per run: the command's wall, each stage's wall (from the run's event log), the peak RSS of the run's process
tree (sampled every 0.2 s, classify's workers included) and of its largest process, the Drive requests by kind
(counted by the server) and the day's filed_images statuses. Then, per N, Drive / baseline for the wall and the peak,
and the peak at the largest N over the peak at the smallest (memory must stay flat as a day grows). The default run
takes ~100 s on this machine (2 cores); `--images 1000 --images 10000` ~150 s.

Measured on this machine (2 cores shared with other work, 2026-12-03; images of 2.8 KiB on average, 500 a folder):
  - 1,000 and 10,000 images: local 6.9 and 20.9 s, Drive 9.3 and 49.5 s (1.36x and 2.37x). At 10,000 the Drive
    run's fetch took 24.0 s (local 2.6) and its filing 13.7 s (local 8.2): 3 requests an image (files.get and
    alt=media in fetch, files.copy in filing, four images at once), 30,115 requests in all, and the Drive server's
    own process spent 8.3 s of CPU answering them. On loopback a request costs ~5 ms; against Google's servers each
    one costs its network latency on top.
  - Peak RSS of the run's process tree (at classify, with its two workers): 665-688 MiB local, 667-684 MiB Drive
    (Drive / local 0.99-1.00), and 1.03x from 1,000 to 10,000 images for both. The largest process (the run's own)
    grows a little with the day in both: local 357 -> 376 MiB, Drive 356 -> 395 MiB (1.05x and 1.11x), while export
    and export_files run.
  - The rerun of the Drive day downloaded nothing (0 alt=media) and created no file, at every size; it asks
    files.get once an image (fetch compares the checksum and modifiedTime; filing finds the images in its folders'
    listings), so it takes 0.58-0.60 of the first run's wall (29.5 s at 10,000 images, 11.5 s of it the server's
    CPU: the local server's files.list reads all its files for each page).
  - Drive a network away (`--latency-ms 20`: every answer 20 ms late), 1,000 images: with
    CONTENT_PIPELINE_DRIVE_CONCURRENCY=1 (`--drive-concurrency 1`) the Drive run took 71.7 s (fetch 43.6, filing
    22.2) and its rerun 26.7 s; with the default 4, 22.4 s (fetch 11.0, filing 5.9) and 9.9 s (3.2x and 2.7x). The
    local folder took 6.5-7.0 s.
  - Before the fix in `content_pipeline/fetch/drive_files.py` (one pool of download threads per step), each chunk of
    250 Drive images started new threads that each kept an HTTP-cache connection: the fourth chunk waited 30 s for one
    of the pool's 15 and failed the fetch step, Dagster retried it, and a day of 1,000 images took 48.8 s, not 10.4.
"""

from __future__ import annotations

import argparse
import calendar
import io
import json
import os
import random
import shutil
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from e2e import (  # bench/ is on sys.path
    DAY,
    MIB,
    ChildServer,
    RunFigures,
    child_env,
    read_run_log,
    run_pipeline,
    say,
    tail,
)

SERVER_SCRIPT = Path(__file__).resolve().with_name("drive_server_process.py")
CREATED = f"{DAY}T09:30:00.000Z"  # every image's createdTime in Drive, and its mtime on disk
SIZES = (1000, 5000)
SHOWN = ("ingest", "fetch", "classify", "filed_images", "export", "export_files")
WIDTH, HEIGHT = 64, 48


@dataclass
class Run:
    label: str
    figures: RunFigures
    stages: dict[str, float | None]
    stage_peaks: dict[str, float]  # MiB: the process tree's peak RSS while each stage ran
    filed: dict[str, int]
    drive: Counter[str] = field(default_factory=Counter)
    files_created: int = 0
    refused: int = 0  # Drive requests the server answered with an error
    server_cpu_s: float = 0.0  # CPU the Drive server's process spent during the run

    @property
    def peak_mib(self) -> float:
        return self.figures.sampler.peak() / MIB

    @property
    def single_mib(self) -> float:
        return self.figures.sampler.peak_single / MIB


# ---------------------------------------------------------------------------------------------------------------
# The images and the Drive server


def image(i: int) -> bytes:
    """Image i: random noise seeded by i (every image distinct), grey for one in four."""
    from PIL import Image

    rng = random.Random(f"drive-bench-{i}")
    if i % 4 == 3:
        picture = Image.frombytes("L", (WIDTH, HEIGHT), rng.randbytes(WIDTH * HEIGHT)).convert("RGB")
    else:
        picture = Image.frombytes("RGB", (WIDTH, HEIGHT), rng.randbytes(WIDTH * HEIGHT * 3))
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=85)
    return out.getvalue()


def write_images(folder: Path, count: int, per_folder: int) -> int:
    """N images in sub-folders `batch-01`... of at most `per_folder`, each modified on the day; their total bytes."""
    if (folder / "done").is_file() and (folder / "done").read_text() == f"{count} {per_folder}":
        return sum(p.stat().st_size for p in folder.rglob("*.jpg"))
    shutil.rmtree(folder, ignore_errors=True)
    on_day = calendar.timegm((int(DAY[:4]), int(DAY[5:7]), int(DAY[8:10]), 9, 30, 0))
    total = 0
    for i in range(count):
        sub = folder / f"batch-{i // per_folder + 1:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        path = sub / f"img-{i:06d}.jpg"
        data = image(i)
        path.write_bytes(data)
        os.utime(path, (on_day, on_day))
        total += len(data)
    (folder / "done").write_text(f"{count} {per_folder}")
    return total


class DriveServer(ChildServer):
    """bench/drive_server_process.py in its own process; asked what it was asked."""

    def __init__(self, images: Path, latency_ms: float = 0.0) -> None:
        command = [sys.executable, str(SERVER_SCRIPT), "--images", str(images), "--created", CREATED]
        super().__init__([*command, "--latency-ms", str(latency_ms)], "Drive server")
        self.port: int = self.ready["port"]
        self.source: str = self.ready["source"]
        self.filed: str = self.ready["filed"]
        self.images: int = self.ready["images"]
        self.credentials: dict[str, Any] = self.ready["credentials"]


# ---------------------------------------------------------------------------------------------------------------
# The runs


def fresh(workdir: Path, label: str) -> tuple[Path, Path, Path]:
    """An empty home, Dagster instance and log folder for one configuration."""
    home, dagster_home, logs = (workdir / label / name for name in ("home", "dagster", "logs"))
    for folder in (home, dagster_home, logs):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\nnux:\n  enabled: false\n")
    return home, dagster_home, logs


def filed_statuses(home: Path) -> dict[str, int]:
    from content_pipeline.warehouse.partition_store import PartitionStore

    try:
        rows = PartitionStore(home / "warehouse").read("filed_images", DAY)
    except Exception as exc:  # no partition: the run failed before filing
        return {f"unreadable ({type(exc).__name__})": 0}
    return dict(Counter(rows["status"].to_list()).most_common())


def one_run(label: str, env: dict[str, str], home: Path, dagster_home: Path, logs: Path) -> Run:
    figures = run_pipeline(env, logs, label.replace(",", "").replace(" ", "-"))
    if figures.exit_code != 0:
        raise SystemExit(f"{label}: the run exited {figures.exit_code}; the end of {figures.log}:\n{tail(figures.log)}")
    log = read_run_log(dagster_home)
    walls = {name: log.stages[name].wall_s for name in SHOWN}
    peaks = {
        name: figures.sampler.peak(stage.start, stage.end) / MIB
        for name, stage in log.stages.items()
        if name in SHOWN and stage.start and stage.end
    }  # a stage shorter than the sampler's 0.2 s may have no sample: left out
    peaks = {name: mib for name, mib in peaks.items() if mib > 0}
    return Run(label, figures, walls, peaks, filed_statuses(home))


def baseline(workdir: Path, images: Path, count: int) -> Run:
    home, dagster_home, logs = fresh(workdir, f"local-{count}")
    env = child_env(home, dagster_home, 1, 4) | {"CONTENT_PIPELINE_IMAGE_FOLDERS": str(images)}
    del env["CONTENT_PIPELINE_FETCH_ALLOW_PRIVATE"]  # no host to allow: the images are read from disk
    return one_run(f"local folder, {count} images", env, home, dagster_home, logs)


def drive_runs(
    workdir: Path, images: Path, count: int, latency_ms: float = 0.0, concurrency: int = 4
) -> tuple[Run, Run, dict[str, Any]]:
    server = DriveServer(images, latency_ms)
    try:
        if server.images != count:
            raise SystemExit(f"the Drive server holds {server.images} images, not {count}")
        home, dagster_home, logs = fresh(workdir, f"drive-{count}")
        env = child_env(home, dagster_home, server.port, 4) | {
            "CONTENT_PIPELINE_DRIVE_IMAGE_FOLDERS": server.source,
            "CONTENT_PIPELINE_DRIVE_IMAGES_MODE": "file",
            "CONTENT_PIPELINE_DRIVE_IMAGES_FOLDER": server.filed,
            "CONTENT_PIPELINE_DRIVE_ENDPOINT": f"http://127.0.0.1:{server.port}",
            "CONTENT_PIPELINE_SHEETS_CREDENTIALS_JSON": json.dumps(server.credentials),
            "CONTENT_PIPELINE_DRIVE_CONCURRENCY": str(concurrency),
        }
        runs = []
        for label in (f"Drive, {count} images", f"Drive rerun, {count} images"):
            before = server.stats()
            run = one_run(label, env, home, dagster_home, logs)
            after = server.stats()
            run.drive = Counter(after["requests"]) - Counter(before["requests"])
            run.files_created = after["files"] - before["files"]
            run.refused = after["refused"] - before["refused"]
            run.server_cpu_s = after["cpu_s"] - before["cpu_s"]
            runs.append(run)
        return runs[0], runs[1], server.stats()
    finally:
        server.close()


# ---------------------------------------------------------------------------------------------------------------
# The report


def show(run: Run) -> None:
    stages = ", ".join(f"{name} {wall:.1f}" for name, wall in run.stages.items() if wall is not None)
    say(f"{run.label}: wall {run.figures.wall_s:.1f} s (stages, s: {stages})")
    say(
        f"  peak RSS: process tree {run.peak_mib:.0f} MiB, largest process {run.single_mib:.0f} MiB; "
        f"filed_images: {', '.join(f'{status} {n}' for status, n in run.filed.items())}"
    )
    say(f"  peak RSS of the tree by stage, MiB: {', '.join(f'{n} {mib:.0f}' for n, mib in run.stage_peaks.items())}")
    if run.drive:
        asked = ", ".join(f"{kind} {n}" for kind, n in sorted(run.drive.items(), key=lambda kv: -kv[1]))
        say(
            f"  Drive requests: {sum(run.drive.values())} ({asked}), {run.refused} refused; files created in Drive: "
            f"{run.files_created}; the Drive server's CPU {run.server_cpu_s:.1f} s"
        )


def ratio_lines(results: dict[int, tuple[Run, Run, Run]]) -> None:
    say("")
    for count, (local, drive, rerun) in results.items():
        say(
            f"{count} images: Drive / local wall {drive.figures.wall_s / local.figures.wall_s:.2f}, peak RSS (tree) "
            f"{drive.peak_mib / local.peak_mib:.2f}, largest process {drive.single_mib / local.single_mib:.2f}; "
            f"rerun {rerun.figures.wall_s / drive.figures.wall_s:.2f} of the Drive run's wall, "
            f"{rerun.drive['alt=media']} downloads (alt=media), {rerun.files_created} files created "
            f"(target 0 and 0: {'PASS' if rerun.drive['alt=media'] == 0 and rerun.files_created == 0 else 'FAIL'})"
        )
    if len(results) < 2:
        return
    small, large = min(results), max(results)
    for index, name in ((0, "local folder"), (1, "Drive")):
        low, high = results[small][index], results[large][index]
        say(
            f"{name}: peak at {large} / peak at {small} images: process tree {high.peak_mib / low.peak_mib:.2f}, "
            f"largest process {high.single_mib / low.single_mib:.2f}"
        )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--images", type=int, action="append", help="images in the day, N (repeatable; default 1000 and 5000)"
    )
    parser.add_argument("--per-folder", type=int, default=500, help="images per Drive sub-folder (default 500)")
    parser.add_argument("--workdir", type=Path, default=None, help="work folder (images kept for the next run)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="the Drive server answers this late (default 0)")
    parser.add_argument(
        "--drive-concurrency", type=int, default=4, help="CONTENT_PIPELINE_DRIVE_CONCURRENCY of the Drive runs"
    )
    args = parser.parse_args()
    args.images = sorted(set(args.images or SIZES))
    if min(args.images) < 1 or args.per_folder < 1:
        parser.error("--images and --per-folder must be at least 1")
    return args


def main() -> None:
    args = parse_args()
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="content-pipeline-drive-bench-"))).resolve()
    say(f"day {DAY}, images {args.images}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    results: dict[int, tuple[Run, Run, Run]] = {}
    try:
        for count in args.images:
            images = workdir / f"images-{count}"
            total = write_images(images, count, args.per_folder)
            say("")
            say(f"{count} images of {total / count / 1024:.1f} KiB on average in {images}")
            local = baseline(workdir, images, count)
            show(local)
            drive, rerun, server = drive_runs(workdir, images, count, args.latency_ms, args.drive_concurrency)
            show(drive)
            show(rerun)
            say(f"  the Drive server (its own process, not counted above): peak RSS {server['peak_rss_mib']:.0f} MiB")
            results[count] = (local, drive, rerun)
        ratio_lines(results)
    finally:
        if args.keep:
            say(f"kept {workdir}")
        elif args.workdir:
            for count in args.images:
                for label in (f"local-{count}", f"drive-{count}"):
                    shutil.rmtree(workdir / label, ignore_errors=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
