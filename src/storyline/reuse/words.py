"""Word patterns and the function words the reuse steps share.
"""

from __future__ import annotations

import re


_WORD = re.compile(r"\w+", re.UNICODE)
_CAPITALISED = re.compile(r"\b[A-ZÀ-ÖØ-Þ][\w'’-]*")
_NAME_SEQUENCE = re.compile(r"[A-ZÀ-ÖØ-Þ][\w.&'’-]*(?:\s+(?:de|del|la|van|von|da|al|bin)?\s*[A-ZÀ-ÖØ-Þ][\w.&'’-]*)*")
_NUMBER = re.compile(r"\b\d[\d,.]*\b")
_ANCHOR_TOKEN = re.compile(r"\w+(?:[.,]\d+)*", re.UNICODE)


# English function words: capitalised after a lowercase word with no punctuation
# between, they mark a sentence boundary lost in machine translation.
_FUNCTION_WORDS = {
    "the", "a", "an", "in", "on", "at", "now", "they", "it", "he", "she", "we", "this", "that", "these",
    "those", "to", "of", "for", "and", "but", "or", "with", "by", "from", "as", "is", "are", "was", "were",
    "his", "her", "their", "its", "there", "then", "when", "which", "who", "if", "so",
}
_FUNCTION_WORDS_TITLE = {w.capitalize() for w in _FUNCTION_WORDS}
