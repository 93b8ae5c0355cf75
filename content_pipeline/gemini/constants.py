"""Gemini settings other modules need without importing google-genai (its import takes ~0.5 s at every start)."""

DEFAULT_GEMINI_MODEL = "gemini-flash-latest"  # Google's alias for its current Flash model
DEFAULT_TIMEOUT_S = 60.0  # per online generateContent request
# finish reasons that mean Gemini withheld the answer (online and in a batch alike)
BLOCKED_FINISH = frozenset(
    {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "MODEL_ARMOR", "LANGUAGE"}
)
