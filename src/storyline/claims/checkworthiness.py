"""Check-worthiness: how much a sentence asserts a checkable fact, from a model trained on ClaimBuster.

A logistic regression over four kinds of features, all computable offline:
word 1-3-gram TF-IDF (digits folded to 0, so "12 people" meets "15 people"),
part-of-speech-tag 1-3-gram TF-IDF (spaCy's fine-grained tags, from the parse the
entities and claims stages already keep: "CD NNS VBD" is the shape of a count
that happened, whatever it counts), the sentence's USE-multilingual embedding
when the story's vectors come from that model, and a few cues (a number, a unit
or amount, a number with what it counts, first person, a stated opinion, a
prediction, a question, a comparison, past tense, length, names). With the
embedding, a small neural network over the embedding and the cues sees what a
linear model of the vector cannot, and the two scores are blended.

A cascade adds a second, English sentence vector (all-MiniLM-L6-v2,
``embedders.EnglishMiniLM``): an English sentence whose score with the USE
vector and tags lies within the fit's ``cascade_band`` of its threshold is
scored again by the fit that also reads that vector (``CASCADE_FIT``), so the
English model runs for the uncertain few only, and is loaded only when one
comes. Without its packages the first scores stand (:func:`cascade_scores`).

The fitted coefficients ship as JSON beside this module
(``checkworthiness_model.json``, written by ``benchmarks/bench_checkworthy.py
--write-model``); nothing here imports scikit-learn. Four fits ship, and the cascade's: with and
without the embedding (a story embedded by another model has vectors that mean
nothing to the first), each with and without the tags (a sentence scored
without a parse).
"""

from __future__ import annotations

import bisect
import functools
import json
import math
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Sequence

import numpy as np

from ..model import Span

MODEL_PATH = Path(__file__).resolve().parent / "checkworthiness_model.json"
# The embedder whose sentence vectors the full fit was trained on (``embedders.MultilingualUSE.name``).
TRAINED_EMBEDDER = "use-multilingual"
# The second, English embedder (``embedders.EnglishMiniLM.name``) of the cascade's fit, and that fit's name.
ENGLISH_EMBEDDER = "minilm-english"
CASCADE_FIT = "embedding-english"

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
# spaCy tags whitespace runs; a line break inside a sentence is layout, not syntax.
_SPACE_TAGS = frozenset({"_SP", "SP", ""})


def _one_to_three_grams(units: Sequence[str]) -> list[str]:
    units = list(units)
    return (units + [f"{a} {b}" for a, b in zip(units, units[1:])]
            + [f"{a} {b} {c}" for a, b, c in zip(units, units[1:], units[2:])])


def terms(text: str) -> list[str]:
    """The word 1-, 2- and 3-grams the model weighs, lowercased, digits folded to 0."""
    return _one_to_three_grams(_TOKEN.findall(_DIGIT.sub("0", text.lower())))


def tag_terms(tags: Sequence[str]) -> list[str]:
    """The part-of-speech-tag 1-, 2- and 3-grams the model weighs (whitespace tokens left out)."""
    return _one_to_three_grams([tag for tag in tags if tag not in _SPACE_TAGS])


@dataclass(frozen=True)
class TaggedText:
    """A text's part-of-speech tags (spaCy's ``tag_``) by the character offset where each token starts."""

    starts: tuple[int, ...]
    tags: tuple[str, ...]

    def within(self, span: Span) -> list[str]:
        """The tags of the tokens starting inside ``span``."""
        return list(self.tags[bisect.bisect_left(self.starts, span[0]):bisect.bisect_left(self.starts, span[1])])

    @classmethod
    def of(cls, doc: Iterable[Any]) -> "TaggedText":
        """From a spaCy Doc (any iterable of tokens with ``idx`` and ``tag_``), in token order."""
        tokens = list(doc)
        return cls(tuple(token.idx for token in tokens), tuple(token.tag_ for token in tokens))


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


Vocabulary = dict[str, tuple[float, float]]  # term -> (idf, weight)


def _tfidf_logit(vocabulary: Vocabulary, found: Sequence[str]) -> float:
    """The linear model's share from one TF-IDF block: sublinear counts, idf, l2-normalised."""
    counts: dict[str, int] = {}
    for term in found:
        if term in vocabulary:
            counts[term] = counts.get(term, 0) + 1
    weighted = {term: (1.0 + math.log(count)) * vocabulary[term][0] for term, count in counts.items()}
    norm = math.sqrt(sum(v * v for v in weighted.values())) or 1.0
    return sum(v / norm * vocabulary[t][1] for t, v in weighted.items())


