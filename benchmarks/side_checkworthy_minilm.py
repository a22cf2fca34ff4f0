"""Side runs for check-worthiness: a second, English sentence vector (all-MiniLM-L6-v2), nested.

Not a gate benchmark. It measures what the shipped model gains from the vectors of
``storyline.embedders.EnglishMiniLM`` beside the USE-multilingual ones: as another block
of the logistic regression, in the network's input, or both; and a cascade that runs
MiniLM only for the sentences whose shipped score falls in a band around the shipped
threshold. The folds, fits and choices are those of ``side_checkworthy_parse.py`` (outer
five, inner three, ``random_state`` 0; the inner out-of-fold logits choose the network's
share, the threshold and the cascade's band; the outer test fold is scored by the fit on
its whole training fold). Logits are cached per variant under ``--cache``.

    PYTHONPATH=src .venv/bin/python benchmarks/side_checkworthy_minilm.py [FILE] [--cache DIR] [--seeds 0,1,2]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support

sys.path.insert(0, str(Path(__file__).resolve().parent))
import side_checkworthy_parse as side  # noqa: E402


# Half-widths of the cascade's band around the shipped threshold, in the blended probability.
BANDS = (0.0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 1.0)


def minilm_vectors(texts: Sequence[str], cache: Path) -> np.ndarray:
    path = cache / "minilm.npy"
    if path.exists():
        return np.load(path)
    from storyline.embedders import load_embedder

    vectors = load_embedder("minilm-english").encode(list(texts))
    np.save(path, vectors)
    return vectors


class MiniLMExperiment(side.Experiment):
    def __init__(self, path: Path, cache: Path) -> None:
        super().__init__(path, cache)
        self.minilm = minilm_vectors(self.texts, cache)

    def linear_minilm(self, c: float) -> side.Logits:
        return self.linear("base", c, extra=self.minilm, name=f"lin-minilm-C{c:g}")

    def network_minilm(self, seed: int) -> side.Logits:
        return self.network(seed, extra=self.minilm, name=f"net-minilm-s{seed}")

    def _choose(self, k: int, linear: side.Logits, network: side.Logits) -> tuple[float, float, tuple, tuple]:
        train = self.outer[k][0]
        linear_stats = (float(linear[0][k].mean()), float(linear[0][k].std()))
        network_stats = (float(network[0][k].mean()), float(network[0][k].std()))
        best = None
        for share in side.SHARES:
            scores = side._blend(linear[0][k], network[0][k], share, linear_stats, network_stats)
            for threshold in side.THRESHOLDS:
                f1 = float(f1_score(self.labels[train], scores >= threshold))
                if best is None or f1 > best[0]:
                    best = (f1, share, float(threshold))
        assert best is not None
        return best[1], best[2], linear_stats, network_stats

    def cascade(self, cheap: tuple[side.Logits, side.Logits], full: tuple[side.Logits, side.Logits],
                bands: Sequence[float] = BANDS) -> tuple[float, float, float, float, list[str]]:
        """The cheap model decides outside a band around its threshold; the full model inside it.

        Each model's share and threshold, and the band, are chosen on the inner out-of-fold logits
        (the narrowest band among equal F1s: it runs MiniLM least). Returns P, R, F1 and the share of
        the outer test sentences that needed MiniLM.
        """
        predicted = np.zeros(len(self.labels), dtype=bool)
        needed = 0
        chosen = []
        for k, (train, test) in enumerate(self.outer):
            picks = [self._choose(k, *model) for model in (cheap, full)]
            inner = [side._blend(m[0][0][k], m[1][0][k], p[0], p[2], p[3]) for m, p in zip((cheap, full), picks)]
            best = None
            for band in bands:
                uncertain = np.abs(inner[0] - picks[0][1]) < band
                decided = np.where(uncertain, inner[1] >= picks[1][1], inner[0] >= picks[0][1])
                f1 = float(f1_score(self.labels[train], decided))
                if best is None or f1 > best[0] + 1e-12:
                    best = (f1, band)
            assert best is not None
            band = best[1]
            outer = [side._blend(m[0][1][k], m[1][1][k], p[0], p[2], p[3]) for m, p in zip((cheap, full), picks)]
            uncertain = np.abs(outer[0] - picks[0][1]) < band
            predicted[test] = np.where(uncertain, outer[1] >= picks[1][1], outer[0] >= picks[0][1])
            needed += int(uncertain.sum())
            chosen.append(f"band {band:g} ({uncertain.mean():.0%})")
        p, r, f, _ = precision_recall_fscore_support(self.labels, predicted, average="binary")
        return float(p), float(r), float(f), needed / len(self.labels), chosen


def main(argv: Sequence[str] | None = None) -> int:
    parser = side.arguments(__doc__.split("\n\n")[0], "/tmp/storyline-checkworthy-minilm")
    parser.add_argument("--cascade", action="store_true", help="also measure the cascade")
    args = parser.parse_args(argv)
    experiment = side.open_experiment(MiniLMExperiment, args.data, args.cache)
    if not isinstance(experiment, MiniLMExperiment):
        return 2
    seeds = [int(s) for s in args.seeds.split(",")]
    linears = {"shipped": experiment.linear("base", 4.0), "+minilm": experiment.linear_minilm(4.0)}
    networks: dict[str, dict[str, side.Logits]] = {"use": {}, "use+minilm": {}}
    for seed in seeds:
        networks["use"][str(seed)] = experiment.network(seed)
        networks["use+minilm"][str(seed)] = experiment.network_minilm(seed)
    for kind in networks:
        if len(seeds) > 1:
            networks[kind]["mean"] = side._mean([networks[kind][str(s)] for s in seeds])
    for linear_name, linear in linears.items():
        p, r, f, chosen = experiment.nested({4.0: linear}, networks["use"][str(seeds[0])], shares=(0.0,))
        print(f"regression {linear_name} alone: P {p:.4f} R {r:.4f} F1 {f:.4f}  [{'; '.join(chosen)}]", flush=True)
        for kind, by_seed in networks.items():
            for seed, network in by_seed.items():
                p, r, f, chosen = experiment.nested({4.0: linear}, network)
                print(f"regression {linear_name} + network {kind} seed {seed}: P {p:.4f} R {r:.4f} F1 {f:.4f}  "
                      f"[{'; '.join(chosen)}]", flush=True)
    if args.cascade:
        for seed in [str(s) for s in seeds] + (["mean"] if len(seeds) > 1 else []):
            for linear_name, kind in (("+minilm", "use"), ("+minilm", "use+minilm"), ("shipped", "use+minilm")):
                cheap = (linears["shipped"], networks["use"][seed])
                full = (linears[linear_name], networks[kind][seed])
                p, r, f, needed, chosen = experiment.cascade(cheap, full)
                print(f"cascade to regression {linear_name} + network {kind}, seed {seed}: P {p:.4f} R {r:.4f} "
                      f"F1 {f:.4f}, MiniLM for {needed:.1%}  [{'; '.join(chosen)}]", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
