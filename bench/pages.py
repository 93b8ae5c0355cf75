"""Generated article pages for the benchmarks: 30-80 KiB of HTML that look like real news and blog pages.

    from pages import article_page, article_pages  # in a bench script: bench/ is on sys.path
    page = article_page(7, random.Random(7))  # bytes, UTF-8
    pages = article_pages(2000, seed=1)  # the same list on every run

Each page has an article (headline, byline, date, ~300-2,000 words in paragraphs with subheadings, and some of a
quote, a figure, a list, a table, an ad slot) inside the boilerplate real sites carry: <head> with OpenGraph, Twitter
card, JSON-LD and stylesheets, inline and external scripts, a navigation bar, breadcrumbs, share buttons, a sidebar
of related links, a newsletter box, a comment thread, a grid of "more stories" cards, a cookie banner and a footer of
links; inline script (hydration state) makes up the rest of the page's weight. One of several site templates
(WordPress, news site, Medium-like, div soup...) decides class names and nesting; a seeded RNG decides everything
else, so the same (i, rng state) gives the same bytes. About one page in ten is in German, French or Spanish.
"""

from __future__ import annotations

import html
import json
import random

MIN_PAGE_BYTES = 30 * 1024
MAX_PAGE_BYTES = 80 * 1024


def _split(text: str, separator: str | None = None) -> list[str]:
    return text.split(separator)


_WORDS = {
    "en": _split(
        "the of and to in a is that for it as was with be by on not he this are or his from at which but have an "
        "they you were her she there been one all we their has would when if so no will more can said who them "
        "city council budget report water school energy market company workers research study data people year "
        "government election policy climate health hospital river bridge train station museum library festival "
        "season team players coach league match final record price growth inflation bank rates housing tenants "
        "farmers harvest drought storm coast village minister plan proposal vote residents survey scientists "
        "engineers software network security privacy court judge ruling appeal officials statement spokesperson"
    ),
    "de": _split(
        "der die das und in zu den von mit sich des auf für ist im dem nicht ein eine als auch es an werden aus er "
        "hat dass sie nach wird bei einer um am sind noch wie einem über einen so zum war haben nur oder aber vor "
        "Stadt Rat Haushalt Bericht Wasser Schule Energie Markt Unternehmen Arbeiter Forschung Studie Menschen "
        "Jahr Regierung Wahl Klima Gesundheit Krankenhaus Fluss Brücke Bahnhof Museum Bibliothek Mannschaft"
    ),
    "fr": _split(
        "de la le et les des en un du une que est pour qui dans par plus pas au sur se ne il sont ce elle avec "
        "son mais ont été cette comme aux nous leur tout fait même ville conseil budget rapport eau école énergie "
        "marché entreprise travailleurs recherche étude données personnes année gouvernement élection politique "
        "climat santé hôpital rivière pont gare musée bibliothèque festival saison équipe joueurs entraîneur"
    ),
    "es": _split(
        "de la que el en y a los del se las por un para con no una su al lo como más pero sus le ya o este sí "
        "porque esta entre cuando muy sin sobre también me hasta hay donde ciudad consejo presupuesto informe "
        "agua escuela energía mercado empresa trabajadores investigación estudio datos personas año gobierno "
        "elección política clima salud hospital río puente estación museo biblioteca festival temporada equipo"
    ),
}
_NAMES = _split("Ana Ben Chloe David Elena Farid Grace Hiro Ines Jonas Kemal Lena Marco Nadia Omar Priya Quinn Rosa")
_SURNAMES = _split("Adler Brooks Costa Dubois Evans Fischer Garcia Haddad Ito Jensen Kowalski Larsen Moreau Novak")
_SECTIONS = _split("News World Business Science Sport Culture Opinion Technology Health Travel Local Climate")
_SITES = _split("Daily Ledger|Harbor Times|The Northern Post|Civic Wire|Metro Gazette|Riverside Chronicle", "|")

