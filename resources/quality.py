"""Bounds of the data-quality checks that stop a bad partition before the stages below it."""

import dagster as dg

from resources.fields.quality import QualityFields


class QualityResource(QualityFields, dg.ConfigurableResource):
    """The fields are in resources/fields/quality.py; the asset checks read them."""
