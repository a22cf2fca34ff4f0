"""Number expressions: a number, its qualifier ("more than", "about") and what it counts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

from ..model import Span
from .dates import DateMention, extract_dates
from .words import STOP_WORDS, singular, split_words

# Small counts written as words ("a", "an" count one in "a week ago"; not in SPELLED_NUMBERS, where they would
# make every "a" a count).
SMALL_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}
SPELLED_NUMBERS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "hundred": 100, "dozen": 12,
}
MULTIPLIERS = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
                "m": 1e6, "bn": 1e9}
QUALIFIERS = {
    "more than": ">", "over": ">", "at least": ">=", "upwards of": ">", "nearly": "~<", "almost": "~<",
    "about": "~", "around": "~", "some": "~", "roughly": "~", "approximately": "~", "an estimated": "~",
    "fewer than": "<", "less than": "<", "under": "<", "up to": "<=", "at most": "<=",
}
_QUANTITY = re.compile(
    r"(?<![\w.,:/-])"
    r"(?:(?P<qual>more than|at least|upwards of|nearly|almost|about|around|some|roughly|approximately|"
    r"an estimated|fewer than|less than|under|over|up to|at most)\s+)?"
    r"(?P<cur>[$€£])?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|"
    + "|".join(sorted(SPELLED_NUMBERS, key=len, reverse=True)) +
    r")(?![\w:/-]|\.\d|,\d)"
    r"(?:\s*(?P<mult>hundred|thousand|million|billion|trillion|bn|m)\b)?"
    r"(?P<pct>\s*%|\s+per\s?cent\b|\s+percent\b)?",
    re.IGNORECASE,
)
PRONOUN_UNITS = frozenset({"them", "us", "those", "these", "which", "whom", "it"})


@dataclass(frozen=True)
class Quantity:
    """A number and what it counts, as written."""

    value: float
    qualifier: str  # "=", ">", ">=", "<", "<=", "~", "~<"
    unit: Optional[str]  # the counted noun, normalised ("people", "worker", "percent", "$")
    unit_words: tuple[str, ...]  # content words right after the number, for matching "12 confirmed deaths" to "15 deaths"
    text: str
    span: Span  # offsets into the article text


def parse_number(raw: str) -> float:
    lowered = raw.lower()
    if lowered in SPELLED_NUMBERS:
        return float(SPELLED_NUMBERS[lowered])
    return float(raw.replace(",", ""))



def extract_quantities(text: str, start: int = 0, end: Optional[int] = None,
                       dates: Optional[Sequence[DateMention]] = None) -> list[Quantity]:
    """Numbers in ``text[start:end]`` with what they count; years, times, days of dates and name parts are not counts.

    ``dates``: ``extract_dates(text, start, end)`` when the caller has it already.
    """
    end = len(text) if end is None else end
    date_spans = [d.span for d in (extract_dates(text, start, end) if dates is None else dates)]
    quantities = []
    for match in _QUANTITY.finditer(text, start, end):
        ns, ne = match.span("num")
        if any(ds <= ns < de for ds, de in date_spans):
            continue
        raw = match.group("num")
        # A number glued to a word ("COVID-19", "F-16") is a name, not a count.
        if ns > 0 and text[ns - 1] in "-–" and ns > 1 and text[ns - 2].isalnum():
            continue
        # A capitalised spelled number opening a sentence ("Two sources ...") is still a count,
        # but inside a name ("Group of Seven") it is not; only lowercase or digits elsewhere.
        if raw[0].isalpha() and raw[0].isupper() and ns > start and not re.search(r"[.!?\"“]\s*$", text[max(start, ns - 3):ns]):
            continue
        value = parse_number(raw)
        if raw.isdigit() and len(raw) == 4 and 1800 <= value <= 2100:
            following = text[match.end():match.end() + 20].split()
            if not following or not following[0].endswith("s"):
                continue  # a year
        if match.group("mult"):
            value *= MULTIPLIERS[match.group("mult").lower()]
        qualifier = QUALIFIERS.get((match.group("qual") or "").lower(), "=")
        tail = text[match.end():min(end, match.end() + 60)]
        tail_words = [w.lower() for w in split_words(tail)[:4]]
        if match.group("pct"):
            unit: Optional[str] = "percent"
            unit_words: tuple[str, ...] = ("percent",)
        elif match.group("cur"):
            unit, unit_words = match.group("cur"), (match.group("cur"),)
        else:
            content: list[str] = []
            for word in tail_words:
                if word in STOP_WORDS and content:
                    break
                if word in STOP_WORDS:
                    continue
                content.append(singular(word))
                if len(content) == 2:
                    break
            if tail_words and tail_words[0] == "of" and len(tail_words) > 1 and tail_words[1] in PRONOUN_UNITS:
                content = []
            unit = content[0] if content else None
            unit_words = tuple(content)
        if unit is None:
            continue  # a bare number says nothing checkable on its own
        quantities.append(Quantity(
            value=value, qualifier=qualifier, unit=unit, unit_words=unit_words,
            text=text[match.start():match.end()].strip(), span=(match.start(), match.end()),
        ))
    return quantities

