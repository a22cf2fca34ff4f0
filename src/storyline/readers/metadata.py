"""Metadata from the text itself: title, outlet, byline and publication date.

``complete_metadata`` fills only the fields a reader left None, and only with what
the text states in a recognisable place; metadata the input carried always wins, and
what the text does not say stays None (never guessed). The text is never changed:
spans elsewhere index into it. The rules are general typographic conventions of news
text, with no lists of outlets or people:

1. title: a headline on the first line (short, no terminal full stop, not a dateline
   or byline); a masthead ``<Headline> | <Outlet>`` gives the part before the separator.
2. outlet: a masthead suffix (``| Outlet`` always; ``– Outlet`` when something else
   confirms it is an outlet: it recurs in the text, its initials or its name match a
   domain or an acronym in the text, or it carries a media word such as News/Times);
   an ``<OUTLET> Staff <Name>`` byline, the acronym expanded when a name in the text
   has those initials; a sign-off (``From <Outlet>``, ``Source: <Outlet>``,
   ``© 2025 <Outlet>``) in the last lines; the domain of the document's URL.
3. byline: ``By <Name>`` near the top, ``<Outlet> Staff <Name>``, ``Reporting by
   <Name>`` near the end, or a last line that is just a person's name.
4. published: a dateline in the first five lines (``10:34 AM – Tuesday, February 4,
   2025``, ``Feb. 4, 2025``, ``2025-02-04``, ``4 February 2025``, ``WASHINGTON, Feb. 4,
   2025 —``), or a line marked ``Published``/``Posted`` (then ``Updated``) anywhere.
   Dates inside the narrative are never taken.
5. language is left to ``prepare``, which detects it.

``normalize_date`` turns the date values readers meet (ISO strings, RFC 822, written
dates, Unix timestamps) into ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``.
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import re
from dataclasses import dataclass, replace
from typing import Any, Optional
from urllib.parse import urlsplit

from ..model import RawDocument
from ..text.dates import MONTH_NUMBERS, WEEKDAY_ABBREVIATIONS, WEEKDAY_NAMES
from ..text.names import NAME_CONNECTORS, NAME_PARTICLES

__all__ = ["TextMetadata", "complete_metadata", "find_date", "infer_metadata", "normalize_date", "url_domain"]


@dataclass(frozen=True)
class TextMetadata:
    """What the text itself says; None where it says nothing recognisable."""

    title: Optional[str] = None
    outlet: Optional[str] = None
    byline: Optional[str] = None
    published: Optional[str] = None


def complete_metadata(doc: RawDocument) -> RawDocument:
    """``doc`` with its None metadata fields filled from its text (and its URL), where they are stated."""
    if all(getattr(doc, name) is not None for name in ("title", "outlet", "byline", "published")):
        return doc
    found = infer_metadata(doc.text, url=doc.url)
    return replace(
        doc,
        title=doc.title if doc.title is not None else found.title,
        outlet=doc.outlet if doc.outlet is not None else found.outlet,
        byline=doc.byline if doc.byline is not None else found.byline,
        published=doc.published if doc.published is not None else found.published,
    )


def infer_metadata(text: str, url: Optional[str] = None) -> TextMetadata:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return TextMetadata(outlet=url_domain(url) if url else None)
    top = lines[:_TOP_LINES]
    masthead = _masthead(lines[0], text, url)
    staff = next((found for found in map(_staff_byline, top) if found), None)

    outlet = masthead[1] if masthead else None
    if outlet is None and staff is not None:
        outlet = _expand_initialism(staff[0], lines) or staff[0]
    if outlet is None:
        outlet = _sign_off_outlet(lines[-_BOTTOM_LINES:])
    if outlet is None and url:
        outlet = url_domain(url)

    byline = staff[1] if staff else None
    if byline is None:
        byline = next((found for found in map(_by_line, top) if found), None)
    if byline is None:
        byline = _closing_byline(lines)

    title = _title(lines, masthead[0] if masthead else None)
    return TextMetadata(title=title, outlet=outlet, byline=byline, published=_published(lines))


# --- vocabulary: general English function words and media nouns, no names ------------

_TOP_LINES = 5
_BOTTOM_LINES = 3

_CONNECTORS = NAME_CONNECTORS
_NAME_PARTICLES = NAME_PARTICLES
# Words that are never part of a person's name line (sign-offs, page furniture, roles).
_FUNCTION_WORDS = {
    "from", "by", "via", "the", "a", "an", "and", "or", "of", "in", "on", "at", "for", "with", "to", "more", "read",
    "share", "follow", "subscribe", "advertisement", "advertisements", "photo", "photos", "credit", "source",
    "sources", "image", "images", "video", "related", "copyright", "editing", "reporting", "writing",
    "additional", "all", "rights", "reserved", "click", "here", "this", "that", "our", "your", "we", "you",
    "updated", "published", "posted", "staff", "contact", "email", "sign", "up", "newsletter", "see", "also",
    "comments", "comment", "story", "stories", "page", "top", "back", "home", "next", "previous", "continue",
    "reading", "tags", "topics", "breaking", "live", "watch", "listen", "opinion", "analysis", "editor",
    "editors", "note", "correspondent", "reporter", "writer", "below", "above", "print", "save", "download",
}
# Generic nouns of news publishing: a masthead suffix holding one reads as an outlet.
_MEDIA_NOUNS = {
    "news", "times", "post", "journal", "herald", "tribune", "network", "radio", "tv", "television", "press",
    "daily", "gazette", "magazine", "review", "chronicle", "broadcasting", "media", "agency", "wire", "observer",
    "telegraph", "courier", "examiner", "express", "weekly", "channel", "bulletin", "dispatch", "inquirer",
    "sentinel", "monitor", "insider", "report", "reporter", "newspaper", "online", "digital", "noticias",
    "nachrichten", "zeitung", "presse", "diario", "giornale", "notizie",
}
_MONTHS = MONTH_NUMBERS
_WEEKDAYS = frozenset(WEEKDAY_NAMES) | WEEKDAY_ABBREVIATIONS

# --- dates --------------------------------------------------------------------------

_MONTH = r"(?P<month>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"
_DATE_PATTERNS = [
    re.compile(rf"(?<![\d-]){_YEAR}-(?P<month>\d{{1,2}})-(?P<day>\d{{1,2}})(?![\d])"),
    re.compile(rf"(?<![\d/]){_YEAR}/(?P<month>\d{{1,2}})/(?P<day>\d{{1,2}})(?![\d/])"),
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.I),
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b", re.I),
    # Day-first with dots (04.02.2025) is the European convention; slashes are ambiguous.
    re.compile(rf"(?<![\d.]){_DAY}\.(?P<month>\d{{1,2}})\.{_YEAR}\b"),
    re.compile(rf"(?<![\d/]){_DAY}/(?P<month>\d{{1,2}})/{_YEAR}\b"),
    re.compile(rf"\b{_MONTH},?\s+{_YEAR}\b", re.I),
    re.compile(rf"(?<![\d-]){_YEAR}-(?P<month>\d{{2}})(?![\d-])"),
]
_SLASH_PATTERN_INDEX = 5


def find_date(text: str) -> Optional[tuple[str, int, int]]:
    """The first explicit calendar date in ``text`` as (ISO date, start, end), or None.

    Only dates with a year count; an ambiguous ``02/04/2025`` is skipped unless one part
    exceeds 12.
    """
    best: Optional[tuple[str, int, int]] = None
    for index, pattern in enumerate(_DATE_PATTERNS):
        for match in pattern.finditer(text):
            iso = _iso_from_match(match, slash=index == _SLASH_PATTERN_INDEX)
            if iso is not None:
                if best is None or match.start() < best[1]:
                    best = (iso, match.start(), match.end())
                break
    return best


def _iso_from_match(match: re.Match[str], *, slash: bool) -> Optional[str]:
    parts = match.groupdict()
    year = int(parts["year"])
    month_text = parts["month"]
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text.lower().rstrip("."))
    day = int(parts["day"]) if parts.get("day") else None
    if slash and day is not None and month is not None:
        if day <= 12 and month <= 12 and day != month:
            return None  # 02/04/2025: February 4 or 2 April, not knowable
    return _iso(year, month, day)


def _iso(year: int, month: Optional[int], day: Optional[int]) -> Optional[str]:
    if month is None:
        return f"{year:04d}" if 1800 <= year <= 2200 else None
    try:
        if day is None:
            _dt.date(year, month, 1)
            return f"{year:04d}-{month:02d}"
        return _dt.date(year, month, day).isoformat()
    except ValueError:
        return None


_ISO_LIKE = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?(?:[T ].*)?$")


def normalize_date(value: Any) -> Optional[str]:
    """An ISO date (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``) from a metadata value, or None.

    The date is taken as written (a time zone does not move it to another day); numbers are
    Unix timestamps (seconds, or milliseconds when larger than any date in seconds).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        seconds = float(value) / 1000 if abs(value) > 1e11 else float(value)
        try:
            return _dt.datetime.fromtimestamp(seconds, tz=_dt.timezone.utc).date().isoformat()
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()[:10]
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    iso = _ISO_LIKE.match(text)
    if iso:
        return _iso(
            int(iso.group("year")),
            int(iso.group("month")) if iso.group("month") else None,
            int(iso.group("day")) if iso.group("day") else None,
        )
    if text.isdigit() and len(text) >= 9:
        return normalize_date(int(text))
    rfc = email.utils.parsedate_tz(text)
    if rfc is not None and rfc[0] and rfc[1] and rfc[2]:
        return _iso(rfc[0], rfc[1], rfc[2])
    found = find_date(text)
    if found is not None:
        return found[0]
    if _DATE_PATTERNS[_SLASH_PATTERN_INDEX].search(text):
        return None  # an ambiguous 02/04/2025, which dateparser would read month-first
    return _date_from_dateparser(text)


