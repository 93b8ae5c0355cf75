"""A failed step's error as the command line prints it: one line with the error the step raised.

Dagster wraps that error: in "Error occurred while executing op ..." (which says nothing the step key does not), or,
once its retry policy gives up, in "Exceeded max_retries of 2"; the error itself is the wrapper's cause. The error's
own causes are left out: the project's errors say what went wrong and what to check in their own message, and a
library's chain under them (botocore's, psycopg2's) would only repeat it at length.
"""

import re

from dagster._utils.error import SerializableErrorInfo

SAYS_NOTHING = frozenset({"DagsterExecutionStepExecutionError"})  # wrappers whose words are left out
WRAPPERS = SAYS_NOTHING | {"RetryRequestedFromPolicy"}  # Dagster's errors around the one the step raised


def failure_line(error: SerializableErrorInfo | None) -> str:
    """The wrappers' words and the step's error in one line, outermost first, each class named without its module
    path."""
    said: list[str] = []
    while error is not None:
        if error.cls_name not in SAYS_NOTHING or error.cause is None:
            text = " ".join(error.message.split()).rstrip(":")
            if error.cls_name:
                text = re.sub(rf"^[\w.]+\.(?={re.escape(error.cls_name)}: )", "", text)
            said.append(text)
        error = error.cause if error.cls_name in WRAPPERS else None
    return ": ".join(said) or "unknown error"
