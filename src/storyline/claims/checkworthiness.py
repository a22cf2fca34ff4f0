"""Check-worthiness: how much a sentence asserts a checkable fact, from a model trained on ClaimBuster.

A logistic regression over three kinds of features, all computable offline:
word 1-3-gram TF-IDF (digits folded to 0, so "12 people" meets "15 people"),
the sentence's USE-multilingual embedding when the story's vectors come from
that model, and a few cues (a number, a unit or amount, a number with what it
counts, first person, a stated opinion, a prediction, a question, a comparison,
past tense, length, names). The fitted coefficients ship as JSON beside this
module (``checkworthiness_model.json``, written by
``benchmarks/bench_checkworthy.py --write-model``); nothing here imports
scikit-learn. Two fits ship: one with the embedding and a lexical one for
stories embedded by another model, whose vectors mean nothing to the first.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

MODEL_PATH = Path(__file__).resolve().parent / "checkworthiness_model.json"
# The embedder whose sentence vectors the full fit was trained on (``embedders.MultilingualUSE.name``).
TRAINED_EMBEDDER = "use-multilingual"

_TOKEN = re.compile(r"(?u)\b\w+\b")
_DIGIT = re.compile(r"\d")
_AMOUNT = re.compile(r"%|\bper ?cent\b|[$€£]|\b(?:million|billion|trillion|thousand|hundred)\b", re.IGNORECASE)
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'll|me|my)\b")
_PREDICTION = re.compile(r"\b(?:will|would|should|must|going to)\b", re.IGNORECASE)
# A count with what it counts: the shape of most checkable numbers ("3 percent", "12 million jobs").
_COUNTED = re.compile(r"\d[\d,.]*\s*(?:%|per ?cent|million|billion|trillion|thousand|hundred|people|jobs|dollars|"
                      r"years|months|days|times|workers|children|students)\b", re.IGNORECASE)
# The speaker's own view or wish, which no record can confirm.
_OPINION = re.compile(r"\b(?:I think|I believe|I feel|in my opinion|I want|I hope|we need|we should|we must|"
                      r"we have to|we've got to)\b", re.IGNORECASE)
_COMPARISON = re.compile(r"\b(?:more|less|fewer|most|least|higher|lower|larger|smaller|bigger|increased?|decreased?|"
                         r"doubled|tripled|rose|fell|grew|dropped)\b", re.IGNORECASE)
# Reported past: regular past forms and the commonest irregular ones.
_PAST = re.compile(r"\b(?:\w{3,}ed|was|were|had|did|said|went|got|made|took|gave|lost|won|voted|passed|spent)\b",
                   re.IGNORECASE)
CUE_NAMES = ("digit", "amount", "first_person", "prediction", "question", "length", "capitalised_share",
             "counted", "opinion", "comparison", "past_share")


def terms(text: str) -> list[str]:
    """The word 1-, 2- and 3-grams the model weighs, lowercased, digits folded to 0."""
    words = _TOKEN.findall(_DIGIT.sub("0", text.lower()))
    return (words + [f"{a} {b}" for a, b in zip(words, words[1:])]
            + [f"{a} {b} {c}" for a, b, c in zip(words, words[1:], words[2:])])


def cues(text: str) -> list[float]:
    """Surface cues of a factual claim, in the order of ``CUE_NAMES``."""
    words = text.split()
    capitalised = sum(1 for word in words[1:] if word[:1].isupper())
    count = max(len(words), 1)
    return [
        float(bool(_DIGIT.search(text))),
        float(bool(_AMOUNT.search(text))),
        float(bool(_FIRST_PERSON.search(text))),
        float(bool(_PREDICTION.search(text))),
        float(text.rstrip().endswith("?")),
        min(len(words), 60) / 60,
        capitalised / count,
        float(bool(_COUNTED.search(text))),
        float(bool(_OPINION.search(text))),
        float(bool(_COMPARISON.search(text))),
        len(_PAST.findall(text)) / count,
    ]


@dataclass(frozen=True)
class CheckworthinessModel:
    """One fitted logistic regression: TF-IDF weights by term, embedding weights (or none), cue weights."""

    vocabulary: dict[str, tuple[float, float]]  # term -> (idf, weight)
    embedding_weights: Optional[np.ndarray]
    cue_weights: np.ndarray
    intercept: float
    threshold: float  # the score from which a sentence counts as check-worthy (P/R/F1 are measured there)
    claim_floor: float  # below this, a statement is no claim at all (keeps 90% of check-worthy sentences)

    def score(self, text: str, vector: Optional[np.ndarray] = None) -> float:
        """Probability that ``text`` is a check-worthy factual claim; ``vector`` its sentence embedding."""
        counts: dict[str, int] = {}
        for term in terms(text):
            if term in self.vocabulary:
                counts[term] = counts.get(term, 0) + 1
        weighted = {term: (1.0 + math.log(count)) * self.vocabulary[term][0] for term, count in counts.items()}
        norm = math.sqrt(sum(v * v for v in weighted.values())) or 1.0
        logit = self.intercept + sum(v / norm * self.vocabulary[t][1] for t, v in weighted.items())
        logit += float(np.dot(self.cue_weights, cues(text)))
        if self.embedding_weights is not None and vector is not None and len(vector) == len(self.embedding_weights):
            logit += float(np.dot(self.embedding_weights, vector))
        return 1.0 / (1.0 + math.exp(-logit))


def model_from_json(payload: dict) -> CheckworthinessModel:
    embedding = payload.get("embedding_weights")
    return CheckworthinessModel(
        vocabulary={term: (float(idf), float(weight)) for term, (idf, weight) in payload["vocabulary"].items()},
        embedding_weights=np.asarray(embedding, dtype=np.float64) if embedding else None,
        cue_weights=np.asarray(payload["cue_weights"], dtype=np.float64),
        intercept=float(payload["intercept"]),
        threshold=float(payload["threshold"]),
        claim_floor=float(payload.get("claim_floor", payload["threshold"])),
    )


@functools.lru_cache(maxsize=1)
def shipped_models() -> dict[str, CheckworthinessModel]:
    """The shipped fits by name: ``"embedding"`` (TF-IDF, USE vector, cues) and ``"lexical"`` (TF-IDF, cues)."""
    text = MODEL_PATH.read_text(encoding="utf-8")
    return {name: model_from_json(fit) for name, fit in json.loads(text)["fits"].items()}


def model_for(sentence_model: Optional[str]) -> CheckworthinessModel:
    """The fit to use for sentence vectors made by the embedder named ``sentence_model``."""
    models = shipped_models()
    return models["embedding"] if sentence_model == TRAINED_EMBEDDER else models["lexical"]


def score_texts(texts: Sequence[str], vectors: Optional[np.ndarray] = None,
                sentence_model: Optional[str] = None) -> list[float]:
    model = model_for(sentence_model if vectors is not None else None)
    return [model.score(text, None if vectors is None else vectors[i]) for i, text in enumerate(texts)]
