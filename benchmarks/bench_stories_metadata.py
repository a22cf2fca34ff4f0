"""What the metadata completion infers costs or gives the stories stage: BCubed F1 of the shipped
defaults on a corpus as analysed (``train_stories.analysed``: the ``storyline analyze`` path, metadata
completion included), and again with every article's date, or title, set to None.

Usage::

    python benchmarks/bench_stories_metadata.py [CORPUS ...]   # default: ECB+ train
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_stories import BENCH_DATA, load_corpora  # noqa: E402
from train_stories import analysed, f1_of  # noqa: E402

from storyline.stories import StorySettings  # noqa: E402


def main(argv: list[str]) -> int:
    paths = argv or [str(BENCH_DATA / "ecbplus" / "ecbplus-traindev.jsonl")]
    print("| corpus | as analysed | without dates | without titles | dated / titled articles |")
    print("|---|---|---|---|---|")
    for corpus in (c for path in paths for c in load_corpora(Path(path)) if c.name != "ecbplus-dev"):
        prepared, relations, gold = analysed(corpus)
        undated = [replace(d, article=replace(d.article, published=None)) for d in prepared]
        untitled = [replace(d, article=replace(d.article, title=None)) for d in prepared]
        # Kept alive together: f1_of caches corpus statistics by the data's id, which must not be reused.
        variants = [(docs, relations, gold) for docs in (prepared, undated, untitled)]
        scores = [f1_of(data, StorySettings()) for data in variants]
        dated = sum(1 for d in prepared if d.article.published)
        titled = sum(1 for d in prepared if d.article.title)
        print(f"| {corpus.name} | " + " | ".join(f"{s:.3f}" for s in scores) + f" | {dated} / {titled} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
