"""Contradictions in the claim ledger against FNC-1 stances: do articles that take opposite stances get linked?

Each FNC-1 rumour is a story; its article bodies go through ``prepare`` and
``claims.build_ledger`` as in the pipeline (no provenance relations: the
bodies carry no outlet or date). Two articles are *linked by a contradiction*
when a claim one of them carries conflicts with a claim the other carries.

For every pair of articles of one rumour, the gold stances (agree, disagree,
discuss, each relative to a headline) say whether the pair is *opposite* (one
agrees with a headline the other disagrees with) or *agreeing* (both agree
with a headline, and never opposite). The benchmark prints how often opposite
pairs are linked (higher is better) and how often agreeing pairs are wrongly
linked (lower is better), and the same for a baseline in the same run that
links every pair whose articles hold a negation word ("not", "no", "never",
"denied", "false", "fake", "hoax") in different numbers.

The denial rule's settings (``denial_*`` in ``claims/defaults.json``) were chosen on
the rumours of split 0 (the sha1 of the rumour label even); the rates are
printed for split 0, for split 1 (never tuned on) and for all rumours.

    .venv/bin/python benchmarks/bench_claims_fnc1.py [../shared/bench-data/fnc1] [--metrics-json FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import re
import sys
import time
from pathlib import Path
from typing import Sequence

from storyline.claims import build_ledger
from storyline.embedders import load_embedder
from storyline.model import Article, Story
from storyline.prepare import prepare

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO / ".." / "shared" / "bench-data" / "fnc1"
_NEGATION = re.compile(r"\b(?:not|no|never|denied|denies|deny|false|fake|hoax)\b", re.IGNORECASE)


def rumour_split(label: str) -> int:
    """0 for the rumours the denial rule was tuned on, 1 for the others."""
    return int(hashlib.sha1(label.encode("utf-8")).hexdigest(), 16) % 2


def pair_kind(a: dict[str, str], b: dict[str, str]) -> str | None:
    shared = set(a) & set(b)
    if any({a[h], b[h]} == {"agree", "disagree"} for h in shared):
        return "opposite"
    if any(a[h] == b[h] == "agree" for h in shared):
        return "agreeing"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA))
    parser.add_argument("--metrics-json", help="write the metrics as a flat JSON object to this file")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    root = Path(args.data)
    gold = json.loads((root / "gold.json").read_text(encoding="utf-8"))
    by_rumour: dict[str, list[str]] = {}
    for name, label in sorted(gold["labels"].items()):
        by_rumour.setdefault(label, []).append(name)
    embedder = load_embedder()
    counts = {(system, kind, part): [0, 0] for system in ("ledger", "baseline") for kind in ("opposite", "agreeing")
              for part in ("split0", "split1", "all")}
    contradicted = 0
    one_sided = 0
    for label, names in sorted(by_rumour.items()):
        articles = [Article(id=Article.id_for(n), source=n, text=(root / "docs" / n).read_text(encoding="utf-8"))
                    for n in names]
        prepared = prepare(articles, embedder)
        story = Story(id=f"s-{label}", title=None, articles=[a.id for a in articles])
        claims, _ = build_ledger(story, prepared, sentence_model=embedder.name)
        by_id = {c.id: c for c in claims}
        linked: set[frozenset[str]] = set()
        for claim in claims:
            for other in claim.conflicts:
                contradicted += 1
                # Both sides come with the sentences that say them.
                one_sided += not (claim.evidence and by_id[other].evidence
                                  and all(e.sentence for e in claim.evidence + by_id[other].evidence))
                for a in claim.articles:
                    for b in by_id[other].articles:
                        if a != b:
                            linked.add(frozenset((a, b)))
        negations = {a.id: len(_NEGATION.findall(a.text)) for a in articles}
        for (na, a), (nb, b) in itertools.combinations(zip(names, articles), 2):
            kind = pair_kind(gold["stance"].get(na, {}), gold["stance"].get(nb, {}))
            if kind is None:
                continue
            for system, hit in (("ledger", frozenset((a.id, b.id)) in linked),
                                ("baseline", (negations[a.id] > 0) != (negations[b.id] > 0))):
                for part in (f"split{rumour_split(label)}", "all"):
                    counts[(system, kind, part)][0] += hit
                    counts[(system, kind, part)][1] += 1
    metrics = {f"fnc1_{system}_{kind}_linked" + ("" if part == "all" else f"_{part}"): hits / total if total else 0.0
               for (system, kind, part), (hits, total) in counts.items()}
    print(f"FNC-1: {len(gold['labels'])} bodies, {len(by_rumour)} rumours; {contradicted // 2} contradiction links, "
          f"{one_sided} without both sides' evidence sentences\n")
    print("| system | rumours | opposite-stance pairs linked (higher is better) | agreeing pairs linked (lower is better) |")
    print("|---|---|---|---|")
    names = {"split0": "split 0 (tuned on)", "split1": "split 1 (held out)", "all": "all"}
    for system in ("ledger", "baseline"):
        for part in ("split0", "split1", "all"):
            o, g = counts[(system, "opposite", part)], counts[(system, "agreeing", part)]
            print(f"| {system} | {names[part]} | {o[0]}/{o[1]} = {o[0] / max(o[1], 1):.3f} "
                  f"| {g[0]}/{g[1]} = {g[0] / max(g[1], 1):.3f} |")
    print(f"\ntotal {time.perf_counter() - started:.1f} s")
    if args.metrics_json:
        Path(args.metrics_json).write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
