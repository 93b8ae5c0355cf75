"""Where the failure sensor posts a failed run (a webhook), and the UI's address its alerts link to."""

import dagster as dg

from resources.fields.alerts import AlertsFields


class AlertsResource(AlertsFields, dg.ConfigurableResource):
    """The fields are in resources/fields/alerts.py; the failure sensor posts with them."""