# name: (article wrapper, body wrapper class, sidebar class, comments class, nav class)
_TEMPLATES: tuple[tuple[str, str, str, str, str], ...] = (
    ("article", "entry-content", "widget-area", "comments-area", "main-navigation"),
    ("div", "article-body", "rail", "comment-list", "site-nav"),
    ("section", "post-content", "sidebar", "discussion", "navbar"),
    ("article", "story-body__inner", "related-content", "comments", "global-nav"),
    ("div", "c-entry-content", "l-sidebar", "c-comments", "c-nav"),
    ("main", "rich-text", "aside-stack", "responses", "topbar"),
)


def _sentence(rng: random.Random, words: list[str], low: int = 8, high: int = 24) -> str:
    chosen = [rng.choice(words) for _ in range(rng.randint(low, high))]
    return chosen[0].capitalize() + " " + " ".join(chosen[1:]) + rng.choice((".", ".", ".", "?", "!"))


def _paragraph(rng: random.Random, words: list[str], sentences: int) -> str:
    parts = [_sentence(rng, words) for _ in range(sentences)]
    if rng.random() < 0.4:  # an inline link or emphasis, as editors add them
        k = rng.randrange(len(parts))
        parts[k] = f'<a href="/{rng.choice(_SECTIONS).lower()}/{rng.randint(1000, 99999)}">{parts[k]}</a>'
    if rng.random() < 0.2:
        k = rng.randrange(len(parts))
        parts[k] = f"<em>{parts[k]}</em>"
    return "<p>" + " ".join(parts) + "</p>"


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_NAMES)} {rng.choice(_SURNAMES)}"


def _links(rng: random.Random, count: int, words: list[str]) -> str:
    return "".join(
        f'<li><a href="/{rng.choice(_SECTIONS).lower()}/{rng.randint(100, 9999)}">'
        f"{_sentence(rng, words, 2, 5).rstrip('.?!')}</a></li>"
        for _ in range(count)
    )


def _head(rng: random.Random, title: str, description: str, site: str, author: str, date: str, url: str) -> str:
    jsonld = {
        "@context": "https://schema.org",
        "@type": rng.choice(("NewsArticle", "Article", "BlogPosting")),
        "headline": title,
        "description": description,
        "datePublished": date,
        "dateModified": date,
        "author": {"@type": "Person", "name": author},
        "publisher": {"@type": "Organization", "name": site, "logo": {"@type": "ImageObject", "url": "/logo.png"}},
        "mainEntityOfPage": url,
        "image": [f"https://cdn.example.org/img/{rng.randint(1, 10**6)}.jpg"],
    }
    styles = "".join(
        f'<link rel="stylesheet" href="/assets/{rng.choice(("main", "theme", "print", "fonts"))}.{rng.randint(1, 999)}'
        '.css">'
        for _ in range(rng.randint(1, 5))
    )
    inline_css = "".join(
        f".c{rng.randint(1, 9999)}{{margin:{rng.randint(0, 40)}px;color:#{rng.randint(0, 0xFFFFFF):06x}}}"
        for _ in range(rng.randint(10, 120))
    )
    return (
        '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} | {site}</title>"
        f'<meta name="description" content="{html.escape(description)}">'
        f'<meta property="og:type" content="article"><meta property="og:title" content="{html.escape(title)}">'
        f'<meta property="og:description" content="{html.escape(description)}">'
        f'<meta property="og:site_name" content="{site}"><meta property="og:url" content="{url}">'
        f'<meta property="og:image" content="https://cdn.example.org/og/{rng.randint(1, 10**6)}.jpg">'
        f'<meta property="article:published_time" content="{date}">'
        f'<meta name="twitter:card" content="summary_large_image"><meta name="author" content="{author}">'
        f'<link rel="canonical" href="{url}">{styles}<style>{inline_css}</style>'
        f'<script type="application/ld+json">{json.dumps(jsonld)}</script>'
        '<script async src="https://www.googletagmanager.com/gtag/js?id=G-XYZ"></script>'
        "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
        "gtag('js',new Date());gtag('config','G-XYZ');</script></head>"
    )


