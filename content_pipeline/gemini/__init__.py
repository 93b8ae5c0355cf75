"""Gemini, shared by the categorize stage (online and batch) and classify's Vision: client, errors, limits, prices.

Only client.py imports google-genai (~0.5 s at every start); the other modules are cheap to import.
"""
