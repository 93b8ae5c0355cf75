"""Failures of the Drive connection as a whole: each message says what to do."""


class DriveError(RuntimeError):
    """The Drive folder cannot be used (credentials, sharing, configuration); the run must stop."""


class DriveUnavailableError(DriveError):
    """Google Drive kept refusing requests (rate limits, server errors, timeouts) after every attempt: try later."""