def _article(rng: random.Random, words: list[str], title: str, author: str, date: str, body_class: str) -> str:
    blocks: list[str] = []
    for number in range(rng.randint(6, 26)):
        blocks.append(_paragraph(rng, words, rng.randint(2, 6)))
        if number and number % rng.randint(3, 7) == 0:
            blocks.append(f"<h2>{_sentence(rng, words, 3, 7).rstrip('.?!')}</h2>")
    extras = [
        f"<blockquote><p>{_sentence(rng, words)}</p><cite>{_person(rng)}</cite></blockquote>",
        f'<figure><img src="/img/{rng.randint(1, 10**6)}.jpg" alt="{_sentence(rng, words, 3, 6)}" width="800" '
        f'height="450"><figcaption>{_sentence(rng, words, 5, 12)}</figcaption></figure>',
        "<ul>" + "".join(f"<li>{_sentence(rng, words, 4, 10)}</li>" for _ in range(rng.randint(3, 6))) + "</ul>",
        "<table><tr><th>Year</th><th>Value</th></tr>"
        + "".join(f"<tr><td>{2010 + k}</td><td>{rng.randint(10, 999)}</td></tr>" for k in range(rng.randint(3, 8)))
        + "</table>",
        f'<div class="ad-slot" data-slot="{rng.randint(1, 99)}"><span>Advertisement</span></div>',
    ]
    for extra in rng.sample(extras, rng.randint(1, len(extras))):
        blocks.insert(rng.randint(1, len(blocks)), extra)
    share = "".join(f'<a class="share-{n}" href="#">{n.title()}</a>' for n in ("facebook", "x", "email", "linkedin"))
    return (
        f'<header class="article-header"><h1>{html.escape(title)}</h1>'
        f'<p class="byline">By <a rel="author" href="/authors/{author.lower().replace(" ", "-")}">{author}</a> '
        f'<time datetime="{date}">{date[:10]}</time></p></header>'
        f'<div class="share-bar">{share}</div><div class="{body_class}">{"".join(blocks)}</div>'
        f'<div class="tags">{"".join(f"<a href=/tag/{w}>{w}</a>" for w in rng.sample(words, 4))}</div>'
    )


def _comments(rng: random.Random, words: list[str], count: int, css: str) -> str:
    items = "".join(
        f'<li class="comment" id="c{rng.randint(1, 10**7)}"><div class="comment-author">{_person(rng)}</div>'
        f'<div class="comment-body">{_paragraph(rng, words, rng.randint(1, 3))}</div>'
        '<a class="reply" href="#">Reply</a></li>'
        for _ in range(count)
    )
    return f'<section class="{css}"><h3>{count} comments</h3><ol>{items}</ol></section>'


_ICON = (
    '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true">'
    '<path d="M12 2l3 7h7l-5.5 4 2 7-6.5-4.5L5.5 20l2-7L2 9h7z"></path></svg>'
)


def _card_grid(rng: random.Random, words: list[str], size: int) -> str:
    """About `size` characters of "more stories" cards: the nested divs, images and icons that weigh real pages."""
    cards: list[str] = []
    length = 0
    while length < size:
        slug = f"/{rng.choice(_SECTIONS).lower()}/{rng.randint(1000, 99999)}"
        card = (
            f'<div class="card card--{rng.choice(("small", "wide", "tall"))}"><div class="card__media">'
            f'<a href="{slug}"><picture><source srcset="/img/{rng.getrandbits(40):x}.webp" type="image/webp">'
            f'<img src="/img/{rng.getrandbits(40):x}.jpg" loading="lazy" alt=""></picture></a></div>'
            f'<div class="card__body"><span class="card__kicker">{rng.choice(_SECTIONS)}</span>'
            f'<h3 class="card__title"><a href="{slug}">{_sentence(rng, words, 4, 9).rstrip(".?!")}</a></h3>'
            f'<div class="card__meta"><span>{_person(rng)}</span>{_ICON}<span>{rng.randint(1, 59)} min</span>'
            "</div></div></div>"
        )
        cards.append(card)
        length += len(card)
    return f'<section class="more-stories"><h2>More stories</h2><div class="grid">{"".join(cards)}</div></section>'


