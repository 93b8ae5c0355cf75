"""The user's own files (taxonomy, dispatch rules, oEmbed providers, prices) and the folders a run writes to, checked
once before a command runs, so a missing or broken one is one line naming its variable instead of a failed run."""

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

from content_pipeline.categorize.taxonomy import load_taxonomy
from content_pipeline.classify.dispatcher import Dispatcher
from content_pipeline.classify.oembed_providers import load_providers
from content_pipeline.export.output_store import output_at
from content_pipeline.gemini.pricing import load_prices
from content_pipeline.warehouse.storage import StorageError, is_object_store, storage_at
from pipeline_defs import environment
from pipeline_defs.settings import Settings
from pipeline_defs.user_errors import UserError
from pipeline_defs.variables import HOME, variable_for

LOADERS: dict[tuple[str, str], Callable[[Path], Any]] = {  # resource, field -> what reads the file
    ("categorizer", "taxonomy"): load_taxonomy,
    ("classifier", "dispatch_rules"): Dispatcher.from_rules_file,
    ("classifier", "oembed_providers"): load_providers,
    ("gemini", "prices"): load_prices,
}
WRITTEN_FOLDERS = [("warehouse", "root"), ("exporter", "output"), ("exporter", "images_output")]  # folders
CACHE_SETTINGS = [("fetcher", "http_cache"), ("gemini", "ai_cache")]  # a path or a shared database's URL
WRITTEN_FILES = [  # files whose folder a run creates
    ("warehouse", "catalog"),
    ("fetcher", "http_cache"),
    ("gemini", "ai_cache"),
    ("exporter", "moved_images"),
]


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


def folder_problem(folder: Path) -> str:
    """Why a run could not write into `folder` ('' when it can, or can create it)."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing} is not writable"
    return ""


def object_store_check(root: str, variable: str, output: bool = False) -> None:
    """UserError naming `variable` when `root` is no object store this project writes (s3://bucket/prefix)."""
    try:
        output_at(root) if output else storage_at(root)
    except StorageError as exc:
        raise UserError(f"{variable}: {exc}") from None


def check_folders(settings: Settings) -> None:
    """UserError naming the variable of the first folder a run would write to but cannot (a file, or read-only)."""
    places = [(r, n, False) for r, n in WRITTEN_FOLDERS] + [(r, n, True) for r, n in WRITTEN_FILES]
    places.append(("inbox", "path", False))
    for resource, name, is_file in places:
        value = getattr(settings.resources.by_key()[resource], name)
        if not value or isinstance(value, dg.EnvVar):  # a shared cache's database URL: not a place on this disk
            continue
        if is_object_store(value):  # its bucket and keys are checked by the run that writes to it
            object_store_check(value, settings.sources[f"{resource}.{name}"].variable, resource == "exporter")
            continue
        path = Path(value)
        folder = path.parent if is_file else path
        problem = folder_problem(folder) if (resource, name) != ("inbox", "path") or path.exists() else ""
        if problem:
            source = settings.sources[f"{resource}.{name}"]
            variable = HOME if source.origin == "home" else source.variable
            raise UserError(
                f"{variable}: {path} cannot be written: {problem}; point {variable} at a folder you can write"
            )


def check_cache_databases(settings: Settings) -> None:
    """UserError naming the variables of a shared cache database that cannot be signed in to (wrong host or port,
    refused password, no such database), so the run does not start only to fail and retry its first cache step."""
    named: dict[str, list[str]] = {}  # a database URL -> the variables that name it
    for resource, name in CACHE_SETTINGS:
        value = getattr(settings.resources.by_key()[resource], name)
        if isinstance(value, dg.EnvVar):  # a database URL is a secret: the resources hold its variable's name
            named.setdefault(environment.variable(value.env_var_name), []).append(value.env_var_name)
    if not named:
        return
    from content_pipeline.cache_store.database import CacheDatabaseError, check_database
    from content_pipeline.cache_store.location import DatabaseUrl, cache_location

    for url, variables in named.items():
        location = cache_location(url)
        if not isinstance(location, DatabaseUrl):
            continue
        try:
            check_database(location, " and ".join(variables))
        except CacheDatabaseError as exc:
            raise UserError(str(exc)) from None