def _date_from_dateparser(text: str) -> Optional[str]:
    """Dates in other languages or odd formats; absolute readings only, the year required."""
    from dateparser.date import DateDataParser

    parser = DateDataParser(settings={
        "PARSERS": ["custom-formats", "absolute-time"],
        "REQUIRE_PARTS": ["year"],
        "RETURN_TIME_AS_PERIOD": False,
    })
    try:
        data = parser.get_date_data(text)
    except (ValueError, TypeError, OverflowError):
        return None
    if data is None or data.date_obj is None:
        return None
    moment = data.date_obj
    if data.period == "year":
        return _iso(moment.year, None, None)
    if data.period == "month":
        return _iso(moment.year, moment.month, None)
    return _iso(moment.year, moment.month, moment.day)


# --- published -------------------------------------------------------------------------

_TIME = re.compile(r"\b\d{1,2}(?::\d{2}){1,2}\s*(?:[ap]\.?\s?m\.?)?|\b\d{1,2}\s*[ap]\.?m\.?(?!\w)", re.I)
_ZONE = re.compile(r"\b(?:[A-Z]{1,4}T|UTC|GMT|Z)(?:\s*[+-]\d{1,2}(?::?\d{2})?)?\b|[+-]\d{2}:?\d{2}\b")
_MARKER = re.compile(r"^\W*(?P<word>first published|last updated|published|updated|posted|date)\b", re.I)
_DATELINE_WORDS = {"published", "updated", "posted", "on", "at", "last", "first", "date", "am", "pm", "a", "p", "m"}
_AGENCY_DATELINE = re.compile(r"^[A-Z][A-Z .,'’-]{1,40},?\s*\(?$")


