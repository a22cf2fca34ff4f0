"""Wire copies: which agency an article's text is, by how agencies sign their copy.

Signals, strongest first (one is enough; the first found is reported with its words):

1. ``outlet``   the article's own outlet is a wire agency in the registry (the agency's original);
2. ``dateline`` the agency's code in brackets after the dateline, then a dash: ``DETROIT (AP) —``;
3. ``byline``   a ``By ...`` line naming the agency (``By The Associated Press``,
                ``By JANE DOE, Associated Press``), or a stored byline that is the agency;
4. ``credit``   a copyright line naming the agency alone: ``Copyright 2017 The Associated Press``,
                ``© Reuters`` (a joint credit, ``Copyright 2016 WIS and The Associated Press``, is not:
                such texts were the station's own report with agency material in it).

Mentions of an agency as a *source* of quotes ("told The Associated Press", "AP Photo",
"a USA Today/AP survey") and contribution notes ("The Associated Press contributed to this
report") are not signals: the outlet wrote that text itself. A copy or excerpt of a signed
text, or a rewrite made from it, is a wire copy too (signal ``copy``, :func:`propagate_copies`);
an article the agency's text was rewritten *from* is not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..model import Article, Outlet, Relation
from .registry import Registry, name_key

__all__ = ["WireCredit", "WireDetector", "propagate_copies"]

# Datelines and bylines sit at the top of a wire text; a dateline's code further down would be
# a quoted or appended story, not this one's signature.
_TOP_CHARS = 600
_DASH = r"\s*(?:[-–—]{1,2}|:)"
_BY_LINE_CHARS = 100


@dataclass(frozen=True)
class WireCredit:
    """An article taken for an agency's copy: which agency, by which signal, and the words that say so."""

    agency: str
    signal: str  # outlet | dateline | byline | credit | copy (of an article with one of the others)
    evidence: str
    span: tuple[int, int] | None = None


class WireDetector:
    """Finds the agency signals of every wire agency a registry knows (the shipped ones and the user's)."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.agencies: list[Outlet] = [o for o in dict.fromkeys(registry.outlets) if o.type == "wire agency"]
        self.datelines: list[tuple[re.Pattern[str], Outlet]] = []
        self.credits: list[tuple[re.Pattern[str], Outlet]] = []
        self.bylines: list[tuple[re.Pattern[str], Outlet]] = []
        for agency in self.agencies:
            if agency.datelines:
                codes = "|".join(re.escape(code) for code in sorted(agency.datelines, key=len, reverse=True))
                # Case matters: "(AP)" is the agency, "(ap)" is not.
                self.datelines.append((re.compile(rf"\((?:{codes})\){_DASH}"), agency))
            names = sorted({*agency.credit_lines, agency.name, *agency.aliases}, key=len, reverse=True)
            long_names = [n for n in names if len(n) > 3 or n.isupper()]
            if not long_names:
                continue
            alternatives = "|".join(re.escape(n) for n in long_names)
            # "Copyright 2017 The Associated Press", but not a joint credit ("Copyright 2017 WIS and The
            # Associated Press", "Copyright Associated Press / NBC 6"): read by hand, those texts were the
            # station's own reports with agency material worked in, not the agency's copy.
            self.credits.append((re.compile(
                rf"(?:Copyright|©|\(c\))\s*(?:\(c\)\s*|©\s*)?(?:\d{{4}}\s+)?(?:(?:{alternatives})\b)"
                rf"(?!\s*(?:/|and\b|&))", re.IGNORECASE if any(len(n) > 5 for n in long_names) else 0), agency))
            self.bylines.append((re.compile(
                rf"^\s*By\b[^\n]{{0,60}}?(?:{alternatives})(?:\s+(?:staff\s+)?writer)?\s*$"), agency))

    def detect(self, article: Article) -> WireCredit | None:
        """The agency an article is a copy of, or None when its text and outlet show none."""
        own = self.registry.resolve(article.outlet, article.url, article.source)
        if own is not None and own.type == "wire agency":
            return WireCredit(own.name, "outlet", article.outlet or article.url or article.source)
        text = article.text
        top = text[:_TOP_CHARS]
        for pattern, agency in self.datelines:
            match = pattern.search(top)
            if match:
                return WireCredit(agency.name, "dateline", match.group(0).strip(), match.span())
        if article.byline:
            for agency in self.agencies:
                if any(name_key(article.byline) == name_key(n) for n in (agency.name, *agency.aliases)):
                    return WireCredit(agency.name, "byline", article.byline)
        offset = 0
        for line in top.split("\n"):
            if len(line) <= _BY_LINE_CHARS:
                for pattern, agency in self.bylines:
                    if pattern.match(line):
                        return WireCredit(agency.name, "byline", line.strip(), (offset, offset + len(line)))
            offset += len(line) + 1
        for pattern, agency in self.credits:
            for match in pattern.finditer(text):
                return WireCredit(agency.name, "credit", match.group(0).strip(), match.span())
        return None

    def detect_all(self, articles: Sequence[Article]) -> dict[str, WireCredit]:
        found = {}
        for article in articles:
            credit = self.detect(article)
            if credit is not None:
                found[article.id] = credit
        return found


# Relations through which an unsigned article is taken for a copy of a signed one: the same text or a
# cut of it, whichever way round; or a rewrite or translation made *from* the agency's text. A rewrite
# the agency made from a local outlet's report is that outlet's own reporting, not a wire copy.
_COPY_KINDS = ("duplicate", "excerpt")
_DERIVED_KINDS = ("rewrite", "translation")


def propagate_copies(credits: dict[str, WireCredit], relations: Sequence[Relation]) -> dict[str, WireCredit]:
    """``credits`` plus every unsigned article that copies (or derives from) a signed one, transitively."""
    found = dict(credits)
    followers: dict[str, list[tuple[str, str]]] = {}
    for relation in relations:
        if relation.kind in _COPY_KINDS:
            followers.setdefault(relation.a, []).append((relation.b, relation.kind))
            followers.setdefault(relation.b, []).append((relation.a, relation.kind))
        elif relation.kind in _DERIVED_KINDS and relation.direction is not None:
            source, target = (relation.a, relation.b) if relation.direction == "a->b" else (relation.b, relation.a)
            followers.setdefault(source, []).append((target, relation.kind))
    queue = sorted(found)
    while queue:
        article = queue.pop(0)
        for other, kind in sorted(followers.get(article, ())):
            if other not in found:
                found[other] = WireCredit(found[article].agency, "copy", f"{kind} of {article}")
                queue.append(other)
    return found
