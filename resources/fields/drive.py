"""The fields of DriveResource (resources/drive.py): its settings, with their defaults, bounds and meaning.

No Dagster import, so `content-pipeline config` reads and checks them without loading Dagster."""

from typing import Literal

from pydantic import BaseModel, Field

from content_pipeline.drive.settings import (
    DEFAULT_BACKOFF_INITIAL_S,
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_TIMEOUT_S,
)


class DriveFields(BaseModel):
    export_folder: str = Field(
        default="",
        description="A Drive folder (id or link) the day's records.csv, records.parquet and report.html are uploaded "
        "into, one sub-folder per day, through the Sheets service account; blank: no upload",
    )
    image_folders: list[str] = Field(
        default_factory=list,
        description="Drive folders (ids or links) whose images, sub-folders included, are ingested like the images of "
        "an image folder, through the Sheets service account",
    )
    images_mode: Literal["off", "file", "move"] = Field(
        default="off",
        description="off: images are filed on disk (or the images output); file: copied into Drive category folders; "
        "move: moved there (a source is removed once its copy is verified)",
    )
    images_folder: str = Field(
        default="",
        description="The Drive folder (id or link) images are filed into by category when images_mode is file or "
        "move; blank: the `images` sub-folder of export_folder",
    )
    concurrency: int = Field(
        default=DEFAULT_CONCURRENCY,
        ge=1,
        le=32,
        description="Drive files fetched, or images filed into Drive, at once (lower it when Drive answers 403 "
        "rate limits; raise it when Drive is far away)",
    )
    max_attempts: int = Field(
        default=DEFAULT_MAX_ATTEMPTS, ge=1, description="Attempts of a request answered 403 rate limit, 429 or 5xx"
    )
    backoff_initial_s: float = Field(
        default=DEFAULT_BACKOFF_INITIAL_S, ge=0.0, description="The wait before the first retry, doubled per retry"
    )
    timeout_s: float = Field(default=DEFAULT_TIMEOUT_S, gt=0.0, description="The timeout of one request, in seconds")
    endpoint: str | None = Field(
        default=None, description="Another origin for Drive's API host (an emulator, a proxy); None: Google's"
    )
