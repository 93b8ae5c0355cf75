"""Images: format, size, EXIF capture time and camera, perceptual hash, and a heuristic visual category."""

import io
import re
from typing import Any

import imagehash
from PIL import ExifTags, Image, ImageChops, ImageStat, UnidentifiedImageError

from content_pipeline.classify.html_text import is_text_document
from content_pipeline.classify.models import Extraction, FetchedPage, Kind
from content_pipeline.classify.processors.base import describe_type, nothing_useful, unsupported
from content_pipeline.status import ClassifyStatus

MAX_IMAGE_PIXELS = 100_000_000  # larger images are refused before decoding (decompression bombs)
SIGNAL_SIZE = 128  # images are reduced to this many pixels a side to compute the visual signals
ICON_MAX_SIDE = 48  # images no larger than this are icons whatever they show
GREYSCALE_MAX_CHANNEL_SPREAD = 4.0  # mean |R-G|+|G-B| below which a colour image is treated as greyscale
GRAPHIC_MAX_COLOUR_RATIO = 0.15  # flat graphics use few distinct (quantized) colours per pixel...
GRAPHIC_MIN_TOP_COLOURS_SHARE = 0.5  # ...and a handful of colours cover most of the picture


def _exif_details(image: Image.Image) -> dict[str, Any]:
    exif = image.getexif()
    if not exif:
        return {}
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    captured = sub.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
    details: dict[str, Any] = {
        "exif_datetime": _exif_time(captured),
        "camera_make": _clean(exif.get(ExifTags.Base.Make)),
        "camera_model": _clean(exif.get(ExifTags.Base.Model)),
        "orientation": exif.get(ExifTags.Base.Orientation),
    }
    return {k: v for k, v in details.items() if v is not None}


def _clean(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    return value.strip("\x00 ").strip() or None


def _exif_time(value: object) -> str | None:
    """EXIF "2024:05:17 18:42:03" as ISO 8601 "2024-05-17T18:42:03"."""
    text = _clean(value)
    if not text or len(text) < 19 or text.startswith("0000"):
        return None
    return f"{text[:4]}-{text[5:7]}-{text[8:10]}T{text[11:19]}"


def visual_signals(image: Image.Image) -> dict[str, Any]:
    """Offline signals about what the picture looks like, and the category they suggest."""
    width, height = image.size
    small = image.convert("RGB").resize((min(width, SIGNAL_SIZE), min(height, SIGNAL_SIZE)), Image.Resampling.NEAREST)
    pixels = small.width * small.height
    red, green, blue = small.split()
    spread = sum(ImageStat.Stat(ImageChops.difference(a, b)).mean[0] for a, b in ((red, green), (green, blue)))
    quantized = small.point(lambda v: v & 0xF0)  # 16 levels a channel: JPEG noise does not count as colours
    counts = sorted((c for c, _ in quantized.getcolors(maxcolors=pixels + 1) or []), reverse=True)
    colour_ratio = len(counts) / pixels
    top_share = sum(counts[:8]) / pixels
    if max(width, height) <= ICON_MAX_SIDE:
        category = "icon"
    elif spread < GREYSCALE_MAX_CHANNEL_SPREAD:
        category = "greyscale"
    elif colour_ratio <= GRAPHIC_MAX_COLOUR_RATIO and top_share >= GRAPHIC_MIN_TOP_COLOURS_SHARE:
        category = "graphic"
    else:
        category = "photo"
    return {
        "visual_category": category,
        "visual_category_method": "heuristic",
        "visual_signals": {
            "colour_ratio": round(colour_ratio, 4),
            "top8_colour_share": round(top_share, 4),
            "channel_spread": round(spread, 2),
            "entropy": round(small.convert("L").entropy(), 3),
        },
    }


class ImageProcessor:
    """Reads the image with Pillow; says plainly when the bytes are not a readable image."""

    name = "image"
    kind = Kind.IMAGE

    def process(self, page: FetchedPage) -> Extraction:
        size = f"{describe_type(page.content_type)}, {len(page.body)} bytes"
        if not page.body:
            return nothing_useful(self, f"empty image ({size})")
        if page.content_type == "image/svg+xml" or page.body.lstrip()[:5] in (b"<svg ", b"<svg>"):
            return unsupported(self, page.content_type, f"vector images are not analysed ({size})")
        try:
            image = Image.open(io.BytesIO(page.body))
            if image.width * image.height > MAX_IMAGE_PIXELS:
                return unsupported(self, page.content_type, f"too large to decode ({image.width}x{image.height})")
            image.load()
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as error:
            if is_text_document(page.content_type, page.body):
                return nothing_useful(self, f"not an image ({size})", content_type=page.content_type)
            return Extraction(
                kind=self.kind,
                processor=self.name,
                status=ClassifyStatus.ERROR,
                reason=f"corrupt or unreadable image ({size}): {unreadable_because(error)}",
                details={"content_type": page.content_type, "bytes": len(page.body)},
            )
        details: dict[str, Any] = {
            "format": image.format,
            "width": image.width,
            "height": image.height,
            "mode": image.mode,
            "frames": getattr(image, "n_frames", 1),
            "bytes": len(page.body),
            "phash": str(imagehash.phash(image)),
        }
        details.update(_exif_details(image))
        details.update(visual_signals(image))
        return Extraction(
            kind=self.kind,
            processor=self.name,
            published=details.get("exif_datetime"),
            details=details,
        )


def unreadable_because(error: Exception) -> str:
    """Pillow's complaint without the object addresses it puts in some messages (a rerun gives the same text)."""
    if isinstance(error, UnidentifiedImageError):
        return "Pillow cannot identify the format from the bytes"
    return f"{type(error).__name__}: {re.sub(r' at 0x[0-9a-f]+', '', str(error))}"
