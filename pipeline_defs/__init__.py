"""The Dagster side of the pipeline: definitions, the command line, runs. Loading it tunes polars' allocator first."""

from pipeline_defs.environment import return_freed_memory_at_once

return_freed_memory_at_once()
