"""The fields of QualityResource (resources/quality.py): its settings, with their defaults, bounds and meaning.

No Dagster import, so `content-pipeline config` reads and checks them without loading Dagster."""

from pydantic import BaseModel, Field

from content_pipeline.quality.bounds import DEFAULT_MAX_FAILURE_RATE


class QualityFields(BaseModel):
    max_failure_rate: float = Field(
        default=DEFAULT_MAX_FAILURE_RATE,
        ge=0.0,
        le=1.0,
        description="The share of attempted rows (from 0 to 1) a stage may fail before its check stops the run",
    )
