"""Bounds of the data-quality checks that stop a bad partition before the stages below it."""

import dagster as dg
from pydantic import Field

from content_pipeline.quality.checks import DEFAULT_MAX_FAILURE_RATE


class QualityResource(dg.ConfigurableResource):
    max_failure_rate: float = Field(
        default=DEFAULT_MAX_FAILURE_RATE,
        ge=0.0,
        le=1.0,
        description="The share of attempted rows (from 0 to 1) a stage may fail before its check stops the run",
    )
