"""Name rules: which capitalised words are names, and the particles and connectors names hold."""

from __future__ import annotations

import re

from .dates import MONTH_NAMES, WEEKDAY_NAMES
from .quotes import QUOTE_PAIRS
from .words import DETERMINERS, STOP_WORDS

CAPITALISED_PATTERN = re.compile(r"\b[A-ZÀ-ÖØ-Þ][\w'’-]*")
# Lowercase particles inside a person's name ("Ursula von der Leyen", "Luiz Inácio da Silva").
NAME_PARTICLES = frozenset({"de", "del", "della", "da", "dos", "das", "van", "von", "der", "den", "la", "le", "du",
                            "bin", "ibn", "al", "el", "st.", "mc", "mac"})
# Lowercase words that join the words of an organisation's or outlet's name ("Bank of England").
NAME_CONNECTORS = frozenset({"of", "the", "and", "for", "on", "at", "in", "de", "del", "della", "la", "le", "el",
                             "en", "des", "du", "y", "e", "di", "da", "der", "die", "das", "&", "van", "von", "al"})


def proper_names(text: str) -> tuple[str, ...]:
    """Capitalised tokens that are not merely sentence-initial function words."""
    names = []
    for match in CAPITALISED_PATTERN.finditer(QUOTE_PAIRS.sub(lambda m: " " * len(m.group(0)), text)):
        word = match.group(0).rstrip("'’s").rstrip("'’")
        if word.lower() in DETERMINERS or word.lower() in STOP_WORDS or word.lower() in WEEKDAY_NAMES or word.lower() in MONTH_NAMES:
            continue
        if len(word) > 1:
            names.append(word)
    return tuple(dict.fromkeys(names))

