"""One `dg dev` for the whole tests/ui package, on a loopback port, and one partition run launched through GraphQL.

The deployment has its own DAGSTER_HOME (the project's dagster.yaml with its storage moved there) and its own
CONTENT_PIPELINE_HOME, whose inbox holds the sample site's URL list for today's partition, as the demo drops it.
"""

import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster_graphql import DagsterGraphQLClient

from content_pipeline.sample_site.server import serve_sample_site
from pipeline_defs.cli_parser import today
from pipeline_defs.commands import write_demo_inbox
from pipeline_defs.settings import PROJECT_ROOT, Settings
from tests.ui.dagster_dev import (
    HOST,
    JOB,
    LOCATION,
    Deployment,
    PartitionRun,
    dg_dev,
    server_env,
    wait_for,
    write_instance_yaml,
)

RUN_TIMEOUT_S = 180.0
CHROMIUM = Path("/usr/bin/chromium")  # Debian's `chromium` package; Playwright's own browser download is not used
CHROMIUM_MISSING = (
    f"{CHROMIUM} not found: the browser tests need Debian's chromium: run the tests with `bash .ci/run` as root "
    "(it installs it), or `apt-get install chromium`"
)
TERMINAL = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


@pytest.fixture(scope="package")
def chromium() -> Path:
    """Debian's chromium; a missing browser fails the test in one line (`bash .ci/run` installs it as root)."""
    found = CHROMIUM if CHROMIUM.is_file() else Path(shutil.which("chromium") or CHROMIUM)
    if not found.is_file():
        pytest.fail(CHROMIUM_MISSING, pytrace=False)
    return found


@pytest.fixture(scope="package")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    tmp = tmp_path_factory.mktemp("ui")
    dagster_home = tmp / "dagster"
    write_instance_yaml(PROJECT_ROOT / "dagster.yaml", dagster_home)
    env = server_env(dagster_home, tmp / "home")
    settings = Settings.from_env(env)
    day = today()
    with serve_sample_site(HOST, 0) as base_url:
        write_demo_inbox(settings.inbox, day, base_url)
        with dg_dev(PROJECT_ROOT, env, tmp / "dg-dev.log", LOCATION) as srv:
            yield Deployment(server=srv, dagster_home=dagster_home, settings=settings, day=day)


def run_errors(dagster_home: Path, run_id: str) -> str:
    """The failures in the run's event log, with their errors, as the UI's run page shows them."""
    kinds = {dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.RUN_FAILURE}
    lines = []
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        for entry in instance.all_logs(run_id, of_type=kinds):
            lines.append(f"{entry.step_key or 'run'}: {entry.message}")
            error = getattr(entry.dagster_event.event_specific_data, "error", None) if entry.dagster_event else None
            if error is not None:
                lines.append(error.to_string())
    return "\n".join(lines) or "(no failure events in the run's event log)"


@pytest.fixture(scope="package")
def partition_run(deployment: Deployment) -> PartitionRun:
    """`pipeline_job` for the day's partition, launched through dagster-graphql's client and waited for."""
    client = DagsterGraphQLClient(HOST, port_number=deployment.server.port)
    run_id = client.submit_job_execution(JOB, tags={"dagster/partition": deployment.day})

    def finished() -> dg.DagsterRunStatus | None:
        status = client.get_run_status(run_id)
        return status if status in TERMINAL else None

    status = wait_for(f"run {run_id} to finish", finished, RUN_TIMEOUT_S, deployment.server.log_tail)
    if status != dg.DagsterRunStatus.SUCCESS:
        pytest.fail(
            f"run {run_id} ended {status.value}:\n{run_errors(deployment.dagster_home, run_id)}\n"
            f"{deployment.server.log_tail()}"
        )
    return PartitionRun(run_id=run_id, status=status)
