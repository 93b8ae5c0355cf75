"""Platform metadata read from OpenGraph, Twitter cards and JSON-LD."""

import pytest

from content_pipeline.classify.page_metadata import normalize_date, parse_iso_duration, read_metadata


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("PT4M13S", 253.0),
        ("PT1H2M3S", 3723.0),
        ("PT38M20S", 2300.0),
        ("P1DT2H", 93600.0),
        ("PT0.5S", 0.5),
        ("pt90s", 90.0),
        ("4:13", 253.0),
        ("1:02:03", 3723.0),
        ("253", 253.0),
        (253, 253.0),
        ("PT", None),
        ("P", None),
        ("four minutes", None),
        ("", None),
        (None, None),
    ],
)
def test_durations_become_seconds(value: object, seconds: float | None) -> None:
    assert parse_iso_duration(value) == seconds


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-05-04T19:12:44Z", "2025-05-04T19:12:44+00:00"),
        ("2025-06-12", "2025-06-12"),
        ("June 12, 2025", "June 12, 2025"),
        ("", None),
    ],
)
def test_dates_are_normalized_when_they_parse_and_kept_otherwise(value: str, expected: str | None) -> None:
    assert normalize_date(value) == expected


def test_opengraph_wins_over_json_ld_and_links_become_absolute() -> None:
    html = """<html lang="pt-BR"><head>
      <title>Fallback title</title>
      <meta property="og:title" content="OG title">
      <meta property="og:image" content="/thumb.jpg">
      <link rel="alternate" type="application/json+oembed" href="/oembed?url=x&amp;format=json">
      <script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "name": "Site"},
        {"@type": "VideoObject", "name": "LD title", "duration": "PT2M", "creator": {"@type": "Person", "name": "Ana"}}
      ]}</script>
    </head><body></body></html>"""
    meta = read_metadata(html, "https://video.example/watch/1", prefer_types=["VideoObject"])
    assert meta.title == "OG title"
    assert meta.author == "Ana"
    assert meta.duration_seconds == 120.0
    assert meta.thumbnail == "https://video.example/thumb.jpg"
    assert meta.oembed_url == "https://video.example/oembed?url=x&format=json"
    assert meta.language == "pt"
    assert meta.jsonld_types == ["WebSite", "VideoObject"]


def test_broken_json_ld_and_missing_tags_do_not_raise() -> None:
    html = '<html><head><script type="application/ld+json">{"@type": "VideoObject",</script></head><body></body></html>'
    meta = read_metadata(html, "https://example.com/")
    assert meta.title is None and meta.duration_seconds is None
    assert read_metadata("", "https://example.com/").problems == ["not parseable as HTML"]
