"""Plain dataclasses shared by every stage.

Stage cores take and return these and nothing else: no store handles, no
open files. That is what lets the SQLite runner and the Spark engine call
the same functions.

Spans are ``(start, end)`` character offsets into an article's stored text.
Dates are ISO 8601 strings: ``2025-02-03``, ``2025-02`` or ``2025``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable, Literal, Mapping, Optional, Sequence

import numpy as np

Span = tuple[int, int]

RelationKind = Literal["duplicate", "excerpt", "rewrite", "translation", "shared-source", "related"]
ClaimKind = Literal["quote", "number", "event", "statement"]
ClaimStatus = Literal["corroborated", "single-source", "contradicted"]
Precision = Literal["day", "month", "year"]


def stable_id(prefix: str, *parts: str, length: int = 12) -> str:
    """A short id that depends only on ``parts``: the same input gives the same id on every run."""
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()
    return f"{prefix}-{digest[:length]}"


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


# --- input ---------------------------------------------------------------


@dataclass(frozen=True)
class RawDocument:
    """What a reader yields: one article's text and whatever metadata the input carried.

    ``source`` is the article's identity: a path as given, a URL, or a record id
    inside a container file (``feed.xml#entry=3``, ``dump.jsonl#line=12``).
    Fields the input did not carry are None; the metadata stage fills them from
    the text where the text says them, and only then.
    """

    source: str
    text: str
    title: Optional[str] = None
    url: Optional[str] = None
    outlet: Optional[str] = None
    published: Optional[str] = None
    language: Optional[str] = None
    byline: Optional[str] = None
    reader: str = ""


@dataclass(frozen=True)
class Skipped:
    """An input that could not be read, and why, in words a user can act on."""

    source: str
    reason: str


# --- stored articles and their prepared signals ----------------------------


@dataclass(frozen=True)
class Article:
    id: str
    source: str
    text: str
    title: Optional[str] = None
    url: Optional[str] = None
    outlet: Optional[str] = None
    published: Optional[str] = None
    language: Optional[str] = None
    byline: Optional[str] = None
    version: int = 1

    @staticmethod
    def id_for(source: str) -> str:
        return stable_id("a", source)


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


@dataclass
class Prepared:
    """An article with the signals every analysis stage reads, computed once per version.

    ``sentence_vectors`` are unit-length rows, one per sentence; ``vector`` is the
    unit-length mean of them (the article's embedding); ``minhash`` is a uint32
    signature over word shingles.
    """

    article: Article
    language: Optional[str]
    sentences: list[Sentence]
    vector: np.ndarray
    sentence_vectors: np.ndarray
    minhash: np.ndarray

    @property
    def id(self) -> str:
        return self.article.id


SentenceVectors = Callable[[Sequence[str]], Mapping[str, np.ndarray]]
"""Reads the sentence vectors of the articles named (one row per sentence, as stored), by id: given to a
stage whose records come without them (an empty array), so that it holds only those it is using."""


# --- reuse (provenance) ----------------------------------------------------


@dataclass(frozen=True)
class Passage:
    a: Span
    b: Span
    similarity: float


@dataclass
class Relation:
    """How article ``a`` and article ``b`` derive from each other (a < b by id)."""

    a: str
    b: str
    kind: RelationKind
    direction: Optional[Literal["a->b", "b->a"]] = None
    score: float = 0.0
    evidence: list[str] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)


# --- stories and events ----------------------------------------------------


@dataclass
class Event:
    id: str
    title: Optional[str]
    articles: list[str]
    date: Optional[str] = None


@dataclass
class Story:
    id: str
    title: Optional[str]
    articles: list[str]
    events: list[Event] = field(default_factory=list)
    independent_sources: int = 0


# --- entities ----------------------------------------------------------------


@dataclass(frozen=True)
class Mention:
    article: str
    span: Span
    text: str
    label: Optional[str] = None  # the NER model's label: a hint, not truth


@dataclass
class Merge:
    """Why two groups of aliases were taken for one entity."""

    aliases: list[str]
    rule: str
    evidence: str


@dataclass
class Entity:
    id: str
    name: str
    type: Optional[str]
    aliases: list[str]
    articles: list[str]
    mentions: list[Mention]
    merges: list[Merge] = field(default_factory=list)


# --- claims, omissions, timeline -----------------------------------------------


@dataclass(frozen=True)
class Evidence:
    article: str
    span: Span
    sentence: str
    wording: str  # the claim as this article words it (the clause, or the quote)
    # Framing, extracted from the sentence (claims only; empty elsewhere): who the
    # article attributes the statement to as written (None: stated in its own voice),
    # its loaded or evaluative words, its hedges, and the quoted words it keeps.
    attributed_to: Optional[str] = None
    markers: tuple[str, ...] = ()
    hedges: tuple[str, ...] = ()
    quotes: tuple[str, ...] = ()
    # Provenance of this wording (claims only): the article of the claim it derives from, through the
    # relation the reuse stage found (e.g. a machine translation of it), or None for an original wording.
    derived_from: Optional[str] = None
    derivation: Optional[str] = None  # that relation's kind: duplicate, excerpt, rewrite, translation, shared-source


@dataclass
class Claim:
    id: str
    story: str
    text: str
    kind: ClaimKind
    speaker: Optional[str]  # entity id
    articles: list[str]
    status: ClaimStatus
    independent_sources: int
    conflicts: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    # True when every article words it as opinion (loaded words) or a hedge: shown, not taken as fact.
    opinion: bool = False
    markers: list[str] = field(default_factory=list)  # the loaded words and hedges that made it opinion
    # How much the claim asserts a checkable fact (0-1, a model trained on ClaimBuster); the ledger is ranked by
    # it and by the independent sources carrying the claim.
    checkworthiness: float = 0.0
    origin: Optional[str] = None  # the article whose wording is ``text``: the origin of every derived wording
    # One article per independent source carrying the claim (the earliest of its provenance group): where a
    # single-source claim comes from.
    sources: list[str] = field(default_factory=list)
    # Who said it, as named: the speaker entity's name, or the article's words for a speaker no entity holds.
    speaker_name: Optional[str] = None
    # The event sub-claims (ids of the story's ``ClaimEvent``s, minor ones aside) whose predicate this claim's
    # evidence holds: one sentence often reports several events, and one event is one id across articles.
    events: list[str] = field(default_factory=list)


@dataclass
class ClaimEvent:
    """An event sub-claim: one real-world event (one predicate) of a story, aligned across its articles.

    Stored beside the story's claims rather than as claims of their own, so the
    ledger a reader sees stays one entry per checkable assertion.
    """

    id: str
    story: str
    lemma: str  # what its mentions share (claims.event_key): the verbal stem ("shoot" for "shooting"), through synonyms
    text: str  # the predicate's clause in its earliest mention
    articles: list[str]
    # One per mention: span = the predicate word, wording = that word as written, sentence = its clause.
    mentions: list[Evidence] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)  # the sentence-level claims whose evidence holds a mention
    # Every mention is a word that names no event by itself ("case", "deadly") but refers to one, joined to
    # the other mentions of its lemma: kept for event-level alignment, never listed under a claim.
    minor: bool = False


@dataclass
class Omission:
    story: str
    article: str
    claims: list[str]


@dataclass
class TimelineEntry:
    story: str
    date: Optional[str]
    precision: Optional[Precision]
    phrase: str
    text: str
    articles: list[str]
    evidence: list[Evidence] = field(default_factory=list)
    anchor: Optional[str] = None  # the dated article whose publication date resolved an undated one's phrase


# --- outlets (the user's registry, plus the shipped wire agencies) -----------------


@dataclass(frozen=True)
class Outlet:
    """One outlet as the user's registry (or the shipped list of wire agencies) describes it.

    Every field but ``name`` may be unknown (None or empty). ``labels`` holds the user's own
    columns (``leaning``, ``factuality`` ...): storyline ships no ratings of its own.
    ``datelines`` (``AP``), ``credit_lines`` (``The Associated Press``) are how a wire
    agency signs its copy; they are facts about agencies, not ratings.
    """

    name: str
    aliases: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    country: Optional[str] = None
    language: Optional[str] = None
    type: Optional[str] = None
    owner: Optional[str] = None
    parent: Optional[str] = None
    labels: tuple[tuple[str, str], ...] = ()
    datelines: tuple[str, ...] = ()
    credit_lines: tuple[str, ...] = ()


# --- the whole analysis, as the views see it ---------------------------------


@dataclass
class Analysis:
    articles: list[Article] = field(default_factory=list)
    stories: list[Story] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    omissions: list[Omission] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    outlets: list[Outlet] = field(default_factory=list)  # the user's registry (empty: none given)
    claim_events: list[ClaimEvent] = field(default_factory=list)  # the event sub-claims of every story
    # Stories whose per-story stages wait until they gain a second article or are opened (storyline.depth).
    shallow_stories: list[str] = field(default_factory=list)
