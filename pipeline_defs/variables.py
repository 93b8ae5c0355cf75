"""Which environment variable sets which resource field: one name per setting.

A field's variable is its resource's prefix plus the field's name in capitals (`fetcher.max_attempts` is
`CONTENT_PIPELINE_FETCH_MAX_ATTEMPTS`, `exporter.images_output` is `CONTENT_PIPELINE_IMAGES_OUTPUT`). A few variables
were documented before that rule and keep their names (DOCUMENTED); the README's configuration table lists them all.
"""

PREFIX = "CONTENT_PIPELINE_"
PREFIXES = {  # resource key -> the prefix of its fields' variables (PREFIX when not listed)
    "fetcher": "CONTENT_PIPELINE_FETCH_",
    "sheets": "CONTENT_PIPELINE_SHEETS_",
    "drive": "CONTENT_PIPELINE_DRIVE_",
    "gemini": "CONTENT_PIPELINE_GEMINI_",
}
DOCUMENTED = {  # resource.field -> the documented variable it keeps
    "inbox.path": "CONTENT_PIPELINE_INBOX",
    "warehouse.root": "CONTENT_PIPELINE_WAREHOUSE",
    "fetcher.http_cache": "CONTENT_PIPELINE_HTTP_CACHE",
    "gemini.api_key": "GEMINI_API_KEY",
    "gemini.model": "GEMINI_MODEL",
    "gemini.base_url": "GEMINI_BASE_URL",
    "gemini.ai_cache": "CONTENT_PIPELINE_AI_CACHE",
    "sheets.input_worksheet": "CONTENT_PIPELINE_SHEETS_INPUT",
    "sheets.results_worksheet": "CONTENT_PIPELINE_SHEETS_RESULTS",
}
SECRETS = frozenset({"gemini.api_key", "sheets.credentials_json", "alerts.alert_webhook"})  # only as dg.EnvVar
# fields holding a path or a database URL (a shared cache): a URL may hold a password, so it is a secret as above
PATHS_OR_URLS = frozenset({"fetcher.http_cache", "gemini.ai_cache"})
PATHS = frozenset(  # fields holding paths: `~` is expanded and a relative path made absolute
    {
        "inbox.path",
        "inbox.image_folders",
        "warehouse.root",
        "warehouse.catalog",
        "fetcher.http_cache",
        "classifier.dispatch_rules",
        "classifier.oembed_providers",
        "gemini.prices",
        "gemini.ai_cache",
        "categorizer.taxonomy",
        "exporter.output",
        "exporter.images_output",
        "exporter.moved_images",
        "sheets.credentials_file",
    }
)
OBJECT_STORE_PATHS = frozenset(
    {"warehouse.root", "exporter.output", "exporter.images_output"}
)  # paths that may be an object store's URL (s3://bucket/prefix)
HOME = "CONTENT_PIPELINE_HOME"  # the folder the default paths are under
TIMEZONE = "CONTENT_PIPELINE_TIMEZONE"  # the daily close schedule's time zone
START_DATE = "CONTENT_PIPELINE_START_DATE"  # the first day of the daily partitions (pipeline_defs/partition_start.py)
PROGRESS = "CONTENT_PIPELINE_PROGRESS"  # what the command line shows while it runs (pipeline_defs/progress_display.py)
PROGRESS_MODES = ("bars", "lines", "off")  # its values


def variable_for(resource: str, field: str) -> str:
    """The environment variable of one resource field."""
    setting = f"{resource}.{field}"
    return DOCUMENTED.get(setting) or PREFIXES.get(resource, PREFIX) + field.upper()
