"""A run killed with SIGKILL in the middle of fetch, classify or categorize, then the same command again.

What a user must find: the next command does not hang on the dead run (it says in one line that the run died, marks
it failed and frees its pool slots), the day then goes on where it stopped, every input row comes out exactly once,
finished fetches are not requested again and no AI answer the killed run received is paid for twice. A run waiting
for a pool slot says what it waits for, and SIGTERM or Ctrl-C end it at once. Everything runs through the real
`content-pipeline` command, in its own process, on a Dagster instance of its own.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from dagster._core.events import DagsterEventType

from content_pipeline.categorize.taxonomy import load_taxonomy
from pipeline_defs.settings import PROJECT_ROOT
from tests.fakes.gemini_server import FakeGeminiServer, Reply, Request, answer

DAY = "2026-11-30"
OTHER_DAY = "2026-11-29"
PAGES = 60
COMMAND_TIMEOUT_S = 300  # a hang guard: every command here takes seconds, a hang would take forever
WAIT_S = 120  # the longest a test waits for a run to reach the point where it is killed
TOPICS = ["harbour", "orchard", "glacier", "violin", "lantern", "meadow", "canyon", "falcon", "quarry", "willow"]


def article(n: int) -> bytes:
    """A page with enough unique words for classify to keep and categorize to ask about (no two pages alike)."""
    words = [f"{TOPICS[(n + i) % len(TOPICS)]}{(n * 7 + i) % 97}" for i in range(220)]
    paragraphs = "".join(f"<p>{' '.join(words[i : i + 22])}.</p>" for i in range(0, len(words), 22))
    return (
        f"<html><head><title>Story {n} of the day</title></head><body><article><h1>Story {n}</h1>{paragraphs}"
        "</article></body></html>"
    ).encode()


class Origin(ThreadingHTTPServer):
    """Article pages on 127.0.0.1, each answered `delay_s` after it is asked for; every request is recorded."""

    daemon_threads = True
    request_queue_size = 64

    def __init__(self, delay_s: float) -> None:
        super().__init__(("127.0.0.1", 0), OriginHandler)
        self.delay_s = delay_s
        self.lock = threading.Lock()
        self.served: list[str] = []  # paths answered in full, in order

    def answered(self) -> list[str]:
        with self.lock:
            return list(self.served)

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a killed client hangs up mid-answer on purpose


class OriginHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Origin

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            self.answer(404, b"")
            return
        time.sleep(self.server.delay_s)
        self.answer(200, article(int(self.path.rsplit("/", 1)[-1])))
        with self.server.lock:
            self.server.served.append(self.path)

    def answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@dataclass
class Project:
    """A fresh content-pipeline home and Dagster instance, the environment that points the command at them."""

    root: Path
    origin: Origin
    env: dict[str, str] = field(default_factory=dict)

    @property
    def home(self) -> Path:
        return self.root / "home"

    def instance(self) -> dg.DagsterInstance:
        return dg.DagsterInstance.from_config(str(self.root))

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "pipeline_defs.cli", *args],
            cwd=self.root,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        process = self.start(*args)
        try:
            out, err = process.communicate(timeout=COMMAND_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            pytest.fail(f"content-pipeline {' '.join(args)} hung\n{err[-3000:]}")
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)

    def export(self, day: str) -> pl.DataFrame:
        return pl.read_parquet(self.home / "warehouse" / "export" / f"date={day}" / "part.parquet")


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    """A day of PAGES article URLs in the inbox of a fresh home, and an instance whose files live under tmp_path."""
    origin = Origin(delay_s=0.0)
    threading.Thread(target=origin.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    config = (PROJECT_ROOT / "dagster.yaml").read_text(encoding="utf-8")
    (tmp_path / "dagster.yaml").write_text(config.replace("base_dir: var/", f"base_dir: {tmp_path}/var/"))
    inbox = tmp_path / "home" / "inbox"
    inbox.mkdir(parents=True)
    urls = "".join(f"http://127.0.0.1:{origin.server_port}/story/{n}\n" for n in range(PAGES))
    (inbox / f"links-{DAY}.csv").write_text("url\n" + urls, encoding="utf-8")
    env = {name: value for name, value in os.environ.items() if not name.startswith(("CONTENT_PIPELINE_", "GEMINI_"))}
    env |= {
        "DAGSTER_HOME": str(tmp_path),
        "CONTENT_PIPELINE_HOME": str(tmp_path / "home"),
        "CONTENT_PIPELINE_FETCH_ALLOW_PRIVATE": f"127.0.0.1:{origin.server_port}",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    yield Project(tmp_path, origin, env)
    origin.shutdown()
    origin.server_close()


def wait_for(condition: Callable[[], bool], what: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the run ended before {what}:\n{process.communicate()[1][-3000:]}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"no {what} within {WAIT_S} s")
        time.sleep(0.05)


def step_started(project: Project, step: str) -> Callable[[], bool]:
    def started() -> bool:
        with project.instance() as instance:
            for run in instance.get_runs():
                records = instance.get_records_for_run(run.run_id, of_type=DagsterEventType.STEP_START).records
                if any(record.event_log_entry.step_key == step for record in records):
                    return True
        return False

    return started


def kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()


def assert_every_row_once(project: Project, statuses: set[str]) -> pl.DataFrame:
    records = project.export(DAY)
    assert len(records) == PAGES and records["record_id"].n_unique() == PAGES
    assert sorted(records["url"].to_list()) == sorted(
        f"http://127.0.0.1:{project.origin.server_port}/story/{n}" for n in range(PAGES)
    )
    assert set(records["status"].to_list()) == statuses, records.filter(pl.col("status") != "ok").head(3)
    return records


def journaled_urls(project: Project, day: str) -> set[str]:
    """The fetches the HTTP cache's journal holds for `day` (what a killed run had finished)."""
    with sqlite3.connect(project.home / "cache" / "http.sqlite") as db:
        return {url for (url,) in db.execute("SELECT url FROM journal WHERE partition = ?", (day,))}


