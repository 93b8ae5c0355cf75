"""Choose a processor for each fetched page (URL rules, content type, page sniffing, fallback) and run it."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from content_pipeline.classify.html_text import PLAIN_TEXT_TYPES, is_html
from content_pipeline.classify.models import Extraction, FetchedPage, Kind
from content_pipeline.classify.processors import PROCESSORS, Processor
from content_pipeline.classify.sniff import sniff_html_kind
from content_pipeline.status import ClassifyStatus

DEFAULT_RULES_PATH = Path(__file__).resolve().parents[1] / "defaults" / "dispatch_rules.yaml"
# Which processor handles each kind when the verdict comes from the content type, sniffing or the fallback.
KIND_PROCESSORS: Mapping[Kind, str] = {
    Kind.ARTICLE: "article",
    Kind.VIDEO: "video",
    Kind.AUDIO: "audio",
    Kind.SOCIAL: "social",
    Kind.IMAGE: "image",
    Kind.OTHER: "generic",
}
MEDIA_TYPE_KINDS: Mapping[str, Kind] = {"image": Kind.IMAGE, "audio": Kind.AUDIO, "video": Kind.VIDEO}
MAX_REASON_CHARS = 300


@dataclass(frozen=True)
class Rule:
    """Send pages whose host is (a subdomain of) one of `domains`, or whose URL matches a pattern, to `processor`."""

    processor: str
    domains: tuple[str, ...] = ()
    url_patterns: tuple[re.Pattern[str], ...] = ()

    def matches(self, url: str) -> bool:
        try:
            host = (urlsplit(url).hostname or "").lower().rstrip(".")
        except ValueError:  # e.g. an unbalanced IPv6 bracket: no host to match, patterns may still match
            host = ""
        if any(host == d or host.endswith("." + d) for d in self.domains):
            return True
        return any(p.search(url) for p in self.url_patterns)


def load_rules(path: Path, known: Mapping[str, Processor]) -> list[Rule]:
    """Rules from a YAML list of {processor, domains, url_patterns}; raises ValueError naming the bad rule."""
    return rules_from_text(path.read_text(encoding="utf-8"), known, str(path))


def rules_from_text(text: str, known: Mapping[str, Processor], path: str = "the rules") -> list[Rule]:
    """`load_rules` of a file's text (`path` names it in errors)."""
    data: Any = yaml.safe_load(text)
    if isinstance(data, dict):
        data = data.get("rules")
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of rules ({{processor, domains, url_patterns}})")
    rules: list[Rule] = []
    for number, raw in enumerate(data, start=1):
        where = f"{path}: rule {number}"
        if not isinstance(raw, dict) or raw.get("processor") not in known:
            name = raw.get("processor") if isinstance(raw, dict) else raw
            raise ValueError(f"{where}: unknown processor {name!r}; known: {', '.join(sorted(known))}")
        domains = tuple(str(d).strip().lower().removeprefix("*.").strip(".") for d in raw.get("domains") or [])
        try:
            patterns = tuple(re.compile(str(p), re.IGNORECASE) for p in raw.get("url_patterns") or [])
        except re.error as error:
            raise ValueError(f"{where}: bad url pattern: {error}") from error
        if not domains and not patterns:
            raise ValueError(f"{where}: give at least one domain or url pattern")
        rules.append(Rule(raw["processor"], domains, patterns))
    return rules


def classify_error(kind: Kind, processor: str, message: str, error: BaseException) -> Extraction:
    """An Extraction with status error whose reason says what failed and how."""
    reason = f"{message}: {type(error).__name__}: {error}"[:MAX_REASON_CHARS]
    return Extraction(kind=kind, processor=processor, status=ClassifyStatus.ERROR, reason=reason)


def worker_failed(dispatcher: "Dispatcher", page: FetchedPage, error: BaseException) -> Extraction:
    """The error Extraction of a page whose worker process failed (it died, or its result could not come back)."""
    try:
        processor = dispatcher.choose(page)
        kind, name = processor.kind, processor.name
    except Exception:
        kind, name = Kind.OTHER, "dispatcher"
    return classify_error(kind, name, "classify worker failed", error)


