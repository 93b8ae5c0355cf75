"""What the command line prints for a failed step: the error the step raised, in one line, not Dagster's wrapper."""

from dagster._utils.error import SerializableErrorInfo

from pipeline_defs.step_failures import failure_line

RAISED = SerializableErrorInfo(
    "content_pipeline.cache_store.database.CacheDatabaseError: CONTENT_PIPELINE_AI_CACHE: cannot use the shared "
    "cache database postgresql+psycopg2://u:***@db:5432/c: connection refused\n",
    [],
    "CacheDatabaseError",
)


def test_a_step_that_raised_is_reported_by_its_error_without_the_op_wrapper() -> None:
    wrapped = SerializableErrorInfo(
        'dagster._core.errors.DagsterExecutionStepExecutionError: Error occurred while executing op "categorize":\n',
        [],
        "DagsterExecutionStepExecutionError",
        cause=RAISED,
    )
    assert failure_line(wrapped) == (
        "CacheDatabaseError: CONTENT_PIPELINE_AI_CACHE: cannot use the shared cache database "
        "postgresql+psycopg2://u:***@db:5432/c: connection refused"
    )


def test_a_step_its_policy_gave_up_on_says_so_and_why() -> None:
    gave_up = SerializableErrorInfo("Exceeded max_retries of 2\n", [], "RetryRequestedFromPolicy", cause=RAISED)
    line = failure_line(gave_up)
    assert line.startswith("Exceeded max_retries of 2: CacheDatabaseError: CONTENT_PIPELINE_AI_CACHE: ")
    assert "\n" not in line and failure_line(None) == "unknown error"


def test_the_causes_of_the_error_the_step_raised_are_left_out() -> None:
    library = SerializableErrorInfo("botocore.errorfactory.NoSuchBucket: An error occurred\n", [], "NoSuchBucket")
    raised = SerializableErrorInfo(
        "FileNotFoundError: cannot write s3://b/x: no bucket\n", [], "FileNotFoundError", library
    )
    gave_up = SerializableErrorInfo("Exceeded max_retries of 2\n", [], "RetryRequestedFromPolicy", cause=raised)
    assert failure_line(gave_up) == "Exceeded max_retries of 2: FileNotFoundError: cannot write s3://b/x: no bucket"
