"""The claims stage's settings, read from ``defaults.json`` beside this file (where each value came from is said there).

The stage's core (:func:`storyline.claims.build_story_claims`, and :func:`~storyline.claims.build_ledger`)
takes a :class:`ClaimSettings`; its steps read the ones in use through :data:`in_use`. The
check-worthiness model (``claims/checkworthiness_model.json``) is a fitted model, not a setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..stage_settings import InUse, check_values, shipped_values

DEFAULTS_PATH = Path(__file__).resolve().parent / "defaults.json"
_SHIPPED = shipped_values(DEFAULTS_PATH)

# Values that are cosines or shares, between 0 and 1.
_SHARES = frozenset({"align_threshold", "align_threshold_with_names", "name_agreement", "quote_overlap",
                     "passage_align_threshold", "lexical_floor", "denial_threshold", "derived_sentence_threshold",
                     "omission_cosine", "event_sentence_floor"})


@dataclass(frozen=True)
class ClaimSettings:
    """The stage's thresholds. Cosines are of the embedder's sentence vectors."""

    # --- alignment of claims across articles ---------------------------------------------------------
    # At or above ``align_threshold`` the vectors decide alone; from ``align_threshold_with_names`` the
    # sentences must also agree on their facts: this share of names in common, or a shared date or number.
    align_threshold: float = _SHIPPED["align_threshold"]
    align_threshold_with_names: float = _SHIPPED["align_threshold_with_names"]
    name_agreement: float = _SHIPPED["name_agreement"]
    # Two name tokens this alike (``fuzz.ratio``) count as one name in ``name_agreement``.
    name_match_ratio: float = _SHIPPED["name_match_ratio"]
    # Share of content words two quotes must have in common to be one quote in different wordings.
    quote_overlap: float = _SHIPPED["quote_overlap"]
    # Two sentences in passages the reuse stage aligned need only this cosine to be one claim.
    passage_align_threshold: float = _SHIPPED["passage_align_threshold"]
    # From ``lexical_floor``, a pair sharing a verbatim run of ``lexical_agreement`` content words aligns.
    lexical_floor: float = _SHIPPED["lexical_floor"]
    lexical_agreement: int = _SHIPPED["lexical_agreement"]
    # Each claim candidate is weighed against at most this many partners (its most similar).
    align_partners: int = _SHIPPED["align_partners"]
    # --- conflicts -----------------------------------------------------------------------------------
    # A denial and a report are about the same thing from this cosine, with this many content words shared;
    # each denial is weighed against its ``denial_partners`` most similar candidates only.
    denial_threshold: float = _SHIPPED["denial_threshold"]
    denial_shared_words: int = _SHIPPED["denial_shared_words"]
    denial_partners: int = _SHIPPED["denial_partners"]
    # --- evidence ------------------------------------------------------------------------------------
    # A derived article's sentence outside every aligned passage matches its origin's most similar
    # sentence from this cosine (each the other's best).
    derived_sentence_threshold: float = _SHIPPED["derived_sentence_threshold"]
    # --- candidates ----------------------------------------------------------------------------------
    min_statement_words: int = _SHIPPED["min_statement_words"]
    min_quote_words: int = _SHIPPED["min_quote_words"]
    # A label's word within this many words after a verb of designation is the designation's, not framing.
    designation_reach: int = _SHIPPED["designation_reach"]
    # --- omissions -----------------------------------------------------------------------------------
    # A sentence this close to one of a claim's wordings carries the claim in other words.
    omission_cosine: float = _SHIPPED["omission_cosine"]
    # At most this many omissions per article.
    max_omissions: int = _SHIPPED["max_omissions"]
    # --- event sub-claims ----------------------------------------------------------------------------
    # Two mentions of one predicate stem are one event unless their arguments clash or their sentences'
    # cosine is below this.
    event_sentence_floor: float = _SHIPPED["event_sentence_floor"]

    def __post_init__(self) -> None:
        check_values(self, shares=_SHARES, ratios=frozenset({"name_match_ratio"}),
                     at_least_one=frozenset({"align_partners", "denial_partners", "min_quote_words"}))
        if self.align_threshold_with_names > self.align_threshold:
            raise ValueError("need align_threshold_with_names <= align_threshold")

    @classmethod
    def defaults(cls) -> "ClaimSettings":
        """The shipped defaults (the same as ``ClaimSettings()``)."""
        return cls()


DEFAULTS = ClaimSettings()
# The settings the stage's steps read: those its core was called with, else the defaults.
in_use: InUse[ClaimSettings] = InUse("claim settings", DEFAULTS)
