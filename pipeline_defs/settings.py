"""Where the pipeline keeps its files and which services it uses, from the environment with local defaults."""

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from content_pipeline.fetch.settings import FetchSettings
from content_pipeline.fetch.settings_env import fetch_settings_from_env

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def default_home() -> Path:
    """`<project>/var` in a checkout; `./var` when the package is installed elsewhere."""
    root = PROJECT_ROOT if (PROJECT_ROOT / "pyproject.toml").is_file() else Path.cwd()
    return root / "var"


@dataclass(frozen=True)
class Settings:
    """Every path and switch the Definitions are built from (see the README's configuration table)."""

    home: Path
    inbox: Path
    warehouse: Path
    catalog: Path
    output: Path
    http_cache: Path
    ai_cache: Path
    moved_images: Path  # the ledger of images move mode took out of their folders
    taxonomy: Path | None = None
    dispatch_rules: Path | None = None
    oembed_enabled: bool = True  # oEmbed lookups for video, audio and social records
    oembed_providers: Path | None = None  # the oEmbed provider table; None: the bundled one
    fetch: FetchSettings = field(default_factory=FetchSettings)  # CONTENT_PIPELINE_FETCH_<FIELD> for every field
    chunk_rows: int | None = None  # rows per chunk in every stage; None: each stage's own default
    fetch_ignore_robots_for: tuple[str, ...] = ()  # file-name patterns of sources fetched without robots.txt
    gemini_enabled: bool = False  # the key itself is read through dg.EnvVar, never stored here
    gemini_model: str | None = None
    gemini_base_url: str | None = None
    ai_cache_local: bool = False  # also cache the local model's answers (it costs nothing, only CPU)
    gemini_requests_per_minute: int | None = None
    gemini_tokens_per_minute: int | None = None
    gemini_max_cost_usd: float | None = None
    gemini_max_output_tokens: int | None = None
    gemini_prices: Path | None = None
    gemini_batch: bool = False
    gemini_batch_poll_s: float | None = None
    image_folders: tuple[Path, ...] = ()  # folders of images to ingest, besides <inbox>/images
    images_output: Path | None = None  # where images are filed by category; None: <output>/images
    images_mode: str = "copy"  # copy or move the files from image folders
    sheets_spreadsheet_id: str | None = None  # None: Google Sheets is off
    sheets_credentials_file: Path | None = None
    sheets_credentials_json: bool = False  # the key itself is read through dg.EnvVar, never stored here
    sheets_input_worksheet: str = ""
    sheets_results_worksheet: str | None = None
    sheets_id_column: str | None = None
    sheets_write_back: bool = True
    sheets_requests_per_minute: float | None = None
    sheets_max_attempts: int | None = None
    sheets_timeout_s: float | None = None
    sheets_endpoint: str | None = None
    max_failure_rate: float | None = None  # share of attempted rows a stage may fail before its check stops the run
    timezone: str = "UTC"  # the daily close schedule's time zone (an IANA name)
    alert_webhook: bool = False  # the URL itself is read from the environment when an alert is sent, never stored
    dagster_url: str | None = None  # the UI's address, for links in alerts (e.g. http://127.0.0.1:3000)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        home = Path(env.get("CONTENT_PIPELINE_HOME") or default_home()).expanduser().resolve()

        def path(name: str, default: Path) -> Path:
            return Path(env[name]).expanduser().resolve() if env.get(name) else default

        def optional(name: str) -> Path | None:
            return Path(env[name]).expanduser().resolve() if env.get(name) else None

        def switch(name: str, default: bool) -> bool:
            value = env.get(name, "").strip().lower()
            return default if not value else value not in {"0", "false", "no", "off"}

        def number(name: str, kind: type[int] | type[float]) -> Any:
            value = env.get(name, "").strip()
            if not value:
                return None
            try:
                return kind(value)
            except ValueError:
                raise ValueError(f"{name}={value!r} is not a {kind.__name__}") from None

        def at_least_one(name: str) -> int | None:
            value = number(name, int)
            if value is not None and value < 1:
                raise ValueError(f"{name}={value!r}: expected a whole number >= 1")
            return value

        def fraction(name: str) -> float | None:
            value = number(name, float)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValueError(f"{name}={value!r} is not between 0 and 1 (the share of attempted rows, 0.5 = half)")
            return value

        def choice(name: str, allowed: tuple[str, ...]) -> str:
            value = env.get(name, "").strip().lower() or allowed[0]
            if value not in allowed:
                raise ValueError(f"{name}={value!r} is not one of {', '.join(allowed)}")
            return value

        def listed(name: str) -> tuple[str, ...]:
            return tuple(item.strip() for item in env.get(name, "").split(",") if item.strip())

        def zone(name: str, default: str) -> str:
            value = env.get(name, "").strip() or default
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"{name}={value!r} is not a time zone (an IANA name such as Europe/Berlin)") from None
            return value

        def web_url(name: str, secret: bool) -> str | None:
            value = env.get(name, "").strip()
            if not value:
                return None
            if urlsplit(value).scheme not in {"http", "https"} or not urlsplit(value).netloc:
                shown = "" if secret else f"={value!r}"  # a webhook URL often holds a token: never echo it
                raise ValueError(f"{name}{shown} is not an http:// or https:// URL")
            return value

        return cls(
            home=home,
            inbox=path("CONTENT_PIPELINE_INBOX", home / "inbox"),
            warehouse=path("CONTENT_PIPELINE_WAREHOUSE", home / "warehouse"),
            catalog=path("CONTENT_PIPELINE_CATALOG", home / "catalog.duckdb"),
            output=path("CONTENT_PIPELINE_OUTPUT", home / "output"),
            http_cache=path("CONTENT_PIPELINE_HTTP_CACHE", home / "cache" / "http.sqlite"),
            ai_cache=path("CONTENT_PIPELINE_AI_CACHE", home / "cache" / "ai.sqlite"),
            moved_images=path("CONTENT_PIPELINE_MOVED_IMAGES", home / "cache" / "moved-images.sqlite"),
            taxonomy=optional("CONTENT_PIPELINE_TAXONOMY"),
            dispatch_rules=optional("CONTENT_PIPELINE_DISPATCH_RULES"),
            oembed_enabled=switch("CONTENT_PIPELINE_OEMBED", True),
            oembed_providers=optional("CONTENT_PIPELINE_OEMBED_PROVIDERS"),
            fetch=fetch_settings_from_env(env),
            fetch_ignore_robots_for=listed("CONTENT_PIPELINE_FETCH_IGNORE_ROBOTS"),
            gemini_enabled=bool(env.get("GEMINI_API_KEY")),
            gemini_model=env.get("GEMINI_MODEL") or None,
            gemini_base_url=env.get("GEMINI_BASE_URL") or None,
            ai_cache_local=switch("CONTENT_PIPELINE_AI_CACHE_LOCAL", False),
            gemini_requests_per_minute=number("CONTENT_PIPELINE_GEMINI_RPM", int),
            chunk_rows=at_least_one("CONTENT_PIPELINE_CHUNK_ROWS"),
            gemini_tokens_per_minute=number("CONTENT_PIPELINE_GEMINI_TPM", int),
            gemini_max_cost_usd=number("CONTENT_PIPELINE_GEMINI_MAX_COST_USD", float),
            gemini_max_output_tokens=number("CONTENT_PIPELINE_GEMINI_MAX_OUTPUT_TOKENS", int),
            gemini_prices=optional("CONTENT_PIPELINE_GEMINI_PRICES"),
            gemini_batch=switch("CONTENT_PIPELINE_GEMINI_BATCH", False),
            gemini_batch_poll_s=number("CONTENT_PIPELINE_GEMINI_BATCH_POLL_S", float),
            image_folders=tuple(Path(p).expanduser().resolve() for p in listed("CONTENT_PIPELINE_IMAGE_FOLDERS")),
            images_output=optional("CONTENT_PIPELINE_IMAGES_OUTPUT"),
            images_mode=choice("CONTENT_PIPELINE_IMAGES_MODE", ("copy", "move")),
            sheets_spreadsheet_id=env.get("CONTENT_PIPELINE_SHEETS_SPREADSHEET_ID", "").strip() or None,
            sheets_credentials_file=optional("CONTENT_PIPELINE_SHEETS_CREDENTIALS_FILE"),
            sheets_credentials_json=bool(env.get("CONTENT_PIPELINE_SHEETS_CREDENTIALS_JSON")),
            sheets_input_worksheet=env.get("CONTENT_PIPELINE_SHEETS_INPUT", "").strip(),
            sheets_results_worksheet=env.get("CONTENT_PIPELINE_SHEETS_RESULTS", "").strip() or None,
            sheets_id_column=env.get("CONTENT_PIPELINE_SHEETS_ID_COLUMN", "").strip() or None,
            sheets_write_back=switch("CONTENT_PIPELINE_SHEETS_WRITE_BACK", True),
            sheets_requests_per_minute=number("CONTENT_PIPELINE_SHEETS_REQUESTS_PER_MINUTE", float),
            sheets_max_attempts=number("CONTENT_PIPELINE_SHEETS_MAX_ATTEMPTS", int),
            sheets_timeout_s=number("CONTENT_PIPELINE_SHEETS_TIMEOUT_S", float),
            sheets_endpoint=env.get("CONTENT_PIPELINE_SHEETS_ENDPOINT", "").strip() or None,
            max_failure_rate=fraction("CONTENT_PIPELINE_MAX_FAILURE_RATE"),
            timezone=zone("CONTENT_PIPELINE_TIMEZONE", "UTC"),
            alert_webhook=web_url("CONTENT_PIPELINE_ALERT_WEBHOOK", secret=True) is not None,
            dagster_url=(web_url("CONTENT_PIPELINE_DAGSTER_URL", secret=False) or "").rstrip("/") or None,
        )

    @property
    def images_root(self) -> Path:
        """Where images are filed by category: `images_output`, else `<output>/images`."""
        return self.images_output or self.output / "images"

    @property
    def fetch_allow_private(self) -> tuple[str, ...]:
        """Hosts, IPs or CIDRs the fetcher may reach although they are not public."""
        return self.fetch.allow_private

    def allowing(self, *hosts: str) -> "Settings":
        """The same settings with more hosts exempt from the fetcher's private-address guard."""
        allowed = tuple(dict.fromkeys(self.fetch.allow_private + hosts))
        return replace(self, fetch=replace(self.fetch, allow_private=allowed))
