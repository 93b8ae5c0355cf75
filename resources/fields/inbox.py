"""The fields of InboxResource (resources/inbox.py): its settings, with their defaults, bounds and meaning.

No Dagster import, so `content-pipeline config` reads and checks them without loading Dagster."""

from pydantic import BaseModel, Field


class InboxFields(BaseModel):
    path: str = Field(description="The folder CSV files of links are dropped into (default: under the home folder)")
    image_folders: list[str] = Field(
        default_factory=list,
        description="More folders of images to ingest, besides <inbox>/images; a missing one is a bad row",
    )
