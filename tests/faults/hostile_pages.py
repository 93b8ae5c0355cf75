"""The bodies the hostile origin serves: real-looking articles, pages in awkward encodings, a PNG, a PDF, a gzip bomb.

Everything is deterministic: article `n` is the same page in every run, so a rerun can be compared with the first.
"""

import functools
import random
import struct
import zlib

FRENCH_TEXT = (
    "L’élève a préparé un café crème près de la fenêtre de la bibliothèque municipale, où le théâtre rénové "
    "accueille dès jeudi une comédie très attendue. Les critiques ont salué la mise en scène élégante, les décors "
    "peints à la main et la musique composée par une étudiante du conservatoire. À la sortie, les spectateurs "
    "échangent leurs impressions sur la soirée, déjà réservée jusqu’à la fin du mois. La directrice espère que "
    "cette saison réconciliera le quartier avec son théâtre, fermé pendant trois années de travaux coûteux. "
    "Près de la gare, les cafés prolongent leurs horaires et proposent des crêpes, des éclairs et des glaces."
)
FRENCH_WORD = "élève"  # appears in the main text only when the encoding was read right

TOPICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "sports": (
        "The league leaders win again after a late goal",
        (
            "The home team scored twice in the second half and moved four points clear at the top of the league.",
            "Their coach praised the defence, which has conceded only three goals in the last ten matches.",
            "The striker, signed last summer, now has fourteen goals this season and leads the scoring table.",
            "Supporters filled the stadium for the derby, the first sell-out since the ground was rebuilt.",
            "The visitors had chances early on, but their goalkeeper was booked and later substituted.",
            "Next week the team travels to the cup quarter-final, where a win would set up a semi-final at home.",
            "The captain said the players were tired after three games in eight days but proud of the result.",
            "Injuries to two midfielders mean the coach must rotate the squad for the tournament abroad.",
        ),
    ),
    "business": (
        "Shares rise as the bank reports higher quarterly profits",
        (
            "The bank reported quarterly profits of 2.1 billion, beating analysts' forecasts by a wide margin.",
            "Its shares rose six percent in early trading, lifting the wider market index to a record high.",
            "Higher interest rates have widened the margin between what it pays savers and charges borrowers.",
            "The chief executive warned that inflation and slower trade could weigh on earnings next year.",
            "Investors welcomed a new buyback plan and a dividend raised for the third year in a row.",
            "The lender also set aside more money for loans that may go unpaid as unemployment creeps up.",
            "Oil prices and the strength of the currency added to the uncertainty in the markets this week.",
            "Rival banks report their results next week, and economists expect a mixed picture for the sector.",
        ),
    ),
    "science": (
        "Researchers train a small model that reads satellite images on a phone",
        (
            "A team of computer scientists has built software that finds flooded fields in satellite images.",
            "The artificial intelligence model is small enough to run on a smartphone without an internet link.",
            "It was trained on thousands of labelled pictures collected by the space agency over ten years.",
            "The researchers say farmers and rescue services could use it where mobile networks are down.",
            "In tests the model matched the accuracy of much larger systems running in data centres.",
            "The code and the training data have been published so that other laboratories can check the results.",
            "Climate scientists hope similar tools will help track droughts and wildfires as they happen.",
            "The next step is a version that also reads radar data, which sees through clouds at night.",
        ),
    ),
    "health": (
        "Hospital trial finds a cheaper treatment works as well for most patients",
        (
            "Doctors at twelve hospitals compared a cheaper generic drug with the usual treatment for two years.",
            "Patients on the generic medicine recovered as quickly and reported fewer side effects.",
            "The trial followed more than three thousand adults with chronic heart disease and high blood pressure.",
            "Public health officials said the findings could save the health service millions every year.",
            "Nurses who ran the clinics noted that patients were more likely to keep taking the cheaper pills.",
            "The researchers caution that people with kidney problems were not included in the study.",
            "A second trial will test whether the treatment also helps patients with diabetes.",
            "The results were published in a medical journal and presented at a cardiology conference.",
        ),
    ),
    "travel": (
        "A weekend in the old port town: food, walks and quiet beaches",
        (
            "The old port town is three hours by train from the capital and easy to explore on foot.",
            "Small hotels near the harbour offer rooms with sea views at half the price of the summer season.",
            "Local restaurants serve grilled fish, fresh bread and lemon cakes baked every morning.",
            "A coastal path leads past the lighthouse to two quiet beaches that are empty outside August.",
            "Families can rent bicycles at the station and follow a flat route along the old railway line.",
            "The covered market opens on Saturday mornings and sells cheese, honey and olive oil from nearby farms.",
            "In the evening the main square fills with musicians and people strolling after dinner.",
            "Travellers should book the last train back early, as it is often full on Sunday evenings.",
        ),
    ),
    "education": (
        "Schools add evening classes for adults who want to finish their degrees",
        (
            "Three secondary schools will open their classrooms in the evening to adults returning to education.",
            "Teachers volunteered to run courses in mathematics, writing and computer skills twice a week.",
            "Students who complete the year can sit the same exams as school leavers and apply to university.",
            "The education ministry is paying for the pilot and will offer scholarships to the best learners.",
            "Many of those enrolled left school early to work and now want qualifications for better jobs.",
            "A tutor explained that most learners study after long shifts, so lessons are short and practical.",
            "The universities in the region have agreed to accept the certificate for their foundation courses.",
            "If the pilot succeeds, evening classes will open in twenty more schools next autumn.",
        ),
    ),
}

