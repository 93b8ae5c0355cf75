"""Platform pages (video, audio, social) with each platform's real markup: what a user gets out of each one.

The fixtures under tests/fixtures/pages/platforms copy the structure of the real pages (tag and attribute names,
JSON-LD shapes, embedded state) with invented titles and texts.
"""

from dataclasses import dataclass
from pathlib import Path

import pytest

from content_pipeline.classify.dispatcher import Dispatcher
from content_pipeline.classify.models import Extraction, FetchedPage, Kind
from content_pipeline.status import ClassifyStatus

PLATFORM_PAGES = Path(__file__).resolve().parents[2] / "fixtures" / "pages" / "platforms"
YOUTUBE_URL = "https://www.youtube.com/watch?v=abc123XYZ_0"
YOUTUBE_OEMBED = (
    "https://www.youtube.com/oembed?format=json&url=https%3A%2F%2Fwww.youtube.com%2Fwatch%3Fv%3Dabc123XYZ_0"
)
YOUTUBE_TITLE = "Restoring a 1950s Wooden Dinghy – Part 3: The Transom"
YOUTUBE_TEXT = "The rotten transom comes out, a new one goes in: templates, steaming oak and a lot of clamps."
LIGHTHOUSE_TEXT = (
    "In 1931 the keepers of six lighthouses walked off the job for nine days. We follow the letters they left behind."
)
MASTODON_TEXT = (
    "Nine days in 1931 when six lighthouses went dark on purpose. New episode of Tidewater Stories is out: "
    "the keepers' strike, told through their own letters. #history #lighthouses #podcast"
)


@dataclass(frozen=True)
class Expected:
    """What the dispatcher must extract from one fixture served at `url`."""

    fixture: str
    url: str
    kind: Kind
    title: str
    author: str
    published: str
    thumbnail: str
    text: str
    duration_seconds: int | None = None
    oembed_url: str | None = None
    handle: str | None = None
    routed_by: str = "url_rule"