class Dispatcher:
    """Ordered decision: URL rules, then content type, then what the HTML declares, then article/other."""

    def __init__(self, rules: Sequence[Rule], processors: Mapping[str, Processor] | None = None) -> None:
        self.rules = list(rules)
        self.processors: Mapping[str, Processor] = PROCESSORS if processors is None else processors
        missing = {r.processor for r in self.rules} | set(KIND_PROCESSORS.values())
        missing -= set(self.processors)
        if missing:
            raise ValueError(f"no processor registered for: {', '.join(sorted(missing))}")

    @classmethod
    def from_rules_file(
        cls, path: Path | None = None, processors: Mapping[str, Processor] | None = None
    ) -> "Dispatcher":
        """Dispatcher with the rules in `path` (the bundled default rules when None)."""
        known = PROCESSORS if processors is None else processors
        return cls(load_rules(Path(path) if path else DEFAULT_RULES_PATH, known), known)

    @classmethod
    def from_rules_text(cls, text: str) -> "Dispatcher":
        """Dispatcher with the rules of a rules file's text (a worker on another machine gets the text, not a path)."""
        return cls(rules_from_text(text, PROCESSORS), PROCESSORS)

    def route(self, page: FetchedPage) -> tuple[str, str]:
        """Name of the processor for a page, and which step decided (url_rule, content_type, sniffed, fallback)."""
        urls = [u for u in dict.fromkeys((page.final_url, page.url)) if u]
        for rule in self.rules:
            if any(rule.matches(url) for url in urls):
                return rule.processor, "url_rule"
        media = page.content_type.split("/", 1)[0]
        if media in MEDIA_TYPE_KINDS:
            return KIND_PROCESSORS[MEDIA_TYPE_KINDS[media]], "content_type"
        if is_html(page.content_type, page.body):
            sniffed = sniff_html_kind(page.body)
            if sniffed is not None:
                return KIND_PROCESSORS[sniffed], "sniffed"
            return KIND_PROCESSORS[Kind.ARTICLE], "fallback"
        if page.content_type in PLAIN_TEXT_TYPES:
            return KIND_PROCESSORS[Kind.ARTICLE], "fallback"
        return KIND_PROCESSORS[Kind.OTHER], "fallback"

    def choose(self, page: FetchedPage) -> Processor:
        """The processor that will handle a page."""
        return self.processors[self.route(page)[0]]

    def classify(self, page: FetchedPage) -> Extraction:
        """Kind and extracted facts of one page; never raises (a failure is status error with a reason)."""
        try:
            name, routed_by = self.route(page)
            processor = self.processors[name]
        except Exception as error:
            return classify_error(Kind.OTHER, "dispatcher", "could not choose a processor", error)
        try:
            extraction = processor.process(page)
            if not isinstance(extraction, Extraction):
                raise TypeError(f"returned {type(extraction).__name__}, not an Extraction")
        except Exception as error:
            extraction = classify_error(processor.kind, processor.name, f"{processor.name} processor failed", error)
        extraction.processor = extraction.processor or processor.name
        extraction.details.setdefault("routed_by", routed_by)
        return extraction


def classify_pages(
    pages: Sequence[FetchedPage],
    rules_path: Path | None = None,
    workers: int = 1,
    *,
    inline_below: int | None = None,
) -> list[Extraction]:
    """Classify one batch, results in input order, over a process pool that lives for this call only.

    Inline when workers <= 1 or the batch is small. A run that classifies several batches (a stage's chunks)
    should keep one `content_pipeline.classify.pool.ClassifyPool` open for all of them instead.
    """
    from content_pipeline.classify.pool import INLINE_BELOW, ClassifyPool  # the pool module imports this one

    below = INLINE_BELOW if inline_below is None else inline_below
    with ClassifyPool(rules_path, workers, inline_below=below) as pool:
        return pool.classify(pages)
