"""Boilerplate: lines a site repeats on its pages (navigation, "Subscribe", share buttons, credits).

They say nothing about the story a page tells, so neither the stories stage nor
the reuse stage counts them as shared content: two unrelated pages of one site
share them all. A line is a site's boilerplate when it is written the same on
``BOILERPLATE_PAGES`` or more of that site's pages; a site is the outlet, else
the URL's host. The same holds for the parts of a headline (its site's name or
tagline after a dash or bar: "... - Yahoo! News"). Articles from no known site have no boilerplate (a wire story
reprinted by many outlets is not boilerplate: its lines repeat across sites).

A page can also be furniture as a whole: what the reader kept of it is a sign-in form, a notification
widget or a video playlist, written the same on a publisher's several sites or on two pages of one,
too few for the counts above. Such a text never names what its own headline is about
(:func:`tells_another_story`), where every report, copy, excerpt or translation of a story does.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from typing import Iterable

from .model import Article, Prepared

_WORD = re.compile(r"\w+", re.UNICODE)

BOILERPLATE_PAGES = 3
"""A line written the same on this many pages of one site is the site's, not the story's."""

EDGE_LINES = 5
SHORT_LINE_WORDS = 8
"""Only a page's first and last ``EDGE_LINES`` lines and its short lines are counted: that is where a
site's furniture sits (menus, bylines, share buttons, credits, footers), and counting every sentence
of every page would make the counts grow with the corpus' text rather than with its pages."""


# What separates a headline from its site's name or tagline: a dash, bar, colon, bullet or guillemet between
# spaces ("... - Yahoo! News", "... | KSLA News 12 Shreveport"); a colon inside a headline ("Police: ...") has none.
TITLE_SEPARATOR = re.compile(r"\s+[-|\u2013\u2014:\u00b7\u2022\u00bb]+\s+")


def site_of(article: Article) -> str:
    """The outlet, else the URL's host; empty when neither is known."""
    if article.outlet and article.outlet.strip():
        return article.outlet.strip().lower()
    url = article.url or ""
    host = url.split("//", 1)[1].split("/", 1)[0].lower() if "//" in url else ""
    return host[4:] if host.startswith("www.") else host


HEADLINE_WORDS = 3
"""A headline with fewer content words (longer than two letters) than this says too little to check a text against."""
# Words any headline or address shares with any page ("the", "and", "html"), left out so that they cannot make a
# page tell its story.
_COMMON_WORDS = frozenset({"the", "and", "for", "with", "from", "are", "was", "were", "his", "her", "its", "their",
                           "that", "this", "these", "those", "after", "into", "over", "has", "have", "had", "not",
                           "but", "who", "when", "which", "out", "new", "news", "www", "com", "html", "htm", "php", "aspx",
                           "article", "story", "index"})


def tells_another_story(article: Article) -> bool:
    """Whether the text names none of its headline's content words: it is page furniture (a sign-in form,
    a widget, a playlist of other videos), not the story the headline announces.

    The headline's words are the title's and the address path's (a site's generic title often leaves the
    headline to the address). False when there is nothing to check (fewer than ``HEADLINE_WORDS``
    content words, a headline in a script written without spaces, a text of no words). A report, a copy,
    an excerpt or a rewrite of the story carries some of its headline's names and words; the rule asks
    for one.
    """
    title = article.title or ""
    # Scripts written without spaces (Japanese, Chinese) run a headline's words together: they are not the text's words.
    if not title or any(unicodedata.east_asian_width(ch) in ("W", "F") and ch.isalnum() for ch in title):
        return False
    # The address's path often spells the headline proper where the title is the site's own ("News, Sports,
    # Jobs - Tribune Chronicle" over /2017/01/man-shoots-self-in-the-thigh/): either may be the one the text tells.
    url = article.url or ""
    path = url.split("//", 1)[1].split("/", 1)[1] if url.count("/") >= 3 and "//" in url else ""
    wanted = {w for w in _WORD.findall((title + " " + path.replace("_", " ")).lower())
              if len(w) > 2 and not w.isdigit() and w not in _COMMON_WORDS}
    if len(wanted) < HEADLINE_WORDS:
        return False
    words = _WORD.findall(article.text.lower())
    # A text of no words tells no other story: it is whatever its reader made of an empty page.
    return bool(words) and wanted.isdisjoint(words)


def site_line_key(site: str, line: str) -> int:
    """A stable 63-bit key for a line of a site (case and spacing ignored), the same in every process."""
    normal = site + "\x1f" + " ".join(line.lower().split())
    return int.from_bytes(hashlib.blake2b(normal.encode("utf-8"), digest_size=8).digest(), "little") >> 1


def _counted(doc: Prepared) -> list[int]:
    """Indices of the sentences that may be boilerplate: at the page's edges, or short."""
    n = len(doc.sentences)
    return [i for i, s in enumerate(doc.sentences)
            if i < EDGE_LINES or i >= n - EDGE_LINES or len(s.text.split()) <= SHORT_LINE_WORDS]


def title_parts(title: str) -> list[str]:
    """A headline's parts between separators: a site often writes its name or tagline as one of them."""
    return [part for part in TITLE_SEPARATOR.split(title) if part.strip()]


def page_line_keys(doc: Prepared) -> set[int]:
    """The keys of a page's distinct countable lines and headline parts; none when its site is unknown."""
    site = site_of(doc.article)
    if not site:
        return set()
    keys = {site_line_key(site, doc.sentences[i].text) for i in _counted(doc)}
    keys.update(site_line_key(site, part) for part in title_parts(doc.article.title or ""))
    return keys


def count_site_lines(docs: Iterable[Prepared]) -> Counter[int]:
    """On how many pages each line of each site occurs (add the counts of several batches with ``+``)."""
    counts: Counter[int] = Counter()
    for doc in docs:
        counts.update(page_line_keys(doc))
    return counts


def headline_without_boilerplate(article: Article, site_lines: Counter[int]) -> str:
    """The headline without the parts its site repeats on its pages' headlines (the site's name, its tagline:
    "... - Yahoo! News"); all of it when no part repeats, nothing when every part does."""
    title = article.title or ""
    site = site_of(article)
    parts = title_parts(title) if site else []
    kept = [part for part in parts if site_lines[site_line_key(site, part)] < BOILERPLATE_PAGES]
    return title if len(kept) == len(parts) else " - ".join(kept)


def boilerplate_sentences(doc: Prepared, site_lines: Counter[int]) -> frozenset[int]:
    """Indices of the page's sentences that are its site's boilerplate."""
    site = site_of(doc.article)
    if not site:
        return frozenset()
    return frozenset(i for i in _counted(doc)
                     if site_lines[site_line_key(site, doc.sentences[i].text)] >= BOILERPLATE_PAGES)
