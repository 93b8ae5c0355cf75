"""Safe file names from text in any script: transliterated so a name stays readable, never the fallback."""

import pytest

from content_pipeline.classify.vision import safe_filename
from content_pipeline.export.safe_names import safe_stem


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Привет мир", "privet-mir"),
        ("Καλημέρα κόσμε", "kalimera-kosme"),
        ("北京欢迎你", "bei-jing-huan-ying-ni"),
        ("東京の写真", "dong-jing-no-xie-zhen"),
        ("Straße in München", "strasse-in-munchen"),
        ("Ünïcode café", "unicode-cafe"),
        ("holiday photo 2024", "holiday-photo-2024"),
    ],
)
def test_a_name_in_any_script_gives_a_readable_ascii_stem(name: str, expected: str) -> None:
    assert safe_stem(name, fallback="image-1") == expected


def test_only_a_name_with_nothing_to_transliterate_falls_back() -> None:
    assert safe_stem("¿¡…!?", fallback="image-1") == "image-1"
    assert safe_stem("../../", "Привет", fallback="image-1") == "privet"


def test_a_transliterated_name_is_still_no_device_name_and_has_no_separator() -> None:
    assert safe_stem("ПРН", fallback="x") == "prn-file"
    assert "/" not in safe_stem("Москва/../Питер", fallback="x")


def test_the_models_suggested_file_name_is_transliterated_too() -> None:
    assert safe_filename("Привет мир.jpg") == "privet-mir"
