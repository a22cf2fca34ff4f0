"""Stage: claims, the claim ledger of a story.

1. Extract claim candidates from each article of the story: quotes with their
   speaker, numbers with what they count, events (a named actor, an action, a
   date), and other factual statements. Boilerplate is skipped; sentences in
   loaded or evaluative language, and hedged statements, are marked as opinion
   (the checkable clause of such a sentence, e.g. a number, is a fact when it
   stands free of the loaded words).
2. Align candidates across articles: sentence embeddings, the passages the
   reuse stage aligned between two articles, and the distinctive words two
   sentences share; then the facts inside them (names, numbers, dates, quoted
   words) decide. Aligned candidates become one claim; aligned candidates that
   give different numbers for the same thing, or different dates, become two
   claims in conflict. A claim every article words as opinion is kept, marked
   ``opinion``; a fact one outlet words with loaded words stays a fact.
3. Status: independent sources are counted on the provenance graph, so a copy,
   rewrite or translation of an article does not corroborate it. Omissions
   list, for each article, the story's facts it does not carry.
4. Framing: each piece of evidence keeps, as written, who the article
   attributes the claim to, its loaded words and contested labels, its hedges
   and the quotes it keeps, so outlets' wordings of one fact can be shown side
   by side. Nothing is generated.

Everything here is pure: the inputs are the shared dataclasses, no model is
loaded (the sentence vectors come from the prepare stage) and no file is read.
"""


from ..text import DateMention, Quantity, QuoteSpan, extract_dates, extract_quantities, find_quotes
from .align import (
    Alignment,
    align_candidates,
    claim_wording_diffs,
    passage_pairs,
    shared_phrase,
    wording_diff,
)
from .conflicts import dates_conflict, same_counted_thing, values_agree
from .events import (
    EVENT_SYNONYMS,
    REPORTING_VERBS,
    EventClaim,
    EventMention,
    align_events,
    build_event_ledger,
    event_key,
    extract_event_mentions,
)
from .extract import ClaimCandidate, extract_claim_candidates, find_attribution, is_boilerplate
from .framing import framing, label_markers, opinion_markers
from .ledger import build_ledger, claim_status
from .omissions import DERIVATION_LABELS, TOP_CLAIMS, rank_score
from .settings import ClaimSettings
from .story import StoryClaims, build_story_claims

__all__ = [
    "DERIVATION_LABELS",
    "TOP_CLAIMS",
    "rank_score",
    "Alignment",
    "ClaimSettings",
    "ClaimCandidate",
    "DateMention",
    "EVENT_SYNONYMS",
    "EventClaim",
    "EventMention",
    "Quantity",
    "QuoteSpan",
    "align_candidates",
    "align_events",
    "build_event_ledger",
    "build_ledger",
    "build_story_claims",
    "StoryClaims",
    "claim_status",
    "claim_wording_diffs",
    "dates_conflict",
    "extract_claim_candidates",
    "extract_dates",
    "event_key",
    "extract_event_mentions",
    "REPORTING_VERBS",
    "extract_quantities",
    "find_attribution",
    "find_quotes",
    "framing",
    "label_markers",
    "passage_pairs",
    "shared_phrase",
    "is_boilerplate",
    "opinion_markers",
    "same_counted_thing",
    "values_agree",
    "wording_diff",
]
