"""Dates: month and weekday names and the date expressions claims compare.

Timeline resolution (relative expressions against a publication date) lives in
``timeline``; it reads its month and weekday numbers from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

from ..model import Span
from .words import split_words

MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
               "october", "november", "december")
MONTH_ABBREVIATIONS = {m[:3]: i + 1 for i, m in enumerate(MONTH_NAMES)} | {"sept": 9}
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Month number of every written form of a month: full, abbreviated, "sept".
MONTH_NUMBERS = {name: n + 1 for n, name in enumerate(MONTH_NAMES)} | MONTH_ABBREVIATIONS
WEEKDAY_NUMBERS = {name: n for n, name in enumerate(WEEKDAY_NAMES)}
WEEKDAY_ABBREVIATIONS = frozenset({"mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun"})
# The alternatives of a capitalised month name, for regular expressions that must not read the verbs "may" and "march".
MONTH_FULL_PATTERN = "|".join(name.capitalize() for name in MONTH_NAMES)
_MONTH_RE = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
_DATE = re.compile(
    rf"(?P<md>\b{_MONTH_RE}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y1>\d{{4}}))?\b)"
    rf"|(?P<dm>\b(?P<day2>\d{{1,2}})\s+{_MONTH_RE}(?:\s+(?P<y2>\d{{4}}))?\b)"
    rf"|(?P<my>\b(?:(?:early|mid|late|in|since|by|until)\s+)?{_MONTH_RE}(?:\s+(?P<y3>\d{{4}}))?\b)"
    r"|(?P<wd>\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b)"
    r"|(?P<iso>\b(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})\b)"
    r"|(?P<year>\b(?:in|since|by|until|of|during)\s+(?P<y4>(?:18|19|20)\d{2})\b)"
    r"|(?P<rel>\b(?:yesterday|today|tonight|this morning|last night|(?:last|this|next|earlier this|later this)\s+(?:week|month|year|weekend))\b)",
    re.IGNORECASE,
)



@dataclass(frozen=True)
class DateMention:
    text: str
    span: Span
    weekday: Optional[str] = None
    month: Optional[int] = None
    day: Optional[int] = None
    year: Optional[int] = None
    relative: bool = False


def extract_dates(text: str, start: int = 0, end: Optional[int] = None) -> list[DateMention]:
    """Date and time expressions in ``text[start:end]``, with their parts where written."""
    end = len(text) if end is None else end
    dates = []
    for match in _DATE.finditer(text, start, end):
        phrase = match.group(0).strip()
        if not phrase:
            continue
        span = (match.start() + match.group(0).index(phrase), match.end())
        lower = phrase.lower()
        if match.group("my") and lower in ("may", "march"):
            continue  # the verbs "may" and "march" are far more frequent than the months alone
        month = next((MONTH_ABBREVIATIONS[w[:4] if w[:4] == "sept" else w[:3]] for w in split_words(lower)
                      if w[:3] in MONTH_ABBREVIATIONS and (w in MONTH_NAMES or w.rstrip(".") in MONTH_ABBREVIATIONS)), None)
        if match.group("iso"):
            dates.append(DateMention(phrase, span, month=int(match.group("im")), day=int(match.group("id")),
                                     year=int(match.group("iy"))))
        elif match.group("wd"):
            dates.append(DateMention(phrase, span, weekday=lower))
        elif match.group("rel"):
            dates.append(DateMention(phrase, span, relative=True))
        elif match.group("year"):
            dates.append(DateMention(phrase, span, year=int(match.group("y4"))))
        else:
            day = match.group("day") or match.group("day2")
            year = match.group("y1") or match.group("y2") or match.group("y3")
            dates.append(DateMention(phrase, span, month=month, day=int(day) if day else None,
                                     year=int(year) if year else None))
    return dates


def date_key(date: DateMention) -> tuple[object, ...]:
    return (date.weekday, date.month, date.day, date.year) if not date.relative else (date.text.lower(),)


def dates_conflict(a: Sequence[DateMention], b: Sequence[DateMention]) -> bool:
    """Explicit dates in two accounts of one event that cannot both be true."""
    for da in a:
        for db in b:
            if da.weekday and db.weekday and da.weekday != db.weekday:
                return True
            if da.month and db.month and da.day and db.day and (da.month, da.day) != (db.month, db.day):
                return True
            if da.year and db.year and da.year != db.year and da.month == db.month:
                return True
    return False

