"""Failures of the Sheets connection as a whole: each message says what to do."""


class SheetsError(RuntimeError):
    """The spreadsheet cannot be used (credentials, sharing, configuration, quota); the run must stop."""


class SheetsUnavailableError(SheetsError):
    """Google Sheets kept refusing requests (quota, server errors, timeouts) after every attempt: try again later."""
