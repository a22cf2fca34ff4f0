"""The reuse stage's settings, read from ``defaults.json`` beside this file (where each value came from is said there).

The stage's core (:func:`storyline.reuse.relate` and the other entry points) takes a
:class:`ReuseSettings`; its steps read the ones in use through :data:`in_use`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..stage_settings import InUse, check_values, shipped_values

DEFAULTS_PATH = Path(__file__).resolve().parent / "defaults.json"
_SHIPPED = shipped_values(DEFAULTS_PATH)

# Values that are cosines, coverages or shares, between 0 and 1.
_SHARES = frozenset({
    "candidate_jaccard", "candidate_cosine", "anchor_candidate_dice", "sentence_match", "different_language_words",
    "cross_language_match", "merge_gain", "verbatim_sentence", "duplicate_coverage", "excerpt_coverage",
    "excerpt_length_ratio", "reuse_coverage", "low_lexical", "shared_source_order", "anchor_translation",
    "anchor_route_aligned", "anchor_length_ratio", "related_cosine"})


@dataclass(frozen=True)
class ReuseSettings:
    """The stage's thresholds. Cosines are of the embedder's vectors; name ratios ``fuzz.ratio`` (0-100)."""

    # --- candidates: at most ``candidate_limit`` per new article from each source --------------------
    # Shingle Jaccard at which LSH makes two articles candidates (bands and rows are derived from it).
    candidate_jaccard: float = _SHIPPED["candidate_jaccard"]
    # Article-vector cosine above which a pair is a candidate. Kept loose: alignment verifies.
    candidate_cosine: float = _SHIPPED["candidate_cosine"]
    candidate_limit: int = _SHIPPED["candidate_limit"]
    # Members of one LSH bucket looked at per article before ranking.
    bucket_scan_limit: int = _SHIPPED["bucket_scan_limit"]
    # Shared names and numbers that make a candidate: at least this many, and this share of the smaller
    # set; one carried by more than ``anchor_max_posting`` articles is skipped.
    anchor_candidate_shared: int = _SHIPPED["anchor_candidate_shared"]
    anchor_candidate_dice: float = _SHIPPED["anchor_candidate_dice"]
    anchor_max_posting: int = _SHIPPED["anchor_max_posting"]

    # --- alignment -----------------------------------------------------------------------------------
    # Shorter sentences are left out of alignment and coverage.
    min_sentence_words: int = _SHIPPED["min_sentence_words"]
    # A sentence pair aligns at this combined similarity.
    sentence_match: float = _SHIPPED["sentence_match"]
    # Language unknown: texts whose ``frequent_words`` most frequent words overlap less than
    # ``different_language_words`` are taken to be in different languages.
    frequent_words: int = _SHIPPED["frequent_words"]
    different_language_words: float = _SHIPPED["different_language_words"]
    # ``sentence_match`` across languages, where only links in the same order in both texts are kept.
    cross_language_match: float = _SHIPPED["cross_language_match"]
    # A sentence matched to two adjacent sentences must beat either alone by this much.
    merge_gain: float = _SHIPPED["merge_gain"]
    # Word-set Dice at which an aligned sentence counts as copied verbatim.
    verbatim_sentence: float = _SHIPPED["verbatim_sentence"]
    # A word is copied verbatim when it lies in a run of this many words the other text has too.
    verbatim_gram: int = _SHIPPED["verbatim_gram"]

    # --- kinds ---------------------------------------------------------------------------------------
    # duplicate: both texts copied verbatim at least this much.
    duplicate_coverage: float = _SHIPPED["duplicate_coverage"]
    # excerpt: this much of the shorter text copied verbatim, and it at most this share of the longer's length.
    excerpt_coverage: float = _SHIPPED["excerpt_coverage"]
    excerpt_length_ratio: float = _SHIPPED["excerpt_length_ratio"]
    # rewrite / translation: this share of the shorter text (by characters) aligns.
    reuse_coverage: float = _SHIPPED["reuse_coverage"]
    # Mean content-word Dice of the aligned sentences below which they are reworded rather than copied.
    low_lexical: float = _SHIPPED["low_lexical"]
    # shared-source by attribution: this many aligned pairs carrying the same facts, this many distinct
    # facts among them, and this share of the fact-carrying pairs in the same order.
    shared_source_pairs: int = _SHIPPED["shared_source_pairs"]
    shared_source_facts: int = _SHIPPED["shared_source_facts"]
    shared_source_order: float = _SHIPPED["shared_source_order"]
    # Translation the embedder cannot read: this share of names and numbers in the same order, at least
    # ``anchor_min_count`` of them, sentence counts within ``anchor_length_ratio``; only when the
    # alignment covers less than ``anchor_route_aligned`` of both texts.
    anchor_translation: float = _SHIPPED["anchor_translation"]
    anchor_route_aligned: float = _SHIPPED["anchor_route_aligned"]
    anchor_min_count: int = _SHIPPED["anchor_min_count"]
    anchor_length_ratio: float = _SHIPPED["anchor_length_ratio"]
    # related: article cosine at least this (with some aligned content).
    related_cosine: float = _SHIPPED["related_cosine"]
    # Machine translation: signs of at least this many kinds, or this many in all.
    mt_min_sign_kinds: int = _SHIPPED["mt_min_sign_kinds"]
    mt_min_signs: int = _SHIPPED["mt_min_signs"]
    # One name spelt two ways (same first letter and sound), and a mangled rendering of a name.
    same_sound_ratio: float = _SHIPPED["same_sound_ratio"]
    mangled_name_ratio: float = _SHIPPED["mangled_name_ratio"]

    def __post_init__(self) -> None:
        check_values(self, shares=_SHARES, ratios=frozenset({"same_sound_ratio", "mangled_name_ratio"}),
                     at_least_one=frozenset({"candidate_limit", "bucket_scan_limit", "verbatim_gram",
                                             "frequent_words"}))

    @classmethod
    def defaults(cls) -> "ReuseSettings":
        """The shipped defaults (the same as ``ReuseSettings()``)."""
        return cls()


DEFAULTS = ReuseSettings()
# The settings the stage's steps read: those its core was called with, else the defaults.
in_use: InUse[ReuseSettings] = InUse("reuse settings", DEFAULTS)