PAGE_TEMPLATE = """<!doctype html>
<html lang="{lang}"><head><meta charset="{charset}"><title>{title}</title>
<meta name="author" content="{author}"><meta property="article:published_time" content="2026-11-{day:02d}">
</head><body>
<header><nav><a href="/">Home</a> | <a href="/news">News</a> | <a href="/about">About</a></nav></header>
<main><article><h1>{title}</h1><p class="byline">By {author}, 2026-11-{day:02d}</p>
{paragraphs}
</article></main>
<footer><p>© 2026 The Hostile Gazette. All rights reserved.</p></footer>
</body></html>
"""
AUTHORS = ("Ada Lindqvist", "Tomás Herrera", "Mei Tanaka", "Kofi Mensah", "Lena Novak", "Ravi Iyer")


def article(n: int) -> bytes:
    """A news article of 2-3 KB (UTF-8) on one of a few topics, the same for the same `n`."""
    topic = list(TOPICS)[n % len(TOPICS)]
    title, sentences = TOPICS[topic]
    pick = random.Random(n)
    order = pick.sample(sentences, len(sentences))
    paragraphs = "\n".join(f"<p>{' '.join(order[i : i + 3])}</p>" for i in range(0, len(order), 3))
    page = PAGE_TEMPLATE.format(
        lang="en",
        charset="utf-8",
        title=f"{title} ({n})",
        author=AUTHORS[n % len(AUTHORS)],
        day=1 + n % 28,
        paragraphs=paragraphs,
    )
    return page.encode("utf-8")


def french_page(charset_in_meta: str | None) -> str:
    """The French article as text; `charset_in_meta` None leaves the <meta charset> out."""
    page = PAGE_TEMPLATE.format(
        lang="fr",
        charset=charset_in_meta or "",
        title="Le théâtre rouvre ses portes",
        author="Hélène Girard",
        day=12,
        paragraphs="\n".join(f"<p>{FRENCH_TEXT}</p>" for _ in range(2)),
    )
    return page if charset_in_meta else page.replace('<meta charset="">', "")


def utf8_with_one_bad_byte() -> bytes:
    """The French page in UTF-8, declared as UTF-8, with one byte (0xFF) that is not UTF-8 in the middle."""
    body = french_page("utf-8").encode("utf-8")
    middle = body.index(b"Les critiques")
    return body[:middle] + b"\xff" + body[middle:]


def cp1252_bytes(charset_in_meta: str | None) -> bytes:
    """The French page in windows-1252 (many accented letters, curly apostrophes)."""
    return french_page(charset_in_meta).encode("cp1252")


STUB_PAGE = b"<!doctype html><html><head><title>Soon</title></head><body><p>Coming soon.</p></body></html>"
ROBOTS_TXT = b"User-agent: *\nDisallow: /private/\n"


@functools.cache
def png_image(width: int = 120, height: int = 80) -> bytes:
    """A real PNG (an RGB gradient), built without an image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in (x * 2 % 256, y * 3 % 256, (x + y) % 256))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@functools.cache
def pdf_document() -> bytes:
    """A small valid PDF with one page of text."""
    text = b"BT /F1 18 Tf 20 80 Td (Quarterly report) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


BOMB_MEMBER_BYTES = 64 * 1024 * 1024  # one gzip member of zeros
BOMB_MEMBERS = 16  # 1 GiB once decoded


@functools.cache
def gzip_bomb() -> bytes:
    """About 1 MB of gzip that decodes to 1 GiB of zeros (16 members of 64 MiB, each about 65 KB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1024 * 1024)
    member = b"".join(compressor.compress(zeros) for _ in range(BOMB_MEMBER_BYTES // len(zeros)))
    member += compressor.flush()
    return member * BOMB_MEMBERS
