"""The one text grammar of storyline: words, names, quotes, dates and number expressions.

Claims, timeline, metadata and entities read these rules from here, so a month,
a stop word or a number written in words means the same thing in every stage.
"""

from .dates import (
    MONTH_NAMES,
    MONTH_NUMBERS,
    WEEKDAY_NAMES,
    WEEKDAY_NUMBERS,
    DateMention,
    date_key,
    dates_conflict,
    extract_dates,
)
from .names import NAME_CONNECTORS, NAME_PARTICLES, proper_names
from .numbers import SMALL_NUMBERS, SPELLED_NUMBERS, Quantity, extract_quantities, parse_number
from .quotes import QUOTE_PAIRS, QuoteSpan, find_quotes
from .words import DETERMINERS, STOP_WORDS, content_words, singular, split_words

__all__ = [
    "DETERMINERS", "MONTH_NAMES", "MONTH_NUMBERS", "NAME_CONNECTORS", "NAME_PARTICLES", "QUOTE_PAIRS",
    "SMALL_NUMBERS", "SPELLED_NUMBERS", "STOP_WORDS", "WEEKDAY_NAMES", "WEEKDAY_NUMBERS", "DateMention",
    "Quantity", "QuoteSpan", "content_words", "date_key", "dates_conflict", "extract_dates", "extract_quantities",
    "find_quotes", "parse_number", "proper_names", "singular", "split_words",
]