PLATFORMS = [
    Expected(
        "youtube_watch",
        YOUTUBE_URL,
        Kind.VIDEO,
        YOUTUBE_TITLE,
        "Harbour Light Workshop",
        "2024-03-01T08:00:12-08:00",
        "https://i.ytimg.com/vi/abc123XYZ_0/maxresdefault.jpg",
        YOUTUBE_TEXT,
        duration_seconds=253,
        oembed_url=YOUTUBE_OEMBED,
    ),
    Expected(
        "youtube_watch_microdata_only",
        "https://m.youtube.com/watch?v=abc123XYZ_0",
        Kind.VIDEO,
        YOUTUBE_TITLE,
        "Harbour Light Workshop",  # from <link itemprop="name" content="...">, YouTube's way of writing it
        "2024-03-01T08:00:12-08:00",
        "https://i.ytimg.com/vi/abc123XYZ_0/maxresdefault.jpg",
        YOUTUBE_TEXT,
        duration_seconds=253,
        oembed_url=YOUTUBE_OEMBED,
    ),
    Expected(
        "vimeo_video",
        "https://vimeo.com/876543210",
        Kind.VIDEO,
        "Salt Marsh at Low Tide",
        "Ines Calder",
        "2023-10-14T09:12:45-04:00",
        "https://i.vimeocdn.com/video/1745551234-5e1f0a9c2b7d-d_1280x720?r=pad",
        # the JSON-LD description is the full one; og:description is cut short
        "Four minutes in the salt marsh behind Aldmouth as the tide goes out. "
        "Shot on a single morning in October, no music, just the marsh.",
        duration_seconds=201,
        oembed_url="https://vimeo.com/api/oembed.json?url=https%3A%2F%2Fvimeo.com%2F876543210",
    ),
    Expected(
        "tiktok_video",
        "https://www.tiktok.com/@mara.bakes/video/7312345678901234567",
        Kind.VIDEO,
        "Sourdough scoring in 15 seconds 🍞 #bread #sourdough #baking",
        "Mara Bakes",
        "2023-12-14T15:00:00+00:00",
        "https://p16-sign-va.tiktokcdn.com/obj/tos-maliva-p-0068/oQx1cover9Zk?x-expires=1702900000&x-signature=abc%3D",
        "Sourdough scoring in 15 seconds 🍞 #bread #sourdough #baking",
        duration_seconds=15,
        handle="@mara.bakes",
    ),
    Expected(
        "soundcloud_track",
        "https://soundcloud.com/lantern-choir/night-ferry-to-brellin",
        Kind.AUDIO,
        "Night Ferry to Brellin",
        "The Lantern Choir",
        "2024-09-20T17:30:00+00:00",
        "https://i1.sndcdn.com/artworks-Qx7pLm2Rk9sT-0-t500x500.jpg",
        "A song about the last boat of the night, recorded live in the old chapel at Dunmere.",
        duration_seconds=244,
        oembed_url="https://soundcloud.com/oembed?url=https%3A%2F%2Fsoundcloud.com%2Flantern-choir%2Fnight-ferry-to-brellin&format=json",
    ),
    Expected(
        "spotify_episode",
        "https://open.spotify.com/episode/4rOoJ6Egrf8K2IrywzwOMk",
        Kind.AUDIO,  # og:type says video.episode; the domain rule decides first
        "The Lighthouse Keepers' Strike",
        "Tidewater Stories",
        "2024-05-02",
        "https://i.scdn.co/image/ab6765630000ba8a5c0ffee0ddba11f00dcafe42",
        "Listen to this episode from Tidewater Stories on Spotify. " + LIGHTHOUSE_TEXT,
        duration_seconds=2731,
        oembed_url="https://open.spotify.com/oembed?url=https%3A%2F%2Fopen.spotify.com%2Fepisode%2F4rOoJ6Egrf8K2IrywzwOMk",
    ),
    Expected(
        "podcast_episode",
        "https://www.tidewaterstories.org/episodes/12-lighthouse-keepers-strike",
        Kind.AUDIO,
        "12. The Lighthouse Keepers' Strike",
        "Nell Arden",
        "2024-05-02",
        "https://www.tidewaterstories.org/media/artwork/ep12-1400.jpg",
        LIGHTHOUSE_TEXT,
        duration_seconds=45 * 60 + 31,  # from associatedMedia.duration
        routed_by="sniffed",
    ),
    Expected(
        "apple_podcasts_episode",
        "https://podcasts.apple.com/us/podcast/the-lighthouse-keepers-strike/id1598765432?i=1000654321987",
        Kind.AUDIO,
        "The Lighthouse Keepers' Strike",
        "Tidewater Stories",  # productionCompany: Apple names no host
        "2024-05-02",
        "https://is1-ssl.mzstatic.com/image/thumb/Podcasts126/v4/ab/cd/ef/abcdef01-2345-6789-abcd-ef0123456789/"
        "mza_1234567890.jpg/1200x1200bf-60.jpg",
        LIGHTHOUSE_TEXT,
        duration_seconds=45 * 60,  # from timeRequired
    ),
    Expected(
        "x_post",
        "https://x.com/nellarden/status/1786100873295278125",
        Kind.SOCIAL,
        "Nell Arden (@nellarden) on X",
        "Nell Arden",
        "2024-05-02T18:30:07+00:00",  # from the status id: X pages carry no date
        "https://pbs.twimg.com/media/GMq8sT2XkAAm3Zp.jpg:large",
        "Found the 1931 keepers' strike letters in a biscuit tin at the county archive. "
        "Nine days, six lights, one very angry inspector. Thread below.",
        handle="@nellarden",
    ),
    Expected(
        "reddit_post",
        "https://www.reddit.com/r/lighthouses/comments/1cj4k2x/found_my_greatgrandfathers_logbook_from_the_1931/",
        Kind.SOCIAL,
        "Found my great-grandfather's logbook from the 1931 keepers' strike",  # not "r/lighthouses on Reddit: ..."
        "tidewatcher",
        "2024-05-03T21:04:17.123000+00:00",
        "https://share.redd.it/preview/post/1cj4k2x",
        "It was in a tin under the stairs at my grandmother's house. Every entry for those nine days ends with the "
        "same line: light extinguished by order of the committee. Happy to scan pages if anyone is researching the "
        "strike.",
    ),
    Expected(
        "mastodon_status",
        "https://toot.harbour.coop/@nell/112345678901234567",
        Kind.SOCIAL,
        "Nell Arden (@nell@toot.harbour.coop)",
        "Nell Arden",
        "2024-05-04T09:15:42+00:00",
        "https://files.toot.harbour.coop/accounts/avatars/109/876/543/210/987/654/original/5f2a9c1e7b3d.png",
        MASTODON_TEXT,
        oembed_url="https://toot.harbour.coop/api/oembed?format=json&url=https%3A%2F%2Ftoot.harbour.coop%2F%40nell%2F112345678901234567",
        handle="@nell@toot.harbour.coop",
    ),
    Expected(
        "bluesky_post",
        "https://bsky.app/profile/nellarden.bsky.social/post/3kr7xq2abc22w",
        Kind.SOCIAL,
        "Nell Arden (@nellarden.bsky.social)",
        "Nell Arden",
        "2024-05-04T12:01:33.512000+00:00",
        "https://cdn.bsky.app/img/feed_thumbnail/plain/did:plc:4xk2q7nm3ardenexample/bafkreihx5lighthousethumb@jpeg",
        "Recorded the lighthouse episode at the actual lighthouse. The wind ate half the audio, "
        "so you will hear me shouting about 1931 over a gale. Worth it.",
        oembed_url="https://embed.bsky.app/oembed?format=json&url=at%3A%2F%2Fdid%3Aplc%3A4xk2q7nm3ardenexample%2Fapp.bsky.feed.post%2F3kr7xq2abc22w",
        handle="@nellarden.bsky.social",
    ),
    Expected(
        "instagram_post",
        "https://www.instagram.com/p/C6kXyZ1abcD/",
        Kind.SOCIAL,
        'Nell Arden on Instagram: "The 1931 logbook, page 14. “Light extinguished by order of the committee.” '
        'Same line, nine days running. #lighthouses #history"',
        "Nell Arden",
        "2024-05-03",  # from "nellarden on May 3, 2024:" in og:description
        "https://scontent-lhr8-1.cdninstagram.com/v/t51.29350-15/441234567_1122334455667788_1234567890123456789_n.jpg"
        "?stp=dst-jpg_e35&_nc_ht=scontent-lhr8-1.cdninstagram.com&oh=00_AfD1&oe=663A1B2C",
        "The 1931 logbook, page 14. “Light extinguished by order of the committee.” Same line, nine days running. "
        "#lighthouses #history",
        handle="@nellarden",
    ),
]


