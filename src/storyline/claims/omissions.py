"""Omissions: the story's key claims an article leaves out, when leaving them out says something.

An article omits a claim only when two or more independent sources carry it,
it ranks among the story's key claims, the article does not carry it in other
words (no sentence of the article is about as close to the claim as two
outlets' wordings of one fact are), and it does not reach the article through a
source the article derives from or that derives from it.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ..model import Claim, Omission, Prepared
from .settings import in_use



# How a view names a derived wording: "as machine-translated: ...".
DERIVATION_LABELS = {"translation": "as machine-translated", "rewrite": "as rewritten", "excerpt": "as excerpted",
                     "duplicate": "as copied", "shared-source": "as taken from a shared source"}
# The ledger's top claims: what a view shows first (the rest behind a control).
TOP_CLAIMS = 10


def rank_score(checkworthiness: float, independent_sources: int) -> float:
    """Check-worthiness weighted by how far the claim travelled (independent sources, logarithmically)."""
    return checkworthiness * (1.0 + math.log(max(independent_sources, 1)))


def claim_rank(claim: Claim) -> float:
    return rank_score(claim.checkworthiness, claim.independent_sources)


def ranked(claims: Sequence[Claim]) -> list[Claim]:
    """Facts first, best rank first; opinion last (shown, never counted)."""
    return sorted(claims, key=lambda c: (c.opinion, -claim_rank(c), c.id))


def find_omissions(story_id: str, claims: Sequence[Claim], docs: Sequence[Prepared],
                   source_of: dict[str, int], evidence_vectors: dict[str, np.ndarray]) -> list[Omission]:
    """For each article of ``docs``, the key claims it omits, best rank first.

    ``source_of`` maps each article to its independent source (provenance
    group); ``evidence_vectors`` holds, per claim id, one unit row per wording
    (its sentence's vector).
    """
    key_claims = [c for c in ranked(claims) if not c.opinion and c.independent_sources >= 2][:in_use().max_omissions]
    omissions = []
    for doc in docs:
        missing = []
        for claim in key_claims:
            if doc.id in claim.articles or source_of.get(doc.id) in {source_of.get(a) for a in claim.articles}:
                continue
            rows = evidence_vectors.get(claim.id)
            if rows is not None and len(doc.sentence_vectors) and rows.shape[1] == doc.sentence_vectors.shape[1]:
                if float(np.max(np.asarray(doc.sentence_vectors, dtype=np.float32) @ rows.T)) >= in_use().omission_cosine:
                    continue
            missing.append(claim.id)
        if missing:
            omissions.append(Omission(story=story_id, article=doc.id, claims=missing))
    return omissions