def _published(lines: list[str]) -> Optional[str]:
    marked: dict[str, str] = {}
    for line in lines:
        if len(line) > 150:
            continue
        marker = _MARKER.match(line)
        if marker:
            found = find_date(line)
            # The date must be the marker's own: "Posted 1 year, 160 days ago [downloaded on 2 October
            # 2013]" states an age, and the date after it is when the page was saved, not published.
            if found is not None and _is_dateline(line[marker.end():found[1]]):
                kind = "updated" if "updated" in marker.group("word").lower() else "published"
                marked.setdefault(kind, found[0])
    if "published" in marked:
        return marked["published"]
    for line in lines[:_TOP_LINES]:
        found = find_date(line)
        if found is None:
            continue
        iso, start, end = found
        if _is_dateline(line[:start] + " " + line[end:]):
            return iso
        # An agency dateline opening the first paragraph: "WASHINGTON, Feb. 4, 2025 — ..."
        if _AGENCY_DATELINE.match(line[:start]) and re.match(r"^\s*\)?\s*[-–—(]", line[end:]):
            return iso
    return marked.get("updated")


def _is_dateline(rest: str) -> bool:
    """What remains of a line once its date is removed holds only times, weekdays and markers."""
    rest = _TIME.sub(" ", rest)
    rest = _ZONE.sub(" ", rest)
    words = re.findall(r"[^\W\d_]+", rest)
    return all(word.lower() in _WEEKDAYS or word.lower() in _DATELINE_WORDS for word in words)


