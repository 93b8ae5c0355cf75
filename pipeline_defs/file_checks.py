"""The user's own files (taxonomy, dispatch rules, oEmbed providers, prices), read once before a command runs, so a
missing or broken one is one line naming its variable instead of a failed run."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from content_pipeline.categorize.taxonomy import load_taxonomy
from content_pipeline.classify.dispatcher import Dispatcher
from content_pipeline.classify.oembed_providers import load_providers
from content_pipeline.gemini.pricing import load_prices
from pipeline_defs.settings import Settings
from pipeline_defs.user_errors import UserError
from pipeline_defs.variables import variable_for

LOADERS: dict[tuple[str, str], Callable[[Path], Any]] = {  # resource, field -> what reads the file
    ("categorizer", "taxonomy"): load_taxonomy,
    ("classifier", "dispatch_rules"): Dispatcher.from_rules_file,
    ("classifier", "oembed_providers"): load_providers,
    ("gemini", "prices"): load_prices,
}


def reason(error: Exception) -> str:
    """What is wrong with a file, in one line."""
    if isinstance(error, OSError):
        return error.strerror or " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        return f"not valid YAML (line {error.problem_mark.line + 1}: {error.problem})"
    return " ".join(str(error).split()) or type(error).__name__


def check_user_files(settings: Settings) -> None:
    """UserError naming the variable of the first configured file that cannot be read."""
    for (resource, name), load in LOADERS.items():
        value = getattr(settings.resources.by_key()[resource], name)
        if not value:
            continue
        variable = variable_for(resource, name)
        try:
            load(Path(value))
        except (OSError, ValueError, yaml.YAMLError) as exc:
            raise UserError(
                f"{variable}={value}: {reason(exc)}: fix the file, or unset {variable} to use the bundled one"
            ) from None
