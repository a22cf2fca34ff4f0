"""The stage's settings, read from ``defaults.json`` beside this file (what they were learnt on is said there)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

DEFAULTS_PATH = Path(__file__).resolve().parent / "defaults.json"


# Read once: an immutable view of the shipped file, not a cache that changes.
# Keys starting with "_" document the file (what the values were learnt on); the others are settings.
_SHIPPED: Mapping[str, Any] = MappingProxyType(
    {key: value for key, value in json.loads(DEFAULTS_PATH.read_text(encoding="utf-8")).items()
     if not key.startswith("_")})


@dataclass(frozen=True)
class StorySettings:
    """The stage's knobs. Their defaults come from ``defaults.json`` (learnt on training data):
    users do not tune them per corpus; override only what you must."""

    # Time: a dated unit only meets stories active within this many days of it.
    window_days: int = _SHIPPED["window_days"]
    # Calendar blocks the work is organised in (and the Spark engine's partitions); >= window_days.
    partition_days: int = _SHIPPED["partition_days"]
    # Unit-to-story score = text_weight * embedding cosine + keyword_weight * specific-term cosine.
    text_weight: float = _SHIPPED["text_weight"]
    keyword_weight: float = _SHIPPED["keyword_weight"]
    join_threshold: float = _SHIPPED["join_threshold"]
    # Below this embedding cosine shared names alone never join (same actors, other story).
    text_floor: float = _SHIPPED["text_floor"]
    # At or above this cosine the texts are near-copies or translations: join on text alone.
    near_copy: float = _SHIPPED["near_copy"]
    # Only this many stories (those sharing the most specific-term weight) are scored in full.
    candidate_stories: int = _SHIPPED["candidate_stories"]
    # At most this many postings are read per term: bounds the cost of very common terms.
    posting_scan: int = _SHIPPED["posting_scan"]
    # Events: how many content sentences make an article's lead.
    lead_sentences: int = _SHIPPED["lead_sentences"]
    event_text_weight: float = _SHIPPED["event_text_weight"]
    event_keyword_weight: float = _SHIPPED["event_keyword_weight"]
    event_date_weight: float = _SHIPPED["event_date_weight"]
    event_date_scale_days: float = _SHIPPED["event_date_scale_days"]
    # Average-link similarity at or above ``event_same`` is one development, below
    # ``event_different`` two; in between the cut is the story's own mean similarity.
    event_same: float = _SHIPPED["event_same"]
    event_different: float = _SHIPPED["event_different"]
    # Split test: a story of at least ``split_min_size`` rows is cut in two (normalised cut) and kept
    # apart when the link across the halves is below ``split_ratio`` times the weaker half's own link:
    # two look-alike stories that share their setting but not their actors. Only the first
    # ``split_sample`` rows are clustered; later rows go to the half they link to best.
    split_min_size: int = _SHIPPED["split_min_size"]
    split_ratio: float = _SHIPPED["split_ratio"]
    split_sample: int = _SHIPPED["split_sample"]
    # In the split test, two articles that both name years but not the same ones lose this much
    # similarity (times how little their years overlap): look-alikes are often years apart.
    split_year_penalty: float = _SHIPPED["split_year_penalty"]
    # ... and this share of the link the split test (and the rejoin pass's check against it) reads is the
    # content-word cosine (TF-IDF over every word, the content merge's; without ``content_merge`` the rows
    # carry none, and the test reads the stream's score), the rest the stream's score. Two look-alikes of one
    # product or one country share its names (on fnc1 the specific terms link two rumours at 0.26-0.5, within
    # 0.3-0.7), while the words that tell what happened differ (content words: 0.10-0.12 across, 0.15-0.45
    # within); the embedding's shared topic evens the ratio out.
    split_content_share: float = _SHIPPED["split_content_share"]
    # In the stream (and the fragment pass), a unit naming years, none of which its candidate story names,
    # loses this much score: without publication dates the years in the text keep look-alikes apart.
    year_penalty: float = _SHIPPED["year_penalty"]
    # ... a year within this many years of one of the story's agrees with it (the turn of a year).
    year_tolerance: int = _SHIPPED["year_tolerance"]
    # ... and a unit that shares a named year with the story but whose latest year is none of the story's
    # latest loses this much (never more than ``year_penalty``): earlier years are often background ("the first strike
    # since 2016"), but a look-alike years later often recalls the earlier story's year.
    latest_year_penalty: float = _SHIPPED["latest_year_penalty"]
    # ... the latest year that tier reads: of every year the text names (0), or of those named in its headline
    # and first ``dating_sentences`` sentences, the years that date its own event (a text naming none
    # there is not held to the tier): rumour bodies and follow-ups recall background years further down.
    dating_sentences: int = _SHIPPED["dating_sentences"]
    # Fragment pass: stories of at most ``fragment_size`` articles (0 = off) join the larger story they
    # link to best at ``fragment_threshold``, below ``join_threshold``: a stray article told in other words.
    fragment_size: int = _SHIPPED["fragment_size"]
    fragment_threshold: float = _SHIPPED["fragment_threshold"]
    # ... and only when that link beats the runner-up story's by this much (a stray that links
    # about as well to several look-alike stories belongs to none of them).
    fragment_margin: float = _SHIPPED["fragment_margin"]
    # Of the term part of the score, this share is the cosine of content words (TF-IDF over every word,
    # the heaviest ``content_terms`` per article), the rest the cosine of specific terms (names, numbers).
    content_share: float = _SHIPPED["content_share"]
    content_terms: int = _SHIPPED["content_terms"]
    # Content merge pass (0 = off): after the other passes, two stories of a window whose average link over
    # content words (the cosine of the same TF-IDF vectors, averaged over their articles' pairs) reaches
    # this join, strongest first: one story told in different words that the names alone left apart.
    content_merge: float = _SHIPPED["content_merge"]
    # ... the link is this share times the content-word cosine plus the rest times the specific-term cosine.
    content_merge_share: float = _SHIPPED["content_merge_share"]
    # ... and (0 = off) two stories stay apart when that link is below this times the weaker one's own link (the
    # mean link of its rows' pairs), the split test's rule (``split_ratio``): two look-alikes told in partly the
    # same words (two shootings of one city and weekend) reach the bar, but each is far closer to itself.
    content_merge_ratio: float = _SHIPPED["content_merge_ratio"]
    # Re-assignment pass (0 rounds = off): after the content merge, a unit moves to the story whose
    # average link (scored as the content merge scores it) beats its own story's by ``reassign_margin``
    # and reaches ``content_merge``; all moves of a round are decided against the same stories.
    reassign_rounds: int = _SHIPPED["reassign_rounds"]
    # In the content merge and the re-assignment, two dated sides lose this much link times the days between
    # their date ranges over ``window_days`` (0 = off): with dates, a story's own date range counts.
    date_gap_penalty: float = _SHIPPED["date_gap_penalty"]
    reassign_margin: float = _SHIPPED["reassign_margin"]
    # Support check (0 = off): where a row meets the story it links to best (the stream, its merge pass, the
    # fragment pass, the fold's borders), the story must back it as a whole, not through one member: of the
    # story's first ``support_members`` units (articles a derivation relation joins; at the fold's borders,
    # the stories that met there), those holding ``support_share`` of their articles must each link to the
    # row at ``support_link`` or more (the stream's score, article by article), else the row founds a story.
    # Average link alone lets a look-alike in when it links strongly to a few members and barely to the rest.
    # Near-copies and translations (``near_copy``) join on their text alone, as before. (The content merge
    # does not read it: there it cost recall on gva-window and fnc1, BENCHMARKS.md.)
    support_link: float = _SHIPPED["support_link"]
    support_share: float = _SHIPPED["support_share"]
    support_members: int = _SHIPPED["support_members"]
    # Relations of these kinds put two articles in one story whatever their texts say (a copy is its
    # source's story); other kinds (a shared source, a translation, ``related``) only inform the score.
    joining_kinds: tuple[str, ...] = tuple(_SHIPPED["joining_kinds"])

    def __post_init__(self) -> None:
        # A list read from JSON is the same setting as a tuple: keep one form so that settings compare equal.
        object.__setattr__(self, "joining_kinds", tuple(sorted(self.joining_kinds)))
        if self.window_days < 0:
            raise ValueError(f"window_days must be >= 0, got {self.window_days}")
        if self.partition_days < max(1, self.window_days):
            raise ValueError(f"partition_days ({self.partition_days}) must be >= window_days ({self.window_days}) "
                             "and >= 1, or a story could not reach across one border")
        if not 0.0 <= self.event_different <= self.event_same <= 1.0:
            raise ValueError("need 0 <= event_different <= event_same <= 1")
        if min(self.lead_sentences, self.candidate_stories, self.posting_scan) < 1:
            raise ValueError("lead_sentences, candidate_stories and posting_scan must be >= 1")
        if self.split_min_size < 4 or self.split_sample < self.split_min_size:
            raise ValueError("need 4 <= split_min_size <= split_sample (each half needs two rows)")
        if not 0.0 <= self.content_merge <= 1.0:
            raise ValueError(f"content_merge must be in [0, 1], got {self.content_merge}")
        if not 0.0 <= self.content_merge_share <= 1.0:
            raise ValueError(f"content_merge_share must be in [0, 1], got {self.content_merge_share}")
        if not 0.0 <= self.content_merge_ratio <= 1.0:
            raise ValueError(f"content_merge_ratio must be in [0, 1], got {self.content_merge_ratio}")
        if not 0.0 <= self.content_share <= 1.0:
            raise ValueError(f"content_share must be in [0, 1], got {self.content_share}")
        if self.reassign_rounds < 0 or self.reassign_margin < 0:
            raise ValueError("reassign_rounds and reassign_margin must be >= 0")
        if self.year_penalty < 0 or self.year_tolerance < 0:
            raise ValueError("year_penalty and year_tolerance must be >= 0")
        if self.date_gap_penalty < 0:
            raise ValueError(f"date_gap_penalty must be >= 0, got {self.date_gap_penalty}")
        if not 0.0 <= self.split_content_share <= 1.0:
            raise ValueError(f"split_content_share must be in [0, 1], got {self.split_content_share}")
        if not 0.0 <= self.split_ratio <= 1.0:
            raise ValueError(f"split_ratio must be in [0, 1], got {self.split_ratio}")
        if self.dating_sentences < 0:
            raise ValueError(f"dating_sentences must be >= 0, got {self.dating_sentences}")
        if self.support_link < 0 or not 0.0 <= self.support_share <= 1.0 or self.support_members < 1:
            raise ValueError("need support_link >= 0, 0 <= support_share <= 1 and support_members >= 1")
        if self.latest_year_penalty < 0:
            raise ValueError(f"latest_year_penalty must be >= 0, got {self.latest_year_penalty}")

    @property
    def latest_year_cost(self) -> float:
        """What the latest-year tier costs: sharing a year never costs more than sharing none."""
        return min(self.latest_year_penalty, self.year_penalty)

    @classmethod
    def defaults(cls) -> "StorySettings":
        """The shipped defaults (the same as ``StorySettings()``)."""
        return cls()
