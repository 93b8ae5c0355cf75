"""A partition run launched through dagster-graphql's client against the running webserver (see conftest.py)."""

import dagster as dg
import pytest
from dagster_graphql import DagsterGraphQLClient

from tests.ui.dagster_dev import HOST, JOB, Deployment, PartitionRun

# dagster-graphql's client uses a deprecated gql call on every request
pytestmark = pytest.mark.filterwarnings("ignore:Using variable_values and operation_name:DeprecationWarning")

STAGES = ("ingest", "fetch", "classify", "categorize", "filed_images", "export", "export_files", "sheet_results")


def test_a_run_launched_through_graphql_materializes_the_days_partition_of_every_stage(
    deployment: Deployment, partition_run: PartitionRun
) -> None:
    client = DagsterGraphQLClient(HOST, port_number=deployment.server.port)
    assert client.get_run_status(partition_run.run_id) == dg.DagsterRunStatus.SUCCESS

    exported = deployment.settings.warehouse / "export" / f"date={deployment.day}" / "part.parquet"
    assert exported.is_file(), f"the run wrote no export partition at {exported}"

    with dg.DagsterInstance.from_config(str(deployment.dagster_home)) as instance:
        run = instance.get_run_by_id(partition_run.run_id)
        assert run is not None and run.job_name == JOB
        assert run.tags.get("dagster/partition") == deployment.day
        for stage in STAGES:
            assert deployment.day in instance.get_materialized_partitions(dg.AssetKey(stage)), stage
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("export"), asset_partitions=[deployment.day]), limit=1
        ).records
        assert [r.run_id for r in records] == [partition_run.run_id]
        materialization = records[0].asset_materialization
        assert materialization is not None
        assert materialization.metadata["path"] == dg.MetadataValue.path(str(exported))
