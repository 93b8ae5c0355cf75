"""Language of extracted text with py3langid (trafilatura leaves `language` empty unless told the target)."""

from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

LANGUAGE_SAMPLE_CHARS = 5_000  # the first characters are enough; longer samples only cost time
MIN_LANGUAGE_CHARS = 20  # below this the guess is noise
MIN_LANGUAGE_CONFIDENCE = 0.5  # normalized probability under which we report no language


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str | None) -> tuple[str | None, float]:
    """ISO 639-1 code and confidence (0-1); (None, confidence) when the text is too short or ambiguous."""
    sample = (text or "").strip()[:LANGUAGE_SAMPLE_CHARS]
    if len(sample) < MIN_LANGUAGE_CHARS:
        return None, 0.0
    code, confidence = _identifier().classify(sample)
    confidence = round(float(confidence), 4)
    if confidence < MIN_LANGUAGE_CONFIDENCE:
        return None, confidence
    return str(code), confidence


def language_from_tag(tag: str | None) -> str | None:
    """Primary ISO 639-1 subtag of a page's declared language ("de-AT" -> "de", "en_US" -> "en")."""
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    return primary if len(primary) == 2 and primary.isalpha() else None