@pytest.fixture(scope="module")
def dispatcher() -> Dispatcher:
    return Dispatcher.from_rules_file()


def platform_page(fixture: str, url: str) -> FetchedPage:
    """A fixture as the fetch stage hands it over after following redirects to `url`."""
    return FetchedPage(url, url, "text/html", (PLATFORM_PAGES / f"{fixture}.html").read_bytes(), "utf-8")


def classify(dispatcher: Dispatcher, fixture: str, url: str) -> Extraction:
    return dispatcher.classify(platform_page(fixture, url))


@pytest.mark.parametrize("expected", PLATFORMS, ids=[e.fixture for e in PLATFORMS])
def test_each_platform_page_yields_title_author_date_thumbnail_and_text(
    dispatcher: Dispatcher, expected: Expected
) -> None:
    extraction = classify(dispatcher, expected.fixture, expected.url)

    assert (extraction.status, extraction.reason) == (ClassifyStatus.OK, "")
    assert (extraction.kind, extraction.processor) == (expected.kind, expected.kind.value)
    assert extraction.details["routed_by"] == expected.routed_by
    assert extraction.title == expected.title
    assert extraction.author == expected.author
    assert extraction.published == expected.published
    assert extraction.thumbnail == expected.thumbnail
    assert extraction.text == expected.text
    assert extraction.description  # the card's own description is kept beside the post text
    assert extraction.word_count == len(expected.text.split())
    assert extraction.language == "en"


