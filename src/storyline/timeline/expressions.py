"""Time expressions: the timeline's English grammar, resolved against a publication date.

A grammar rather than ``dateparser.search_dates``: that one reads the modal "may", "now"
or "day" as dates. Nothing is guessed: a relative phrase with no anchor stays unresolved,
and a vague range gets the coarsest precision that is still true (or none).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Optional, Sequence

from ..model import Precision, Span
from ..text.dates import MONTH_FULL_PATTERN, MONTH_NUMBERS, WEEKDAY_NUMBERS
from ..text.numbers import SMALL_NUMBERS

# --- the grammar ---------------------------------------------------------------

# Month and weekday names must be capitalised: that is what separates the
# month from the verbs "may" and "march".
_MONTH_FULL = MONTH_FULL_PATTERN
_MONTH_ANY = rf"(?P<month>{_MONTH_FULL}|{_MONTH_FULL.upper()}|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?)"
_MONTH_NAME = rf"(?P<month>{_MONTH_FULL})"
_WEEKDAY = r"(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_WEEKDAY_PREFIX = r"(?:(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday),?\s+)?"
_DAY = r"(?P<day>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?(?!\d)"
# Decades ("1990s") are not years; a possessive ("2024's") is.
_YEAR = r"(?P<year>(?:19|20)\d\d|2100)(?!\d)(?!s\b)"
_PREP = r"(?:(?P<prep>(?i:on|in|since|by|until|till|from|before|after|during|through|throughout|as of))\s+)?"
_PART = r"(?:(?P<part>(?i:early|mid|late|the (?:beginning|start|middle|end) of))[\s-]+)?"
_SEASON = r"(?:(?P<season>(?i:spring|summer|autumn|fall|winter))\s+(?:of\s+)?)?"
# A bare year is only a year when a preposition or a part precedes it, or
# when it qualifies an event noun ("the 2024 campaign"): "2022 members" is a count.
_EVENT_NOUN = (
    r"(?=\s+(?:[a-z]+\s+)?(?:campaign|election|elections|race|season|cycle|census|budget|summit|games|olympics"
    r"|war|crisis|report|survey|law|act|vote|referendum|midterms|primary|primaries|protests|uprising|coup"
    r"|earthquake|attack|attacks|pandemic|outbreak|agreement|deal|accord|treaty|ruling|decision|rally|riots"
    r"|tournament|championship|ceasefire|invasion|strike|strikes|floods|storm|hurricane)\b)"
)
_START = r"(?<![\w/$€£#])"
_END = r"(?![\w%/])(?![.,:]\d)"

_RULES: list[tuple[str, re.Pattern[str]]] = [
    (kind, re.compile(_START + body + _END))
    for kind, body in [
        ("full_date", rf"{_PREP}{_WEEKDAY_PREFIX}{_MONTH_ANY}\s+{_DAY},?\s+{_YEAR}"),
        ("full_date", rf"{_PREP}{_WEEKDAY_PREFIX}(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH_ANY},?\s+{_YEAR}"),
        ("month_day", rf"{_PREP}{_WEEKDAY_PREFIX}{_MONTH_ANY}\s+{_DAY}"),
        ("month_day", rf"{_PREP}{_WEEKDAY_PREFIX}(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH_ANY}"),
        ("month_year", rf"{_PREP}{_PART}{_MONTH_ANY}(?:\s+of)?,?\s+{_YEAR}"),
        ("month", rf"{_PREP}{_PART}(?:(?P<rel>(?i:last|next|this|past))\s+)?{_MONTH_NAME}"),
        ("year", rf"{_PREP}{_PART}{_SEASON}{_YEAR}"),
        (
            "weekday",
            rf"{_PREP}(?:(?P<rel>(?i:last|next|this|past|coming|this past|this coming))\s+)?{_WEEKDAY}"
            r"(?:\s+(?P<daypart>morning|afternoon|evening|night))?",
        ),
        (
            "relative_day",
            rf"{_PREP}(?P<relday>(?i:yesterday|today|tonight|tomorrow|last night|this morning|this afternoon"
            r"|this evening))(?:\s+(?:morning|afternoon|evening|night))?",
        ),
        (
            "relative_period",
            rf"{_PREP}(?P<rel>(?i:(?:early|earlier|late|later)\s+(?:this|last|next|in the)|this past|this coming"
            r"|the past|the coming|last|next|this|past|coming|over the|at the))\s+(?P<unit>(?i:week|month|year|weekend))",
        ),
        (
            "ago",
            r"(?P<count>(?i:a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,2}))\s+"
            r"(?P<unit>(?i:day|week|month|year))s?\s+(?i:ago)",
        ),
    ]
]
# A weekday or "Today" right after a capitalised word is a name ("Black
# Friday", "USA Today"); the words that make it a date ("On", "Last") are
# part of the match and never precede it.
_CAPITALISED_WORD_BEFORE = re.compile(r"([A-Z][\w'’.-]*)\s+$")
_NEXT_WORD = re.compile(r"\s+([a-z]+)\b")
_FUNCTION_WORDS = frozenset(
    "and or but nor the a an to when as after before that which while with for of in on at by from until "
    "it he she they we i you was were is are had has have his her their its this these those there where "
    "during through amid despite following under over about into than then so if because since".split()
)


@dataclass(frozen=True)
class TimeExpression:
    """A time expression as written: ``span`` is relative to the text it was found in."""

    span: Span
    phrase: str
    kind: str


# What a match of each rule must hold, searched first: most sentences name no time, and one search for a
# plain word costs far less than a rule that tries its optional prefixes at every character.
_DIGIT = re.compile(r"\d")
_MONTH_WORD = re.compile(r"(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)")
_NEEDS: dict[str, re.Pattern[str]] = {
    "full_date": _DIGIT, "month_day": _DIGIT, "month_year": _DIGIT, "year": _DIGIT,
    "month": _MONTH_WORD,
    "weekday": re.compile(r"(?i:day)"),
    "relative_day": re.compile(r"(?i:day|tonight|tomorrow|night|morning|afternoon|evening)"),
    "relative_period": re.compile(r"(?i:week|month|year)"),
    "ago": re.compile(r"(?i:ago)"),
}
assert set(_NEEDS) == {kind for kind, _ in _RULES}, "a required word for every rule"


def find_time_expressions(text: str) -> list[TimeExpression]:
    """Time expressions in ``text``, longest first where they overlap, in text order."""
    candidates: list[tuple[int, int, str]] = []
    for kind, pattern in _RULES:
        if not _NEEDS[kind].search(text):
            continue
        for match in pattern.finditer(text):
            if _accept(kind, match, text):
                candidates.append((match.start(), match.end(), kind))
    candidates.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
    taken: list[tuple[int, int, str]] = []
    for start, end, kind in candidates:
        if all(end <= s or start >= e for s, e, _ in taken):
            taken.append((start, end, kind))
    return [TimeExpression((s, e), text[s:e], k) for s, e, k in sorted(taken)]


def _accept(kind: str, match: re.Match[str], text: str) -> bool:
    groups = match.groupdict()
    if kind == "month" and not (groups.get("prep") or groups.get("part") or groups.get("rel")):
        return False
    if kind == "year":
        if _followed_by_event_noun(text, match.end()):
            return True
        # "by 2022 members" counts members: a year is followed by punctuation,
        # the end, or a word that cannot be the noun it counts.
        following = _NEXT_WORD.match(text, match.end())
        if following and following.group(1) not in _FUNCTION_WORDS:
            return False
        return bool(groups.get("prep") or groups.get("part") or groups.get("season"))
    if kind in ("weekday", "relative_day") and not (groups.get("prep") or groups.get("rel")):
        if _CAPITALISED_WORD_BEFORE.search(text, 0, match.start()):
            return False
    return True


def _followed_by_event_noun(text: str, end: int) -> bool:
    return re.match(_EVENT_NOUN, text[end:]) is not None


# --- resolution ----------------------------------------------------------------


@dataclass(frozen=True)
class _Parsed:
    kind: str
    groups: dict[str, Optional[str]]


def _parse(phrase: str) -> Optional[_Parsed]:
    phrase = phrase.strip()
    for kind, pattern in _RULES:
        match = pattern.fullmatch(phrase)
        if match and (kind != "month" or _accept(kind, match, phrase)):
            return _Parsed(kind, match.groupdict())
    found = find_time_expressions(phrase)
    if found:
        return _parse(found[0].phrase) if found[0].phrase != phrase else None
    return None


def resolve(phrase: str, anchor: date | None, *, future: bool = False) -> tuple[str | None, Precision | None]:
    """The ISO date a time phrase stands for, and how precise it is.

    ``anchor`` is the publication date the phrase is relative to; ``future``
    says the sentence looks ahead ("will meet on Friday"), which turns a bare
    weekday or month forward instead of back. Phrases that need an anchor and
    get none, and ranges that do not fit one month (or year), give
    ``(None, None)``.
    """
    parsed = _parse(phrase)
    if parsed is None:
        return None, None
    groups = parsed.groups
    if parsed.kind == "full_date":
        return _day_or_none(int(groups["year"] or 0), _month_number(groups["month"]), int(groups["day"] or 0))
    if parsed.kind == "month_year":
        return f"{int(groups['year'] or 0):04d}-{_month_number(groups['month']):02d}", "month"
    if parsed.kind == "year":
        return f"{int(groups['year'] or 0):04d}", "year"
    if anchor is None:
        return None, None
    if parsed.kind == "month_day":
        return _resolve_month_day(_month_number(groups["month"]), int(groups["day"] or 0), anchor, future)
    if parsed.kind == "month":
        return _resolve_month(_month_number(groups["month"]), _lower(groups.get("rel")), anchor, future)
    if parsed.kind == "weekday":
        weekday = WEEKDAY_NUMBERS[_lower(groups["weekday"])]
        return _iso_day(_resolve_weekday(weekday, _lower(groups.get("rel")), anchor, future)), "day"
    if parsed.kind == "relative_day":
        return _iso_day(_resolve_relative_day(_lower(groups["relday"]), anchor)), "day"
    if parsed.kind == "relative_period":
        return _resolve_period(_lower(groups["rel"]), _lower(groups["unit"]), anchor, future)
    if parsed.kind == "ago":
        return _resolve_ago(SMALL_NUMBERS.get(_lower(groups["count"])) or int(groups["count"] or 0),
                            _lower(groups["unit"]), anchor)
    return None, None


def _lower(value: Optional[str]) -> str:
    return " ".join(value.lower().split()) if value else ""


def _month_number(name: Optional[str]) -> int:
    return MONTH_NUMBERS[_lower(name).rstrip(".")]


def _iso_day(day: date) -> str:
    return day.isoformat()


def _day_or_none(year: int, month: int, day: int) -> tuple[str | None, Precision | None]:
    try:
        return date(year, month, day).isoformat(), "day"
    except ValueError:  # "February 30": written, but no such day
        return None, None


def _resolve_month_day(month: int, day: int, anchor: date, future: bool) -> tuple[str | None, Precision | None]:
    # Try the readings in the year before, of, and after publication; keep the nearest.
    readings = []
    for year in (anchor.year - 1, anchor.year, anchor.year + 1):
        try:
            readings.append(date(year, month, day))
        except ValueError:
            continue
    if future:
        readings = [r for r in readings if r >= anchor] or readings
    if not readings:
        return None, None
    nearest = min(readings, key=lambda r: (abs((r - anchor).days), r))
    return nearest.isoformat(), "day"


def _month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _resolve_month(month: int, rel: str, anchor: date, future: bool) -> tuple[str | None, Precision | None]:
    if rel == "this":
        year = anchor.year
    elif rel in ("last", "past"):
        year = anchor.year if month < anchor.month else anchor.year - 1
    elif rel == "next":
        year = anchor.year if month > anchor.month else anchor.year + 1
    else:
        candidates = [anchor.year - 1, anchor.year, anchor.year + 1]
        if future:
            candidates = [y for y in candidates if _month_bounds(y, month)[1] >= anchor]

        def distance(year: int) -> int:
            first, last = _month_bounds(year, month)
            return max((first - anchor).days, (anchor - last).days, 0)

        year = min(candidates, key=lambda y: (distance(y), y))
    return f"{year:04d}-{month:02d}", "month"


def _resolve_weekday(weekday: int, rel: str, anchor: date, future: bool) -> date:
    back = (anchor.weekday() - weekday) % 7
    ahead = (weekday - anchor.weekday()) % 7
    if rel in ("last", "past", "this past"):
        return anchor - timedelta(days=back or 7)
    if rel in ("next", "coming", "this coming"):
        return anchor + timedelta(days=ahead or 7)
    if rel == "this":
        return anchor - timedelta(days=anchor.weekday()) + timedelta(days=weekday)
    # A bare weekday in a report usually means the one just past; in a
    # sentence that looks ahead, the one coming.
    return anchor + timedelta(days=ahead) if future else anchor - timedelta(days=back)


def _resolve_relative_day(word: str, anchor: date) -> date:
    if word in ("yesterday", "last night"):
        return anchor - timedelta(days=1)
    if word == "tomorrow":
        return anchor + timedelta(days=1)
    return anchor


def _range_precision(first: date, last: date) -> tuple[str | None, Precision | None]:
    """The coarsest honest reading of a range of days: its month, if it lies in one, else nothing."""
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.year:04d}-{first.month:02d}", "month"
    return None, None


def _resolve_period(rel: str, unit: str, anchor: date, future: bool) -> tuple[str | None, Precision | None]:
    words = rel.split()
    direction = words[-1]
    if rel in ("over the", "at the"):
        direction = "coming" if future else "last"
    elif direction == "the":  # "earlier in the week"
        direction = "this"
    elif rel in ("the past", "this past"):
        direction = "past" if unit != "weekend" else "last"
    elif rel in ("the coming", "this coming"):
        direction = "coming"
    earlier = words[0] in ("early", "earlier")
    later = words[0] in ("late", "later")
    if unit == "year":
        if direction == "past":
            return _year_range(anchor - timedelta(days=365), anchor)
        offset = {"last": -1, "next": 1, "coming": 1}.get(direction, 0)
        return f"{anchor.year + offset:04d}", "year"
    if unit == "month":
        if direction == "past":
            return _range_precision(anchor - timedelta(days=30), anchor)
        offset = {"last": -1, "next": 1, "coming": 1}.get(direction, 0)
        year, month = divmod(anchor.year * 12 + anchor.month - 1 + offset, 12)
        return f"{year:04d}-{month + 1:02d}", "month"
    if unit == "weekend":
        return _range_precision(*_weekend(direction, anchor))
    monday = anchor - timedelta(days=anchor.weekday())
    sunday = monday + timedelta(days=6)
    if direction == "past":
        return _range_precision(anchor - timedelta(days=7), anchor - timedelta(days=1))
    if direction == "last":
        return _range_precision(monday - timedelta(days=7), monday - timedelta(days=1))
    if direction == "next":
        return _range_precision(monday + timedelta(days=7), sunday + timedelta(days=7))
    if direction == "coming":
        return _range_precision(anchor + timedelta(days=1), anchor + timedelta(days=7))
    if earlier:
        return _range_precision(monday, max(monday, anchor - timedelta(days=1)))
    if later:
        return _range_precision(min(sunday, anchor + timedelta(days=1)), sunday)
    return _range_precision(monday, sunday)


def _year_range(first: date, last: date) -> tuple[str | None, Precision | None]:
    return (f"{first.year:04d}", "year") if first.year == last.year else (None, None)


def _weekend(direction: str, anchor: date) -> tuple[date, date]:
    if direction in ("last", "past"):
        sunday = anchor - timedelta(days=(anchor.weekday() + 1) % 7 or 7)
        return sunday - timedelta(days=1), sunday
    saturday = anchor + timedelta(days=(5 - anchor.weekday()) % 7)
    if anchor.weekday() == 6:
        saturday = anchor - timedelta(days=1)
    if direction == "next":
        saturday += timedelta(days=7)
    return saturday, saturday + timedelta(days=1)


def _resolve_ago(count: int, unit: str, anchor: date) -> tuple[str | None, Precision | None]:
    if unit == "day":
        return (anchor - timedelta(days=count)).isoformat(), "day"
    if unit == "week":
        # "two weeks ago" names a week, not a day.
        then = anchor - timedelta(days=7 * count)
        monday = then - timedelta(days=then.weekday())
        return _range_precision(monday, monday + timedelta(days=6))
    if unit == "month":
        year, month = divmod(anchor.year * 12 + anchor.month - 1 - count, 12)
        return f"{year:04d}-{month + 1:02d}", "month"
    return f"{anchor.year - count:04d}", "year"


# --- tense and boilerplate ----------------------------------------------------------

_FUTURE = re.compile(
    r"(?i)\b(?:will|shall|won['’]t|(?:is|are|am)\s+(?:\w+\s+)?(?:scheduled|set|expected|due|slated|going|poised"
    r"|planning|preparing)\s+to|plans?\s+to|intends?\s+to|aims?\s+to)\b|\w['’]ll\b"
)
_CLAUSE_BREAK = re.compile(r"[,;:()\u2014\u2013]|\s-\s")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")


def looks_ahead(sentence: str, span: Span) -> bool:
    """Whether the clause holding ``span`` speaks of the future ("is scheduled to visit in early February").

    A clause that is only the time phrase ("On Friday, she will ...") is read
    together with the clause after it.
    """
    bounds = [0] + [m.end() for m in _CLAUSE_BREAK.finditer(sentence)] + [len(sentence) + 1]
    starts = [b for b in bounds if b <= span[0]]
    start = starts[-1] if starts else 0
    following = [b for b in bounds if b > span[1]]
    end = following[0] if following else len(sentence)
    clause_words = len(_WORD.findall(sentence[start:span[0]] + " " + sentence[span[1]:end]))
    if clause_words < 3 and len(following) > 1:
        end = following[1]
    clause = sentence[start:end]
    return any(not _is_noun_use(clause, marker) for marker in _FUTURE.finditer(clause))


def _is_noun_use(clause: str, marker: re.Match[str]) -> bool:
    """ "announced plans to", "the aim to": the marker names a plan, it does not put the verb ahead."""
    if not re.match(r"(?i)(?:plans?|intends?|aims?)\b", marker.group()):
        return False
    before = re.search(r"([A-Za-z]+)\W*$", clause[: marker.start()])
    word = before.group(1).lower() if before else ""
    return word.endswith("ed") or word in _DETERMINERS


_DETERMINERS = frozenset("the a an its his her their our my your no any new these those such of".split())


def is_boilerplate(sentence: str, expressions: Sequence[TimeExpression]) -> bool:
    """A dateline, byline or label: too few words besides its dates to state a happening.

    A short line that ends like a sentence ("Talks resumed Monday.") still
    states one; a short line with no closing punctuation is a label.
    """
    rest = sentence
    for expression in reversed(expressions):
        rest = rest[: expression.span[0]] + " " + rest[expression.span[1]:]
    words = len(_WORD.findall(rest))
    ends_like_a_sentence = re.search(r"[.!?][\"'”’)]*\s*$", sentence) is not None
    return words < 2 or (words < 4 and not ends_like_a_sentence)


def normalised_phrase(phrase: str) -> str:
    """The phrase's words without a leading preposition: how an unresolved phrase is recognised again."""
    words = _lower(phrase).split()
    prepositions = {"on", "in", "since", "by", "until", "till", "from", "before", "after", "during", "through"}
    while words and words[0] in prepositions:
        words = words[1:]
    return " ".join(words)