# --- names ---------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\s]+")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _capitalised(token: str) -> bool:
    return bool(token) and (token[0].isupper() or token[0].isdigit())


def _looks_like_outlet(text: str, max_words: int = 6) -> bool:
    tokens = _tokens(text)
    if not 1 <= len(tokens) <= max_words or not _capitalised(tokens[0]):
        return False
    if text[-1] in ".!?:;,\"”'’)":
        return False
    if len(tokens) == 1 and any(char.isdigit() for char in text):
        return False  # a lone "2025" or "A1" is not a name
    return all(_capitalised(token) or token.lower() in _CONNECTORS for token in tokens)


def _looks_like_person(text: str) -> bool:
    """Two to four capitalised words (particles such as de/van aside), none a function or media word."""
    if any(char.isdigit() for char in text) or text[-1] in ".!?:;,":
        return False
    tokens = _tokens(text)
    name_tokens = [token for token in tokens if token.lower() not in _NAME_PARTICLES]
    if not 2 <= len(name_tokens) <= 4 or len(tokens) > 5:
        return False
    for token in name_tokens:
        word = token.strip("'’")
        if not word or not word[0].isupper() or not all(char.isalpha() or char in "'’-." for char in word):
            return False
        lowered = word.lower().rstrip(".")
        if lowered in _FUNCTION_WORDS or lowered in _MEDIA_NOUNS or lowered in _MONTHS or lowered in _WEEKDAYS:
            return False
    shouting = [token for token in name_tokens if len(token) >= 2 and token.isupper()]
    # "US Army", "BBC Studios": an acronym next to ordinary words is an organisation.
    return not shouting or len(shouting) == len(name_tokens)


def _initials(tokens: list[str], *, skip_connectors: bool) -> str:
    return "".join(
        token[0].upper() for token in tokens if token and not (skip_connectors and token.lower() in _CONNECTORS)
    )


# --- outlet --------------------------------------------------------------------------

_MASTHEAD_SEPARATOR = re.compile(r"\s+(\||–|—|-|•|·|::)\s+")
_ACRONYM = re.compile(r"\b[A-Z]{2,6}\b")
_URL = re.compile(r"https?://[^\s<>\"')]+|\bwww\.[^\s<>\"')]+", re.I)
_CAPITALISED_RUN = re.compile(r"[A-Z][\w'’&.-]*(?:\s+(?:(?:of|the|and|for|de|&)\s+)?[A-Z][\w'’&.-]*)*")


