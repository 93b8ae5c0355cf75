"""The fields of AlertsResource (resources/alerts.py): its settings, with their defaults, bounds and meaning.

No Dagster import, so `content-pipeline config` reads and checks them without loading Dagster."""

from pydantic import BaseModel, Field, field_validator

from content_pipeline.alerts.webhook import is_web_url


class AlertsFields(BaseModel):
    alert_webhook: str | None = Field(
        default=None,
        description="The http(s) URL failed runs are POSTed to as JSON, or Apprise URLs (slack://, msteams://, "
        "discord://, mailto://..., separated by spaces or commas) they are sent to; set only through "
        "dg.EnvVar('CONTENT_PIPELINE_ALERT_WEBHOOK') and never logged (it often holds a token); None: only logged",
    )
    dagster_url: str | None = Field(
        default=None, description="The UI's address, for a link to the run in alerts (e.g. http://127.0.0.1:3000)"
    )

    @field_validator("dagster_url")
    @classmethod
    def web_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not is_web_url(value):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/")
