"""Evaluate one tick of a sensor of the built Definitions, with the resources it asks for."""

import dagster as dg

from pipeline_defs.definitions import build_definitions, build_resources
from pipeline_defs.settings import Settings


def sensor_tick(
    settings: Settings, instance: dg.DagsterInstance, name: str, resource: str, cursor: str | None
) -> tuple[list[dg.RunRequest], str]:
    """The run requests and the new cursor of one tick of sensor `name`."""
    defs = build_definitions(settings)
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={resource: build_resources(settings)[resource]},
        repository_def=defs.get_repository_def(),
    )
    result = defs.resolve_sensor_def(name).evaluate_tick(context)
    return list(result.run_requests or []), str(result.cursor)
