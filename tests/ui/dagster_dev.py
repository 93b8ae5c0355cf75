"""`dg dev` on a loopback port in its own process group, and the deployment and run the UI tests share."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import dagster as dg
import yaml

from pipeline_defs.settings import PROJECT_ROOT, Settings

HOST = "127.0.0.1"
LOCATION = "content_pipeline"  # as [tool.dg.project] in pyproject.toml names it
JOB = "pipeline_job"
STARTUP_TIMEOUT_S = 180.0
POLL_INTERVAL_S = 0.5
STOP_TIMEOUT_S = 10.0
LOG_TAIL_CHARS = 6000

T = TypeVar("T")

LOCATIONS_QUERY = """
{ workspaceOrError { __typename ... on Workspace { locationEntries {
    name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }
"""


# Bytecode for the server's five Python processes (webserver, daemon, code servers, run worker): compiled once and
# kept beside the project's other runtime files, so a rerun starts in half the time even when the environment sets
# PYTHONDONTWRITEBYTECODE (nothing lands in the source tree).
PYCACHE = PROJECT_ROOT / "var" / "pycache"


def dg_command(*args: str) -> list[str]:
    """`dg ARGS` from this environment (the project's own, as `uv run dg` would start it)."""
    return [str(Path(sys.executable).with_name("dg")), *args]


def server_env(dagster_home: Path, pipeline_home: Path) -> dict[str, str]:
    """This environment without other pipeline settings or keys, pointed at the temporary homes."""
    dropped = {"GEMINI_API_KEY", "PYTHONDONTWRITEBYTECODE"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTENT_PIPELINE_") and k not in dropped}
    env.update(
        PYTHONPYCACHEPREFIX=str(PYCACHE),
        VIRTUAL_ENV=sys.prefix,  # as `uv run` sets it; else dg warns that the active and the project's venv differ
        DAGSTER_HOME=str(dagster_home),
        CONTENT_PIPELINE_HOME=str(pipeline_home),
        CONTENT_PIPELINE_FETCH_ALLOW_PRIVATE=HOST,  # the sample site runs on loopback
    )
    return env


def free_port(host: str = HOST) -> int:
    """A port nothing listens on right now (the OS picks it; a race with another process is possible but rare)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def write_instance_yaml(project_yaml: Path, dagster_home: Path) -> Path:
    """The project's dagster.yaml with every relative `base_dir` moved under `dagster_home`."""

    def relocate(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: str(dagster_home / value)
                if key == "base_dir" and isinstance(value, str) and not Path(value).is_absolute()
                else relocate(value)
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [relocate(item) for item in node]
        return node

    config = relocate(yaml.safe_load(project_yaml.read_text(encoding="utf-8")))
    dagster_home.mkdir(parents=True, exist_ok=True)
    target = dagster_home / "dagster.yaml"
    target.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return target


def wait_for(what: str, check: Callable[[], T | None], timeout_s: float, on_timeout: Callable[[], str]) -> T:
    """Poll `check` until it returns something other than None; fail naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}\n{on_timeout()}")
        time.sleep(POLL_INTERVAL_S)


@dataclass
class DagsterDev:
    """A running `dg dev`: its port, its log file and its process."""

    port: int
    log_path: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.is_file() else ""
        return f"--- last lines of {self.log_path} ---\n{text[-LOG_TAIL_CHARS:]}"

    def graphql(self, query: str) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return dict(json.load(response))

    def _exited(self) -> str | None:
        code = self.process.poll()
        return None if code is None else f"dg dev exited with code {code}"

    def _server_info(self) -> bool | None:
        if exited := self._exited():
            raise AssertionError(f"{exited}\n{self.log_tail()}")
        try:
            with urllib.request.urlopen(f"{self.url}/server_info", timeout=5) as response:
                return True if response.status == 200 else None
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None

    def _location_loaded(self, location: str) -> bool | None:
        if exited := self._exited():
            raise AssertionError(f"{exited}\n{self.log_tail()}")
        entries = self.graphql(LOCATIONS_QUERY)["data"]["workspaceOrError"].get("locationEntries", [])
        for entry in entries:
            if entry["name"] != location or entry["loadStatus"] != "LOADED":
                continue
            loaded = entry["locationOrLoadError"] or {}
            if loaded.get("__typename") == "PythonError":
                raise AssertionError(f"code location {location} failed to load: {loaded['message']}\n{self.log_tail()}")
            return True
        return None

    def wait_until_ready(self, location: str, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
        """Until the webserver answers and the code location has loaded."""
        deadline = time.monotonic() + timeout_s
        wait_for("the webserver's /server_info", self._server_info, timeout_s, self.log_tail)
        remaining = max(deadline - time.monotonic(), 1.0)
        wait_for(f"code location {location} to load", lambda: self._location_loaded(location), remaining, self.log_tail)

    def stop(self) -> None:
        """SIGTERM to the whole process group (webserver, daemon, code server, run workers), then SIGKILL."""
        for sig, grace in ((signal.SIGTERM, STOP_TIMEOUT_S), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline:
                if self.process.poll() is not None and not group_alive(self.process.pid):
                    return
                time.sleep(0.2)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@contextmanager
def dg_dev(project: Path, env: dict[str, str], log_path: Path, location: str) -> Iterator[DagsterDev]:
    """Start `dg dev` in the project folder on a free loopback port; yield it once `location` has loaded; stop it."""
    port = free_port()
    command = dg_command("dev", "-h", HOST, "-p", str(port))
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: teardown reaches the daemon and the code server too
        )  # fmt: skip
    server = DagsterDev(port=port, log_path=log_path, process=process)
    try:
        server.wait_until_ready(location)
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class Deployment:
    """A running `dg dev` and the homes it works in."""

    server: DagsterDev
    dagster_home: Path
    settings: Settings  # what the code location builds its resources from (same env as the server)
    day: str  # the partition whose inbox holds the sample site's URLs


@dataclass(frozen=True)
class PartitionRun:
    run_id: str
    status: dg.DagsterRunStatus
