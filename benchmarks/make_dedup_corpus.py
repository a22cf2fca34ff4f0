"""Generate the synthetic corpus of the dedup speed benchmark: ~4 KB news-like documents
in one JSON Lines file, with planted near-duplicates whose true Jaccard similarity is known.

The corpus is made of self-contained blocks of ``--block`` documents (every planted
cluster lies inside one block, in shuffled order), so its first N lines, for N a
multiple of the block size, are a complete smaller corpus: the slow peers are timed on
such a prefix.

Each cluster is a source article and 1-3 derived ones: copies with words substituted
at rates from 0 to 15%, excerpts (a contiguous 55-95% of the source), paragraph
reorderings, and copies with a paragraph of other text added. The truth file lists
every pair inside a cluster with its exact Jaccard similarity over the word 5-gram
shingles that storyline hashes (``fingerprint.shingle_hashes``), computed on the
shingle sets themselves, not estimated.

    python benchmarks/make_dedup_corpus.py /tmp/storyline-dedup-bench --documents 100000
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

SYLLABLES = ("ka ro mi te su na lo ve ri da po ne ta li mo sa ke ru fi ga to be ni la ma "
             "an el or is un ar en ol im ux qu tr st pr gl br ch sh th").split()
ACCENTED = "éèüöñçåø"
OUTLETS = ["Northern Ledger", "Daily Courier", "Harbour Times", "Valley Post", "Metro Wire", "Coastal Herald"]
EDIT_RATES = (0.0, 0.003, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.1, 0.12, 0.15)


def make_vocabulary(rng: np.random.Generator, size: int) -> np.ndarray:
    words: set[str] = set()
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES, size=rng.integers(1, 4)))
        if rng.random() < 0.02:
            position = rng.integers(0, len(word))
            word = word[:position] + ACCENTED[rng.integers(0, len(ACCENTED))] + word[position + 1:]
        words.add(word)
    return rng.permutation(np.array(sorted(words), dtype=object))


class Writer:
    """Turns word-index arrays into paragraphs of sentences."""

    def __init__(self, rng: np.random.Generator, vocabulary: np.ndarray) -> None:
        self.rng = rng
        self.vocabulary = vocabulary
        ranks = np.arange(1, len(vocabulary) + 1)
        weights = 1.0 / (ranks + 20.0) ** 1.05
        self.cumulative = np.cumsum(weights / weights.sum())

    def words(self, count: int) -> np.ndarray:
        return np.searchsorted(self.cumulative, self.rng.random(count))

    def paragraphs(self, words: int) -> list[np.ndarray]:
        indices = self.words(words)
        cuts = np.cumsum(self.rng.integers(40, 110, size=words // 40 + 1))
        return [part for part in np.split(indices, cuts[cuts < words]) if len(part)]

    def render(self, paragraphs: list[np.ndarray]) -> str:
        rendered = []
        for paragraph in paragraphs:
            tokens = list(self.vocabulary[paragraph])
            position = 0
            sentences = []
            while position < len(tokens):
                length = int(self.rng.integers(8, 24))
                sentence = tokens[position:position + length]
                sentence[0] = sentence[0].capitalize()
                if len(sentence) > 6 and self.rng.random() < 0.4:
                    sentence[3] += ","
                if self.rng.random() < 0.1:
                    sentence[0] = "\u201c" + sentence[0]
                    sentence[-1] += "\u201d"
                sentences.append(" ".join(sentence) + ".")
                position += length
            rendered.append(" ".join(sentences))
        return "\n\n".join(rendered)


def derive(rng: np.random.Generator, writer: Writer, source: list[np.ndarray]) -> tuple[list[np.ndarray], str]:
    mode = rng.choice(["edit", "edit", "edit", "excerpt", "reorder", "extend"])
    if mode == "excerpt":
        flat = np.concatenate(source)
        share = rng.uniform(0.55, 0.95)
        length = int(len(flat) * share)
        start = int(rng.integers(0, len(flat) - length + 1))
        return [flat[start:start + length]], f"excerpt {share:.2f}"
    paragraphs = [part.copy() for part in source]
    if mode == "reorder":
        order = rng.permutation(len(paragraphs))
        paragraphs = [paragraphs[i] for i in order]
    if mode == "extend":
        paragraphs.insert(int(rng.integers(0, len(paragraphs) + 1)), writer.words(int(rng.integers(60, 250))))
    rate = float(rng.choice(EDIT_RATES))
    for part in paragraphs:
        edits = rng.random(len(part)) < rate
        part[edits] = writer.words(int(edits.sum()))
    return paragraphs, f"{mode} {rate:.3f}"


def shingle_set(text: str) -> np.ndarray:
    from storyline.fingerprint import shingle_hashes, token_hashes

    return shingle_hashes(token_hashes(text))


def exact_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared) if len(a) + len(b) else 1.0


def generate(out_dir: Path, documents: int, block: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    writer = Writer(rng, make_vocabulary(rng, 60_000))
    out_dir.mkdir(parents=True, exist_ok=True)
    corpus_path, truth_path = out_dir / "corpus.jsonl", out_dir / "truth.jsonl"
    started = time.perf_counter()
    with corpus_path.open("w", encoding="utf-8") as corpus, truth_path.open("w", encoding="utf-8") as truth:
        for block_start in range(0, documents, block):
            size = min(block, documents - block_start)
            texts: list[tuple[str, str]] = []  # (cluster tag, text)
            clusters: list[list[int]] = []
            kinds: dict[int, str] = {}
            while len(texts) < size:
                source = writer.paragraphs(int(rng.normal(565, 70)))
                members = [len(texts)]
                texts.append(("", writer.render(source)))
                if rng.random() < 0.06 and len(texts) + 3 < size:
                    for _ in range(int(rng.integers(1, 4))):
                        paragraphs, kind = derive(rng, writer, source)
                        kinds[len(texts)] = kind
                        members.append(len(texts))
                        texts.append(("", writer.render(paragraphs)))
                    clusters.append(members)
            order = rng.permutation(len(texts))
            position = {original: block_start + new for new, original in enumerate(order)}
            for original in order:
                record = {"id": f"doc-{position[original]:06d}",
                          "title": texts[original][1][:60].split("\n")[0],
                          "outlet": OUTLETS[int(rng.integers(0, len(OUTLETS)))],
                          "published": f"2025-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}",
                          "text": texts[original][1]}
                corpus.write(json.dumps(record, ensure_ascii=False) + "\n")
            for members in clusters:
                sets = {m: shingle_set(texts[m][1]) for m in members}
                for i, a in enumerate(members):
                    for b in members[i + 1:]:
                        first, second = sorted((position[a], position[b]))
                        truth.write(json.dumps({"a": f"doc-{first:06d}", "b": f"doc-{second:06d}",
                                                "jaccard": round(exact_jaccard(sets[a], sets[b]), 6),
                                                "kind": kinds.get(b, "")}) + "\n")
            print(f"  {block_start + size:,} documents ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    (out_dir / "meta.json").write_text(json.dumps({"documents": documents, "block": block, "seed": seed}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--block", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20250203)
    args = parser.parse_args()
    generate(args.out_dir, args.documents, args.block, args.seed)


if __name__ == "__main__":
    main()
