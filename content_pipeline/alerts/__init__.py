"""Alerts about the pipeline's runs (a webhook for failed runs)."""