@dataclass(frozen=True)
class Network:
    """A small feed-forward network over [sentence vector, cues]: ReLU hidden layers, one logit out."""

    layers: tuple[tuple[np.ndarray, np.ndarray], ...]  # (weights in x out, bias) per layer

    def logit(self, inputs: np.ndarray) -> float:
        values = inputs
        for weights, bias in self.layers[:-1]:
            values = np.maximum(values @ weights + bias, 0.0)
        weights, bias = self.layers[-1]
        return float((values @ weights + bias)[0])


@dataclass(frozen=True)
class Blend:
    """How the network's logit joins the linear one: each standardised on the fit's out-of-fold logits."""

    linear_mean: float
    linear_scale: float
    network_mean: float
    network_scale: float
    network_share: float


@dataclass(frozen=True)
class CheckworthinessModel:
    """One fit: a logistic regression (TF-IDF of words and tags, embedding, cues), maybe blended with a network."""

    vocabulary: Vocabulary
    tag_vocabulary: Optional[Vocabulary]  # None: a fit for sentences without a parse
    embedding_weights: Optional[np.ndarray]
    cue_weights: np.ndarray
    intercept: float
    threshold: float  # the score from which a sentence counts as check-worthy (P/R/F1 are measured there)
    claim_floor: float  # below this, a statement is no claim at all (keeps 90% of check-worthy sentences)
    networks: tuple[Network, ...] = ()  # their logits are averaged
    blend: Optional[Blend] = None
    # A second, English sentence vector (``embedders.EnglishMiniLM``) the fit reads beside the first.
    english_weights: Optional[np.ndarray] = None
    # The cheap fit's scores within this distance of its threshold are scored again by ``CASCADE_FIT``.
    cascade_band: float = 0.0

    def linear_logit(self, text: str, vector: Optional[np.ndarray] = None, tags: Optional[Sequence[str]] = None,
                     text_cues: Optional[list[float]] = None, english: Optional[np.ndarray] = None) -> float:
        logit = self.intercept + _tfidf_logit(self.vocabulary, terms(text))
        if self.tag_vocabulary is not None and tags is not None:
            logit += _tfidf_logit(self.tag_vocabulary, tag_terms(tags))
        logit += float(np.dot(self.cue_weights, cues(text) if text_cues is None else text_cues))
        readable = self._readable(vector)
        if self.embedding_weights is not None and readable is not None:
            logit += float(np.dot(self.embedding_weights, readable))
        if self.english_weights is not None and english is not None:
            logit += float(np.dot(self.english_weights, english))
        return logit

    def _readable(self, vector: Optional[np.ndarray]) -> Optional[np.ndarray]:
        """``vector`` if this fit reads it: a fit with the embedding, and a vector of its size (its embedder's)."""
        if self.embedding_weights is None or vector is None or len(vector) != len(self.embedding_weights):
            return None
        return np.asarray(vector, dtype=np.float64)

    def uncertain(self, score: float) -> bool:
        """Whether ``score`` (this fit's) is close enough to the threshold to be scored again with ``CASCADE_FIT``."""
        return abs(score - self.threshold) < self.cascade_band

    def score(self, text: str, vector: Optional[np.ndarray] = None, tags: Optional[Sequence[str]] = None,
              english: Optional[np.ndarray] = None) -> float:
        """Check-worthiness of ``text`` in [0, 1]: ``vector`` its sentence embedding, ``tags`` its tokens' tags,
        ``english`` its English MiniLM vector (read only by a fit with ``english_weights``)."""
        text_cues = cues(text)
        logit = self.linear_logit(text, vector, tags, text_cues, english)
        readable = self._readable(vector)
        if self.networks and self.blend is not None and readable is not None:
            parts = [readable] + ([np.asarray(english, dtype=np.float64)] if self.english_weights is not None
                                  and english is not None else [])
            inputs = np.concatenate(parts + [np.asarray(text_cues)])
            network = sum(net.logit(inputs) for net in self.networks) / len(self.networks)
            blend = self.blend
            logit = ((1.0 - blend.network_share) * (logit - blend.linear_mean) / blend.linear_scale
                     + blend.network_share * (network - blend.network_mean) / blend.network_scale)
        return 1.0 / (1.0 + math.exp(-max(min(logit, 500.0), -500.0)))


def _vocabulary(payload: Optional[dict]) -> Optional[Vocabulary]:
    if payload is None:
        return None
    return {term: (float(idf), float(weight)) for term, (idf, weight) in payload.items()}