def _script_blob(rng: random.Random, size: int) -> str:
    """An inline script of about `size` characters: the hydration state and bundles real pages inline."""
    state: list[dict[str, object]] = []
    length = 0
    while length < size:
        item = {"id": rng.randint(1, 10**9), "slug": f"s{rng.getrandbits(48):x}", "score": rng.random()}
        state.append(item)
        length += len(json.dumps(item, separators=(",", ":"))) + 1
    return f"<script>window.__INITIAL_STATE__={json.dumps(state, separators=(',', ':'))};</script>"


def article_page(i: int, rng: random.Random) -> bytes:
    """One generated article page of 30-80 KiB (UTF-8 HTML); page `i` names its URL, `rng` decides the rest."""
    language = "en" if rng.random() < 0.9 else rng.choice(("de", "fr", "es"))
    words = _WORDS[language]
    wrapper, body_class, sidebar_css, comments_css, nav_css = rng.choice(_TEMPLATES)
    site = rng.choice(_SITES)
    section = rng.choice(_SECTIONS)
    title = _sentence(rng, words, 5, 12).rstrip(".?!")
    description = _sentence(rng, words, 12, 25)
    author = _person(rng)
    day = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    date = f"{day}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"
    url = f"https://news{i % 50}.example.org/{section.lower()}/{i}-{title.lower().replace(' ', '-')[:60]}"
    target = rng.randint(MIN_PAGE_BYTES + 128, MAX_PAGE_BYTES - 128)  # the blob lands within ~100 bytes

    nav = f'<nav class="{nav_css}"><ul>{_links(rng, rng.randint(12, 45), _WORDS["en"])}</ul></nav>'
    crumbs = f'<ol class="breadcrumbs"><li><a href="/">Home</a></li><li><a href="/{section.lower()}">{section}</a></li>'
    crumbs += "</ol>"
    article = _article(rng, words, title, author, date, body_class)
    sidebar = (
        f'<aside class="{sidebar_css}"><h3>Most read</h3><ol>{_links(rng, rng.randint(5, 15), words)}</ol>'
        f'<div class="newsletter"><h3>Get our newsletter</h3><form action="/subscribe"><input type="email" '
        'name="email" placeholder="you@example.org"><button>Sign up</button></form></div></aside>'
    )
    comments = _comments(rng, words, rng.randint(0, 25), comments_css) if rng.random() < 0.7 else ""
    footer = (
        f'<footer class="site-footer"><ul>{_links(rng, rng.randint(15, 60), _WORDS["en"])}</ul>'
        f"<p>© 2026 {site}. All rights reserved.</p></footer>"
        '<div id="cookie-banner" class="consent">We use cookies to improve your experience. '
        '<button class="accept">Accept</button><button class="reject">Reject</button></div>'
    )
    scripts = "".join(f'<script src="/static/js/chunk.{rng.getrandbits(32):08x}.js" defer></script>' for _ in range(6))
    parts = [
        f'<!DOCTYPE html>\n<html lang="{language}">',
        _head(rng, title, description, site, author, date, url),
        f'<body class="{section.lower()} single"><a class="skip" href="#main">Skip to content</a>{nav}{crumbs}',
        f'<{wrapper} id="main" class="content">{article}</{wrapper}>',
        sidebar,
        comments,
        footer,
        scripts,
    ]
    size = sum(len(p.encode("utf-8")) for p in parts) + len("</body></html>\n")
    if size < target:  # the rest of the weight: cards of other stories, and inline script, as on real pages
        cards = _card_grid(rng, words, int((target - size) * rng.uniform(0.3, 0.8)))
        parts.insert(-2, cards)
        size += len(cards.encode("utf-8"))
    if size < target:
        parts.append(_script_blob(rng, target - size - 43))
    return ("".join(parts) + "</body></html>\n").encode("utf-8")


def article_pages(count: int, seed: int = 13) -> list[bytes]:
    """`count` generated pages, the same list for the same seed."""
    rng = random.Random(seed)
    return [article_page(i, rng) for i in range(count)]


if __name__ == "__main__":
    sizes = [len(p) for p in article_pages(200)]
    print(f"200 pages: {min(sizes) / 1024:.1f}-{max(sizes) / 1024:.1f} KiB, mean {sum(sizes) / len(sizes) / 1024:.1f}")
