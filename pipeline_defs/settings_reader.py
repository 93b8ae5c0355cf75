"""One resource's fields from the environment: each set variable read by the field's type and checked by the model.

The model is the resource's fields class (resources/fields/), a plain pydantic model: no Dagster import, so
`content-pipeline config` reads and checks every setting without loading Dagster. A secret that is set is read as
its variable's name; pipeline_defs/settings.py hands it to the resource as `dg.EnvVar(name)`.

A problem names the variable and the value as written (a secret's value is never shown), and says what is allowed in
the words of the model's own check (`expected a whole number >= 1`).
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from content_pipeline.alerts.apprise_alert import APPRISE_DOCS
from content_pipeline.alerts.webhook import is_alert_target
from content_pipeline.cache_store.location import CacheLocationError, database_url, looks_like_database_url
from content_pipeline.fetch.url_allowlist import check_entries
from content_pipeline.setting_text import UnreadableError, bounds_words, kind_words, parse, written_as
from content_pipeline.warehouse.storage import is_object_store
from pipeline_defs import environment
from pipeline_defs.variables import OBJECT_STORE_PATHS, PATHS, PATHS_OR_URLS, SECRETS, variable_for

EXPECTED = "expected "


@dataclass(frozen=True)
class Source:
    """Where a field's value came from: its variable, and `environment`, `.env`, `default`, `home` or `code`."""

    variable: str
    origin: str


@dataclass
class Reading:
    """A resource's fields read from the environment (None when a variable was refused), the values read (a secret's
    as its variable's name), the secrets that are set, the refusals, and the sources."""

    fields: BaseModel | None
    values: dict[str, Any] = field(default_factory=dict)
    secrets: frozenset[str] = frozenset()  # the names of the fields whose value is a secret's variable name
    problems: list[str] = field(default_factory=list)
    sources: dict[str, Source] = field(default_factory=dict)


def read_resource(key: str, resource_class: type[BaseModel], env: dict[str, str], derived: dict[str, str]) -> Reading:
    """The fields of resource `key` with every field whose variable is set in `env`, and the defaults in `derived`."""
    values: dict[str, Any] = {}
    texts: dict[str, str] = {}
    problems: dict[str, str] = {}
    sources: dict[str, Source] = {}
    secrets: set[str] = set()
    for name, info in resource_class.model_fields.items():
        setting, variable = f"{key}.{name}", variable_for(key, name)
        text = env.get(variable, "").strip()
        sources[setting] = Source(variable, origin(variable, text, setting in derived))
        if not text:
            if setting in derived:
                values[name] = derived[setting]
            continue
        texts[name] = text
        if setting in SECRETS or (setting in PATHS_OR_URLS and looks_like_database_url(text)):
            if problem := secret_problem(setting, variable, text):
                problems[name] = problem
            else:
                values[name] = variable
                secrets.add(name)
            continue
        try:
            value = parse(text, info.annotation, name)
        except UnreadableError:
            said = refusal(resource_class, name, text)
            problems[name] = f"{variable}={text!r}: {EXPECTED}{written_as(info.annotation, name, said)}"
            continue
        if setting == "fetcher.allow_private":
            try:
                check_entries(value, variable)  # type: ignore[arg-type]
            except ValueError as exc:
                problems[name] = str(exc)
                continue
        kept_as_url = setting in OBJECT_STORE_PATHS and isinstance(value, str) and is_object_store(value)
        values[name] = absolute(value) if setting in PATHS and not kept_as_url else value
    kept = {name: value for name, value in values.items() if name not in problems}
    try:
        resource: BaseModel | None = resource_class(**kept)
    except ValidationError as exc:
        resource = None
        for name, problem in model_problems(key, resource_class, exc, texts).items():
            problems.setdefault(name, problem)
    order = list(resource_class.model_fields)
    ordered = [problems[name] for name in sorted(problems, key=lambda n: order.index(n) if n in order else len(order))]
    return Reading(None if problems else resource, kept, frozenset(secrets), ordered, sources)


def model_problems(
    key: str, resource_class: type[BaseModel], refused: ValidationError, texts: dict[str, str]
) -> dict[str, str]:
    """The model's refusals by field, each naming the variable and the text as written (a secret's never)."""
    problems: dict[str, str] = {}
    for error in refused.errors():
        name = str(error["loc"][0]) if error["loc"] else ""
        variable = variable_for(key, name)
        if name not in texts:
            said = f"{key}.{name}"
        elif f"{key}.{name}" in SECRETS:
            said = variable
        else:
            said = f"{variable}={texts[name]!r}"
        problems.setdefault(name, f"{said}: {EXPECTED}{words(resource_class, name, error)}")
    return problems


def origin(variable: str, text: str, derived: bool) -> str:
    """Where a value comes from: the environment, a `.env` file, a default, or a default under the home folder."""
    if text:
        return ".env" if environment.dotenv_file_of(variable) else "environment"
    return "home" if derived else "default"


def secret_problem(setting: str, variable: str, text: str) -> str:
    """What is wrong with a secret ('' when nothing), never showing its value."""
    if setting in PATHS_OR_URLS:
        try:
            database_url(text)
        except CacheLocationError as exc:
            return f"{variable} {exc} (its value is not shown: a database URL may hold a password)"
        return ""
    if setting == "alerts.alert_webhook" and not is_alert_target(text):
        return (
            f"{variable} is not an http:// or https:// URL nor Apprise URLs such as slack://, msteams://, "
            f"discord://, mailto:// (see {APPRISE_DOCS}; its value is not shown: it often holds a token)"
        )
    return ""


def absolute(value: object) -> object:
    """A path (or each of a list of paths) with `~` expanded, made absolute."""
    if isinstance(value, list):
        return [str(Path(item).expanduser().resolve()) for item in value]
    return str(Path(str(value)).expanduser().resolve())


def refusal(resource_class: type[BaseModel], name: str, text: str) -> str:
    """What the model accepts for a field, in its own words, as it refuses the text as written."""
    try:
        resource_class(**{name: text})
    except ValidationError as exc:
        for error in exc.errors():
            if error["loc"][:1] == (name,):
                return words(resource_class, name, error)
    return field_words(resource_class.model_fields[name])


def words(resource_class: type[BaseModel], name: str, error: ErrorDetails) -> str:
    """What a field accepts: the model check's own message (`expected ...`), or the field's type and bounds."""
    if error["type"] == "value_error":
        message = str(error.get("ctx", {}).get("error", error["msg"]))
        return message.removeprefix(EXPECTED)
    info = resource_class.model_fields.get(name)
    return field_words(info) if info is not None else error["msg"]


def field_words(info: FieldInfo) -> str:
    """`a whole number >= 1`, `a number from 0 to 1`, `one of copy, move`: a field's type and bounds in words."""
    minimum: float | None = None
    maximum: float | None = None
    above = False
    for bound in info.metadata:
        if isinstance(bound, annotated_types.Ge):
            minimum = float(bound.ge)  # type: ignore[arg-type]
        elif isinstance(bound, annotated_types.Gt):
            minimum, above = float(bound.gt), True  # type: ignore[arg-type]
        elif isinstance(bound, annotated_types.Le):
            maximum = float(bound.le)  # type: ignore[arg-type]
    return kind_words(info.annotation) + bounds_words(minimum, above, maximum)