def model_from_json(payload: dict) -> CheckworthinessModel:
    embedding = payload.get("embedding_weights")
    english = payload.get("english_weights")
    blend = payload.get("blend")
    vocabulary = _vocabulary(payload["vocabulary"])
    assert vocabulary is not None
    return CheckworthinessModel(
        vocabulary=vocabulary,
        tag_vocabulary=_vocabulary(payload.get("tag_vocabulary")),
        embedding_weights=np.asarray(embedding, dtype=np.float64) if embedding else None,
        cue_weights=np.asarray(payload["cue_weights"], dtype=np.float64),
        intercept=float(payload["intercept"]),
        threshold=float(payload["threshold"]),
        claim_floor=float(payload.get("claim_floor", payload["threshold"])),
        networks=tuple(Network(tuple((np.asarray(layer["weights"], dtype=np.float64),
                                      np.asarray(layer["bias"], dtype=np.float64)) for layer in network["layers"]))
                       for network in payload.get("networks") or ()),
        blend=Blend(**blend) if blend else None,
        english_weights=np.asarray(english, dtype=np.float64) if english else None,
        cascade_band=float(payload.get("cascade_band", 0.0)),
    )


@functools.lru_cache(maxsize=1)
def shipped_models() -> dict[str, CheckworthinessModel]:
    """The shipped fits by name (see ``FIT_NAMES``)."""
    text = MODEL_PATH.read_text(encoding="utf-8")
    return {name: model_from_json(fit) for name, fit in json.loads(text)["fits"].items()}


# The shipped fits: (with the embedding, with tags) -> name.
FIT_NAMES = {(True, True): "embedding", (False, True): "lexical",
             (True, False): "embedding-untagged", (False, False): "lexical-untagged"}


def model_for(sentence_model: Optional[str], tagged: bool = False) -> CheckworthinessModel:
    """The fit for sentence vectors made by the embedder named ``sentence_model``, and sentences with tags or not."""
    return shipped_models()[FIT_NAMES[(sentence_model == TRAINED_EMBEDDER, tagged)]]


def english_embedder(prepare: Callable[[Any], None] = lambda model: None) -> Optional[Any]:
    """The English embedder, each sentence encoded once; None when its packages are missing (warned).
    ``prepare(model)`` sees the model first (``pipeline.Models`` has it share its chunks with the run's workers)."""
    from ..embedders import EmbedderUnavailable, SharedSentenceVectors, load_embedder

    try:
        model = load_embedder(ENGLISH_EMBEDDER)
    except EmbedderUnavailable as error:
        logging.getLogger("storyline.claims").warning("check-worthiness scores without the English vector: %s", error)
        return None
    prepare(model)
    return SharedSentenceVectors(model)


@functools.lru_cache(maxsize=1)
def _english_embedder() -> Optional[Any]:
    """The English embedder of every caller that brings none, loaded on first need."""
    return english_embedder()


# Gives the cascade's English embedder (None: scores without it), called only when an uncertain score needs it.
EnglishEmbedder = Callable[[], Optional[Any]]

Inputs = tuple[str, Optional[np.ndarray], Optional[Sequence[str]]]  # a text, its sentence vector, its tags


def cascade_scores(scorer: CheckworthinessModel | Sequence[CheckworthinessModel],
                   items: Sequence[Inputs], english_embedder: Optional[EnglishEmbedder] = None,
                   ) -> list[tuple[float, CheckworthinessModel]]:
    """Each English text's score and the fit that gave it: ``scorer``'s (one fit for every item, or one fit
    per item), except within that fit's cascade band, where the fit with the English vector (``CASCADE_FIT``)
    scores again; the English embedder is loaded only then. Without its packages the first scores stand
    (the fit ``bench_checkworthy.py`` measures as ``embedding``): a documented fallback, warned once.

    The uncertain texts of every item are encoded in one call, so a caller with many short lists (a story's
    articles) hands them over together: the encoder batches sentences of like length across them. Each
    sentence is pooled over its own pieces, so its vector is the one it gets alone. ``english_embedder``:
    the caller's (a run's ``Models.english_embedder``), else the one this module loads for every caller.
    """
    scorers = [scorer] * len(items) if isinstance(scorer, CheckworthinessModel) else list(scorer)
    scored = [(fit.score(text, vector, tags), fit) for fit, (text, vector, tags) in zip(scorers, items)]
    uncertain = [i for i, (score, fit) in enumerate(scored) if fit.uncertain(score)]
    if not uncertain:
        return scored
    embedder = (english_embedder or _english_embedder)()
    if embedder is None:
        return scored
    full = shipped_models()[CASCADE_FIT]
    english = embedder.encode([items[i][0] for i in uncertain]).astype(np.float64)
    for row, i in enumerate(uncertain):
        scored[i] = (full.score(*items[i], english=english[row]), full)
    return scored


def score_texts(texts: Sequence[str], vectors: Optional[np.ndarray] = None, sentence_model: Optional[str] = None,
                tags: Optional[Sequence[Sequence[str]]] = None) -> list[float]:
    model = model_for(sentence_model if vectors is not None else None, tagged=tags is not None)
    return [model.score(text, None if vectors is None else vectors[i], None if tags is None else tags[i])
            for i, text in enumerate(texts)]
