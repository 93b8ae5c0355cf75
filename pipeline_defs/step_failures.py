"""A failed step's error as the command line prints it: one line with the error the step raised.

Dagster wraps that error: in "Error occurred while executing op ..." (which says nothing the step key does not), or,
once its retry policy gives up, in "Exceeded max_retries of 2"; the error itself is the wrapper's cause.
"""

import re

from dagster._utils.error import SerializableErrorInfo

SAYS_NOTHING = frozenset({"DagsterExecutionStepExecutionError"})  # wrappers whose words are left out


def failure_line(error: SerializableErrorInfo | None) -> str:
    """`error` and its causes in one line, outermost first, each class named without its module path."""
    said: list[str] = []
    while error is not None:
        if error.cls_name not in SAYS_NOTHING or error.cause is None:
            text = " ".join(error.message.split()).rstrip(":")
            if error.cls_name:
                text = re.sub(rf"^[\w.]+\.(?={re.escape(error.cls_name)}: )", "", text)
            said.append(text)
        error = error.cause
    return ": ".join(said) or "unknown error"
