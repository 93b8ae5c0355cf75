"""Failures of the Drive connection as a whole: each message says what to do."""


class DriveError(RuntimeError):
    """The Drive folder cannot be used (credentials, sharing, configuration); the run must stop."""


class DriveUnavailableError(DriveError):
    """Google Drive kept refusing requests (rate limits, server errors, timeouts) after every attempt: try later."""


class DriveFileTooLargeError(Exception):
    """A download that passed the body cap (it was cut off there)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"over the limit of {limit} bytes (the download was stopped at {size})")
        self.size = size
