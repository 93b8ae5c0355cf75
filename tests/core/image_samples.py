"""Small real images made with Pillow at test time, plus a corrupt one and a text file with an image's name."""

import io
from pathlib import Path

from PIL import Image

FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF"}


def image_bytes(extension: str, color: tuple[int, int, int] = (200, 40, 40), size: tuple[int, int] = (12, 8)) -> bytes:
    """A real image of one color in the format an extension names (jpg, jpeg, png, webp, gif)."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=FORMATS[extension.lower()])
    return out.getvalue()


def corrupt_jpeg() -> bytes:
    """A JPEG whose header is intact but whose data after it is cut short and garbled."""
    whole = image_bytes("jpg", (10, 120, 200), (64, 64))
    return whole[:40] + bytes(range(256))[::3] * 2


FAKE_IMAGE_TEXT = b"This is a note, not a picture.\nIt only has an image's name.\n"


def write_samples(folder: Path) -> dict[str, Path]:
    """A folder of images of several formats (one with an upper-case extension), a corrupt JPEG and a fake PNG."""
    folder.mkdir(parents=True, exist_ok=True)
    contents = {
        "cat.jpg": image_bytes("jpg", (200, 40, 40)),
        "dog.jpeg": image_bytes("jpeg", (40, 200, 40)),
        "leaf.png": image_bytes("png", (40, 40, 200)),
        "wave.webp": image_bytes("webp", (120, 120, 20)),
        "spin.gif": image_bytes("gif", (20, 120, 120)),
        "SHOUT.JPG": image_bytes("jpg", (250, 250, 250)),
        "broken.jpg": corrupt_jpeg(),
        "fake.png": FAKE_IMAGE_TEXT,
    }
    paths = {}
    for name, data in contents.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    return paths