def url_domain(url: str) -> Optional[str]:
    """The host of a URL without a leading ``www.``: ``https://www.example.com/a`` → ``example.com``."""
    candidate = url.strip()
    if "://" not in candidate:
        candidate = "//" + candidate
    try:
        host = urlsplit(candidate).hostname
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    return re.sub(r"^www\d*\.", "", host.lower().rstrip("."))


def _masthead(first_line: str, text: str, url: Optional[str]) -> Optional[tuple[str, str]]:
    """(headline, outlet) from a first line ``<Headline> <separator> <Outlet>``."""
    separators = list(_MASTHEAD_SEPARATOR.finditer(first_line))
    if not separators:
        return None
    last = separators[-1]
    headline = first_line[: last.start()].strip()
    outlet = first_line[last.end():].strip()
    if len(_tokens(headline)) < 3 or len(_tokens(outlet)) >= len(_tokens(headline)) or not _looks_like_outlet(outlet):
        return None
    rest_of_text = text.replace(first_line, "", 1)
    if last.group(1) == "|" or _confirmed_outlet(outlet, rest_of_text, url):
        return headline, outlet
    return None


def _confirmed_outlet(name: str, rest: str, url: Optional[str]) -> bool:
    """A dash suffix could be the end of a headline; something else must say it is an outlet."""
    tokens = _tokens(name)
    if any(token.lower() in _MEDIA_NOUNS for token in tokens):
        return True
    if name.lower() in rest.lower():
        return True
    initials = {_initials(tokens, skip_connectors=True), _initials(tokens, skip_connectors=False)}
    for acronym in set(_ACRONYM.findall(rest)):
        if any(_abbreviates(acronym, full) for full in initials):
            return True
    compact = re.sub(r"[^a-z0-9]", "", name.lower())
    domains = [url_domain(found) for found in _URL.findall(rest)] + ([url_domain(url)] if url else [])
    for domain in filter(None, domains):
        label = _main_label(domain)
        if label == compact or label in {full.lower() for full in initials if len(full) >= 2}:
            return True
    return False


def _main_label(domain: str) -> str:
    """``news.example.co.uk`` → ``example``: the label before the public suffix, roughly."""
    labels = domain.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in {"co", "com", "org", "net", "ac", "gov", "ne", "or"}:
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else labels[0]


def _abbreviates(acronym: str, initials: str) -> bool:
    if len(initials) < 2:
        return False
    return acronym == initials or (len(acronym) >= 3 and initials.startswith(acronym))


_STAFF = re.compile(
    r"^(?:By\s+)?(?P<org>\S+(?:\s+\S+){0,4}?)\s+Staff(?:\s+(?:Writer|Reporter|Report))?\s*[,:|–—-]?\s*(?:By\s+)?(?P<name>.+)$"
)


def _staff_byline(line: str) -> Optional[tuple[str, str]]:
    """(outlet, name) from ``<Outlet> Staff <Name>``."""
    match = _STAFF.match(line)
    if not match:
        return None
    org, name = match.group("org").strip(), match.group("name").strip()
    if _looks_like_outlet(org, max_words=5) and _looks_like_person(name):
        return org, name
    return None


def _expand_initialism(acronym: str, lines: list[str]) -> Optional[str]:
    """A name in the text whose initials are ``acronym`` (exactly, else starting with it)."""
    letters = acronym.replace(".", "")
    if not (2 <= len(letters) <= 6 and letters.isalpha() and letters.isupper()):
        return None
    exact: Optional[str] = None
    prefix: Optional[str] = None
    for line in lines:
        for run in _CAPITALISED_RUN.finditer(line):
            tokens = _tokens(run.group())
            for start in range(len(tokens)):
                if tokens[start].lower() in _CONNECTORS:
                    continue
                for end in range(start + 2, min(len(tokens), start + 7) + 1):
                    if tokens[end - 1].lower() in _CONNECTORS:
                        continue
                    candidate = tokens[start:end]
                    initials = _initials(candidate, skip_connectors=True)
                    name = " ".join(candidate).rstrip(".,;:")
                    if initials == letters and exact is None:
                        exact = name
                    elif prefix is None and len(letters) >= 3 and initials.startswith(letters) and len(initials) == len(letters) + 1:
                        prefix = name
    return exact or prefix


