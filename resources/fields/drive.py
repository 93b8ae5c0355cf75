"""The fields of DriveResource (resources/drive.py): its settings, with their defaults, bounds and meaning.

No Dagster import, so `content-pipeline config` reads and checks them without loading Dagster."""

from pydantic import BaseModel, Field

from content_pipeline.drive.settings import DEFAULT_BACKOFF_INITIAL_S, DEFAULT_MAX_ATTEMPTS, DEFAULT_TIMEOUT_S


class DriveFields(BaseModel):
    export_folder: str = Field(
        default="",
        description="A Drive folder (id or link) the day's records.csv, records.parquet and report.html are uploaded "
        "into, one sub-folder per day, through the Sheets service account; blank: no upload",
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