@pytest.mark.parametrize("expected", PLATFORMS, ids=[e.fixture for e in PLATFORMS])
def test_duration_oembed_link_and_handle_are_reported_where_the_page_has_them(
    dispatcher: Dispatcher, expected: Expected
) -> None:
    details = classify(dispatcher, expected.fixture, expected.url).details
    assert details["duration_seconds"] == expected.duration_seconds
    assert details["oembed_url"] == expected.oembed_url
    if expected.kind == Kind.SOCIAL or expected.handle:
        assert details["handle"] == expected.handle


def test_a_video_names_its_channel_and_upload_date(dispatcher: Dispatcher) -> None:
    for fixture in ("youtube_watch", "youtube_watch_microdata_only"):
        details = classify(dispatcher, fixture, YOUTUBE_URL).details
        assert details["channel"] == "Harbour Light Workshop"
        assert details["upload_date"] == "2024-03-01T08:00:12-08:00"
        assert details["embed_url"] == "https://www.youtube.com/embed/abc123XYZ_0"


def test_a_youtube_short_link_is_read_as_the_video_it_leads_to(dispatcher: Dispatcher) -> None:
    page = platform_page("youtube_watch", YOUTUBE_URL)
    short = FetchedPage("https://youtu.be/abc123XYZ_0", page.final_url, page.content_type, page.body, page.charset)
    extraction = dispatcher.classify(short)
    assert (extraction.kind, extraction.title) == (Kind.VIDEO, YOUTUBE_TITLE)


def test_a_mastodon_status_on_an_unlisted_instance_is_recognised_by_its_activitypub_link(
    dispatcher: Dispatcher,
) -> None:
    url = "https://toot.harbour.coop/users/nell/statuses/112345678901234567"  # matches no domain or URL rule
    extraction = classify(dispatcher, "mastodon_status", url)
    assert (extraction.kind, extraction.details["routed_by"]) == (Kind.SOCIAL, "sniffed")
    assert (extraction.author, extraction.text) == ("Nell Arden", MASTODON_TEXT)
    assert extraction.details["activitypub_url"] == url


def test_a_podcast_episode_names_its_show_episode_number_and_audio_file(dispatcher: Dispatcher) -> None:
    url = "https://www.tidewaterstories.org/episodes/12-lighthouse-keepers-strike"
    details = classify(dispatcher, "podcast_episode", url).details
    assert (details["series"], details["episode_number"]) == ("Tidewater Stories", "12")
    assert details["content_url"] == "https://media.tidewaterstories.org/audio/tidewater-012.mp3"


def test_the_x_posting_time_says_it_was_read_from_the_status_id(dispatcher: Dispatcher) -> None:
    details = classify(dispatcher, "x_post", "https://twitter.com/nellarden/status/1786100873295278125").details
    assert details["published_from"] == "status id"


def test_language_comes_from_the_content_not_the_viewers_interface_language(dispatcher: Dispatcher) -> None:
    body = (PLATFORM_PAGES / "youtube_watch.html").read_text(encoding="utf-8")
    german = "Das morsche Spiegelheck kommt raus, ein neues kommt rein: Schablonen, gedämpfte Eiche und viele Zwingen."
    body = body.replace(YOUTUBE_TEXT, german).replace(YOUTUBE_TITLE, "Wir restaurieren eine Holzjolle aus den 50ern")
    assert 'lang="en"' in body  # YouTube writes the viewer's interface language, not the video's
    page = FetchedPage(YOUTUBE_URL, YOUTUBE_URL, "text/html", body.encode("utf-8"), "utf-8")
    extraction = dispatcher.classify(page)
    assert extraction.language == "de"
    assert extraction.details["language_confidence"] > 0.9


def test_platform_fixtures_stay_small_hand_written_pages() -> None:
    sizes = {path.name: path.stat().st_size for path in PLATFORM_PAGES.glob("*.html")}
    assert len(sizes) == len(PLATFORMS)
    assert max(sizes.values()) < 6_200, sizes