_SIGN_OFF = re.compile(
    r"^(?:from|via|source|sources|originally published (?:in|by|on|at)|first published (?:in|by|on|at)"
    r"|this (?:article|story) (?:first |originally )?(?:appeared|was (?:first |originally )?published) (?:in|on|at|by))"
    r"\s*:?\s+(?P<outlet>.+?)\.?$",
    re.I,
)
_COPYRIGHT = re.compile(
    r"^(?:copyright\s*)?(?:©|\(c\))\s*(?:(?:19|20)\d{2}(?:\s*[-–]\s*(?:19|20)\d{2})?\s*,?\s*)?(?P<outlet>.+?)"
    r"(?:[.,]?\s*all rights reserved)?\.?$",
    re.I,
)


def _sign_off_outlet(last_lines: list[str]) -> Optional[str]:
    for line in reversed(last_lines):
        if len(line) > 100:
            continue
        for pattern in (_SIGN_OFF, _COPYRIGHT):
            match = pattern.match(line)
            if match and _looks_like_outlet(match.group("outlet")):
                return match.group("outlet")
    return None


# --- byline --------------------------------------------------------------------------

_BY = re.compile(r"^(?:By|BY|Written by|Words by)\s+(?P<names>.+)$")
_REPORTING_BY = re.compile(r"\b(?:Reporting|Reported|Written) by\s+(?P<names>[^;.]+)", re.I)
_NAME_SPLIT = re.compile(r"\s*(?:,|;|\||\band\b|&|\s[-–—]\s)\s*")


def _names_from(text: str) -> Optional[str]:
    names: list[str] = []
    for part in _NAME_SPLIT.split(text.strip()):
        if not part:
            continue
        if not _looks_like_person(part):
            break  # "By Jane Doe, Reuters": the first part that is not a name ends the byline
        names.append(part)
    return ", ".join(names) or None


def _by_line(line: str) -> Optional[str]:
    match = _BY.match(line)
    return _names_from(match.group("names")) if match and len(line) <= 120 else None


def _closing_byline(lines: list[str]) -> Optional[str]:
    if len(lines) < 2:
        return None
    for line in lines[-_BOTTOM_LINES:]:
        match = _REPORTING_BY.search(line)
        if match and len(line) <= 200:
            names = _names_from(match.group("names"))
            if names:
                return names
    last = lines[-1]
    if _SIGN_OFF.match(last) or _COPYRIGHT.match(last):
        return None
    return last if _looks_like_person(last) else None


# --- title ---------------------------------------------------------------------------


def _title(lines: list[str], masthead_headline: Optional[str]) -> Optional[str]:
    if len(lines) < 2:
        return None  # a one-line text has no headline apart from its body
    candidate = masthead_headline or lines[0]
    words = _tokens(candidate)
    if not 3 <= len(words) <= 25 or len(candidate) > 250:
        return None
    if candidate.rstrip("\"'”’)»").endswith((".", ":", ";", ",")) or not _capitalised(candidate.lstrip("\"'“‘«(")):
        return None
    if _URL.search(candidate) or _BY.match(candidate) or _staff_byline(candidate):
        return None
    found = find_date(candidate)
    if found is not None and _is_dateline(candidate[: found[1]] + " " + candidate[found[2]:]):
        return None
    if _MARKER.match(candidate) or _SIGN_OFF.match(candidate):
        return None
    return candidate
