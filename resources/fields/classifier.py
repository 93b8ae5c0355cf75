"""The fields of ClassifierResource (resources/classifier.py): its settings, with their defaults, bounds and meaning.

No Dagster import, so `content-pipeline config` reads and checks them without loading Dagster."""

from pydantic import BaseModel, Field


class ClassifierFields(BaseModel):
    dispatch_rules: str | None = Field(
        default=None,
        description="The dispatcher's routing rules (YAML); None: the bundled defaults/dispatch_rules.yaml",
    )
    extraction_workers: int = Field(default=0, ge=0, description="Processes that extract pages; 0: one per core")
    oembed: bool = Field(default=True, description="Look up oEmbed for video, audio and social records")
    oembed_providers: str | None = Field(
        default=None,
        description="The oEmbed provider table (YAML); None: the bundled defaults/oembed_providers.yaml",
    )