def test_a_run_killed_mid_fetch_is_noticed_by_the_next_run_which_goes_on_and_the_day_then_finishes(
    project: Project,
) -> None:
    project.origin.delay_s = 0.3  # about 4 pages a second at the fetcher's default politeness
    first = project.start("run", "--date", DAY)
    wait_for(lambda: len(project.origin.answered()) >= 15, "15 pages fetched", first)
    kill(first)
    finished = journaled_urls(project, DAY)
    assert finished, "the journal keeps the fetches a killed run finished"
    asked_before = len(project.origin.answered())

    other = project.run("run", "--date", OTHER_DAY)  # any day: it must not wait for the dead run's pool slot
    assert other.returncode == 0, other.stderr[-3000:]
    assert f"(pipeline_job, {DAY}) died during fetch" in other.stderr
    assert "marked it failed and freed its pool slots" in other.stderr

    again = project.run("run", "--date", DAY)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"going on with {DAY} from fetch" in again.stderr and "ingest is kept" in again.stderr
    asked_again = set(project.origin.answered()[asked_before:])
    origin = f"http://127.0.0.1:{project.origin.server_port}"
    assert asked_again.isdisjoint(url.removeprefix(origin) for url in finished)  # finished fetches are not repeated
    records = assert_every_row_once(project, {"ok"})
    assert (records["fetch_cache"] == "journal").sum() == len(finished)
    with project.instance() as instance:
        [dead] = [run for run in instance.get_runs() if "content_pipeline/died" in run.tags]
        assert dead.status == dg.DagsterRunStatus.FAILURE
        assert instance.event_log_storage.get_concurrency_info("outbound_http").claimed_slots == []


def staged_chunks(project: Project, stage: str, day: str) -> int:
    """Chunks of `stage` an unfinished run of `day` has stored so far."""
    return len(list((project.home / "warehouse" / ".staging" / stage / f"date={day}").glob("chunk-*.parquet")))


def materialization_metadata(project: Project, stage: str) -> dict[str, object]:
    with project.instance() as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey(stage))
        assert event is not None and event.asset_materialization is not None
        return {key: value.value for key, value in event.asset_materialization.metadata.items()}


