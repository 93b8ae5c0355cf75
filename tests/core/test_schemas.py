"""Every column of every stage's partition says what it means (shown in the UI's column schema)."""

import pytest

from content_pipeline.quality.checks import expected_schema
from content_pipeline.schemas import column_descriptions
from content_pipeline.stages import Stage

WITH_PARTITIONS = [s for s in Stage if s.in_warehouse]


@pytest.mark.parametrize("stage", WITH_PARTITIONS)
def test_every_column_of_a_stage_has_a_description(stage: Stage) -> None:
    described = column_descriptions(stage)
    missing = [name for name in expected_schema(stage) if not described.get(name, "").strip()]
    assert missing == [], f"{stage}: columns without a description: {missing}"


def test_export_columns_keep_the_meaning_of_the_stage_they_come_from_or_say_their_own() -> None:
    exported = column_descriptions(Stage.EXPORT)
    assert exported["http_status"] == column_descriptions(Stage.FETCH)["http_status"]
    assert exported["category"] == column_descriptions(Stage.CATEGORIZE)["category"]
    assert "<stage>:<status>" in exported["status"] and "AI cache" in exported["ai_cache"]
