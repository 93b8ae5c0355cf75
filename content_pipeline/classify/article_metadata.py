"""An article's metadata as trafilatura reads it (`bare_extraction(..., with_metadata=True)`), at a lower cost.

Same steps and helpers as `trafilatura.metadata.extract_metadata` (2.x), with two differences that change no value
the article processor keeps: the licence is not looked for (its footer scan cost ~5% of a page and nothing keeps
it), and the category and tag searches skip their XPath queries (~10% of a page together) when no link of the page
could match them. tests/core/classify/test_article_metadata.py compares the result with trafilatura's own on the
sample site and generated pages, so an upgrade of trafilatura that changes its steps shows up there.
"""

import re
from contextlib import suppress
from typing import Any

from courlan import extract_domain
from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura import metadata as trafilatura_metadata
from trafilatura.settings import Document
from trafilatura.utils import line_processing

# trafilatura keeps a category or tag link only when its href matches this (extract_catstags)
_CATEGORY_HREF = re.compile(r"/categor(?:y|ies|s)?/")
_TAG_HREF = re.compile(r"/tag(?:y|ies|s)?/")
_SECTION_META = './/head//meta[@property="article:section" or contains(@name, "subject")][@content]'


def _links_match(tree: HtmlElement, href: re.Pattern[str]) -> bool:
    return any(href.search(element.get("href") or "") for element in tree.iter("a"))


def categories(tree: HtmlElement) -> list[str]:
    """trafilatura's categories: links in post-meta blocks, else the article:section meta."""
    if _links_match(tree, _CATEGORY_HREF):
        return trafilatura_metadata.extract_catstags("category", tree)
    sections = [element.attrib["content"] for element in tree.xpath(_SECTION_META)]  # its fallback, as it runs it
    return [r for r in dict.fromkeys(line_processing(s) for s in sections if s) if r]


def tags(tree: HtmlElement) -> list[str]:
    """trafilatura's tags: links in tag blocks whose href names a tag."""
    if _links_match(tree, _TAG_HREF):
        return trafilatura_metadata.extract_catstags("tag", tree)
    return []


def article_metadata(tree: HtmlElement, default_url: str | None, date_config: dict[str, Any]) -> Document:
    """Title, author, url, date, site name, description, image, page type, categories and tags of a parsed page."""
    date_config = {**date_config}
    metadata = trafilatura_metadata.examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    with suppress(Exception):  # trafilatura's JSON-LD reader has bugs; it carries on without it too
        metadata = trafilatura_metadata.extract_meta_json(tree, metadata)
    if not metadata.title:
        metadata.title = trafilatura_metadata.extract_title(tree)
    if not metadata.author:
        metadata.author = trafilatura_metadata.extract_author(tree)
    if not metadata.url:
        metadata.url = trafilatura_metadata.extract_url(tree, default_url)
    if metadata.url:
        metadata.hostname = extract_domain(metadata.url, fast=True)
    date_config["url"] = metadata.url
    metadata.date = find_date(tree, **date_config)
    if not metadata.sitename:
        metadata.sitename = trafilatura_metadata.extract_sitename(tree)
    if metadata.sitename:
        metadata.sitename = metadata.sitename.lstrip("@")
        if metadata.sitename and "." not in metadata.sitename and not metadata.sitename[0].isupper():
            metadata.sitename = metadata.sitename.title()
    elif metadata.url and (match := trafilatura_metadata.META_URL.match(metadata.url)):
        metadata.sitename = match[1]
    if not metadata.categories:
        metadata.categories = categories(tree)
    if not metadata.tags:
        metadata.tags = tags(tree)
    metadata.filedate = date_config.get("max_date")
    metadata.clean_and_trim()
    return metadata
