"""Known secrets never survive into text we keep: whole, cut in the middle, or partly echoed."""

from content_pipeline.redaction import REDACTED, Redactor

KEY = "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW"


def test_a_whole_secret_is_replaced() -> None:
    assert Redactor([KEY])(f"bad key {KEY} given") == f"bad key {REDACTED} given"


def test_text_is_redacted_before_it_is_cut_so_no_piece_of_the_key_is_left() -> None:
    text = "x" * 70 + KEY
    assert Redactor([KEY]).cut(text, 80) == "x" * 70 + REDACTED[:10]


def test_a_server_that_echoes_only_part_of_the_key_leaks_no_usable_piece() -> None:
    redact = Redactor([KEY])
    assert redact(f"key {KEY[:20]}... is invalid") == f"key {REDACTED}... is invalid"
    assert redact(f"suffix {KEY[-15:]}") == f"suffix {REDACTED}"
    assert KEY[5:25] not in redact(f"<{KEY[5:25]}>")


def test_short_values_and_ordinary_text_are_left_alone() -> None:
    redact = Redactor(["1", "", None, KEY])
    assert redact("1 of 2 rows; AIza is a prefix everybody knows") == "1 of 2 rows; AIza is a prefix everybody knows"