def test_a_run_killed_mid_classify_goes_on_from_the_chunks_it_had_not_finished_with_the_same_result(
    project: Project,
) -> None:
    project.env["CONTENT_PIPELINE_CHUNK_ROWS"] = "5"  # 12 chunks of classify
    first = project.start("run", "--date", DAY)
    wait_for(lambda: staged_chunks(project, "classify", DAY) >= 2, "2 chunks of classify stored", first)
    kill(first)
    kept = staged_chunks(project, "classify", DAY)
    fetched = len(project.origin.answered())
    assert fetched == PAGES  # fetch had finished

    again = project.run("run", "--date", DAY)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "died during classify" in again.stderr
    assert f"going on with {DAY} from classify" in again.stderr and "ingest, fetch are kept" in again.stderr
    assert len(project.origin.answered()) == fetched  # nothing fetched twice
    assert_every_row_once(project, {"ok"})
    resumed = materialization_metadata(project, "classify")
    assert resumed["chunks"] == 12 and resumed["chunks_kept"] == kept >= 2

    (project.home / "warehouse" / "classify" / f"date={DAY}" / "part.parquet").unlink()  # nothing to keep
    whole = project.run("run", "--date", DAY, "--from-start")  # the day again, from the start, uninterrupted
    assert whole.returncode == 0, whole.stderr[-3000:]
    uninterrupted = materialization_metadata(project, "classify")
    assert uninterrupted["chunks_kept"] == 0 and uninterrupted["unchanged_input"] is False
    assert uninterrupted["content_version"] == resumed["content_version"]


@pytest.fixture
def gemini() -> Iterator[FakeGeminiServer]:
    category = load_taxonomy().names[0]

    def slow_answer(request: Request) -> Reply:
        time.sleep(0.15)
        return answer({"category": category, "tags": ["story"], "summary": "A story.", "entities": []})

    with FakeGeminiServer() as server:
        server.responder = slow_answer
        yield server


def asked_urls(requests: list[Request]) -> list[str]:
    return [
        line.removeprefix("URL: ") for r in requests for line in r.user_text.splitlines() if line.startswith("URL:")
    ]


def test_a_run_killed_mid_categorize_never_pays_twice_for_an_answer_it_received(
    project: Project, gemini: FakeGeminiServer
) -> None:
    project.env |= {"GEMINI_API_KEY": "test-key-killed-runs", "GEMINI_BASE_URL": gemini.base_url}
    first = project.start("run", "--date", DAY)
    wait_for(lambda: len(gemini.requests) >= 20, "20 Gemini requests", first)
    kill(first)
    asked_first = asked_urls(gemini.requests)
    with sqlite3.connect(project.home / "cache" / "ai.sqlite") as db:
        kept = db.execute("SELECT count(*) FROM answers").fetchone()[0]
    # at most the provider's 4 workers' requests sent and not answered, plus answers not yet stored, at the kill
    in_flight = 2 * 4
    assert kept >= len(asked_first) - in_flight > 0

    again = project.run("run", "--date", DAY)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"going on with {DAY} from categorize" in again.stderr
    asked_again = asked_urls(gemini.requests)[len(asked_first) :]
    assert len(asked_again) == PAGES - kept  # exactly the answers the killed run had not received
    assert len(set(asked_again) & set(asked_first)) <= in_flight
    records = assert_every_row_once(project, {"ok"})
    assert (records["ai_cache"] == "hit").sum() == kept
    assert "test-key-killed-runs" not in json.dumps(records.to_dicts(), default=str)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_run_waiting_for_a_pool_slot_says_so_and_a_signal_ends_it_at_once(project: Project, signum: int) -> None:
    with project.instance() as instance:
        instance.event_log_storage.set_concurrency_slots("outbound_http", 0)  # no fetch may start
    waiting = project.start("run", "--date", DAY)
    said: list[str] = []
    stream = waiting.stderr
    assert stream is not None
    reader = threading.Thread(target=lambda: said.extend(iter(stream.readline, "")), daemon=True)
    reader.start()
    notice = "fetch waits for a slot in pool 'outbound_http' (limit 0)"
    wait_for(lambda: any(notice in line for line in said), "the notice of what the run waits for", waiting)
    sent = time.monotonic()
    waiting.send_signal(signum)
    try:
        waiting.wait(timeout=30)
    except subprocess.TimeoutExpired:
        waiting.kill()
        pytest.fail(f"{signal.Signals(signum).name} did not end the run")
    assert time.monotonic() - sent < 30  # hang guard, not a speed figure
    assert waiting.returncode == 128 + signum
    reader.join(timeout=10)
    assert any(f"stopped by {signal.Signals(signum).name}" in line for line in said), said
    with project.instance() as instance:
        [run] = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.CANCELED
        instance.event_log_storage.set_concurrency_slots("outbound_http", 1)
    after = project.run("run", "--date", OTHER_DAY)  # nothing the stopped run left in the pool holds it up
    assert after.returncode == 0, after.stderr[-3000:]
    with project.instance() as instance:
        assert instance.event_log_storage.get_concurrency_info("outbound_http").pending_steps == []
