"""The fields of ClusterResource (resources/cluster.py): its settings, with their defaults, bounds and meaning.

No Dagster import, so `content-pipeline config` reads and checks them without loading Dagster."""

from pydantic import BaseModel, Field


class ClusterFields(BaseModel):
    dask_scheduler: str | None = Field(
        default=None,
        description="The address of a Dask distributed scheduler (tcp://host:8786) whose workers extract classify's "
        "pages and run the local model's categorize, so a day's chunks fan out over machines; None: this machine",
    )
