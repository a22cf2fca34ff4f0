"""Speed and memory of the stories stage at 10k, 100k and 1M articles, fed with generated signals.

The stage's block fold on weighed rows (:func:`storyline.stories.cluster_blocks`, which runs the
stage's :func:`~storyline.stories.fold_blocks`: calendar blocks, streaming assignment over the
inverted index, merge passes, border merges) is fed signals drawn to mimic real ones, then events
are split inside every story:

- time: ``n / 2,700`` days (about a million articles a year, a large news crawl);
  each story starts on a uniform day and its articles follow at exponential
  gaps (mean 1.5 days); 5% of articles are undated.
- stories: sizes from a Zipf-like law (most stories have 1-3 articles, a few
  hundreds), each story belongs to one of ``n / 500`` topics; its look-alike
  siblings share the topic.
- embeddings: 512-d unit vectors, article = topic direction + story direction +
  noise, scaled so that the cosine is about 0.75 within a story, 0.45 between
  stories of one topic and 0 otherwise (USE-multilingual on ECB+ gives 0.6-0.8
  within and 0.4-0.6 between look-alikes).
- specific terms: each story has 6 names of its own drawn from a pool of
  ``n / 2`` terms, each topic 4 setting terms; an article carries 3-6 of its
  story's names, 2 of its topic's terms and 3 common terms drawn by a Zipf law
  from the 200 most frequent (like "US", "Monday", "2024"), with unit-length weights.
- content words (what the content merge and re-assignment passes read): 6 of the
  story's 10 words, 3 of its topic's 6 and 3 common ones, unit length.

Printed per size: seconds, articles/s, microseconds per article (flat = the cost
per article does not grow with the corpus), peak RSS of the run (a fresh
process per size, generation included) and the BCubed F1 against the generated
stories. At 10k the peer, a brute-force stream scoring every story in the time
window (no index), runs on the same signals and the ratio is printed.

Usage::

    .venv/bin/python benchmarks/bench_stories_scale.py [--sizes 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections import defaultdict

import numpy as np

from storyline.stories import UNDATED, StorySettings, StorySignals, cluster_blocks, event_clusters_in_blocks

DIMENSIONS = 512
ARTICLES_PER_DAY = 2_700


def generate(n: int, seed: int = 0) -> tuple[StorySignals, np.ndarray]:
    """Signals of ``n`` articles and their true story labels."""
    rng = np.random.default_rng(seed)
    # Story sizes: Zipf-like, capped; drawn until n articles are covered.
    sizes = np.minimum(rng.zipf(1.9, size=n), 400)
    sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), n)) + 1]
    sizes[-1] -= int(sizes.sum()) - n
    sizes = sizes[sizes > 0]
    n_stories = len(sizes)
    story = np.repeat(np.arange(n_stories), sizes)
    n_topics = max(4, n // 500)
    topic_of_story = rng.integers(0, n_topics, n_stories)
    span = max(30, n // ARTICLES_PER_DAY)
    start = rng.integers(0, span, n_stories)
    days = start[story] + np.floor(rng.exponential(1.5, n)).astype(np.int64) + 738_000
    days[rng.random(n) < 0.05] = UNDATED

    vectors = np.empty((n, DIMENSIONS), dtype=np.float32)
    topic_directions = _unit_rows(rng.standard_normal((n_topics, DIMENSIONS), dtype=np.float32))
    chunk = 50_000
    for begin in range(0, n, chunk):
        end = min(n, begin + chunk)
        rows_story = story[begin:end]
        story_noise = _story_directions(rows_story, seed)
        noise = _unit_rows(rng.standard_normal((end - begin, DIMENSIONS), dtype=np.float32))
        mixed = (0.67 * topic_directions[topic_of_story[rows_story]] + 0.55 * story_noise + 0.5 * noise)
        vectors[begin:end] = _unit_rows(mixed)

    pool = max(1000, n // 2)
    story_names = rng.integers(200, pool, (n_stories, 6))
    topic_terms = rng.integers(pool, pool + 4 * n_topics, (n_topics, 4))
    own = rng.integers(3, 7, n)
    per_article = own + 2 + 3
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per_article, out=indptr[1:])
    terms = np.empty(int(indptr[-1]), dtype=np.int64)
    for slot in range(6):  # names of the article's story, the first ``own`` of a per-article shuffle
        take = own > slot
        terms[indptr[:-1][take] + slot] = story_names[story[take], rng.integers(0, 6, int(take.sum()))]
    base = indptr[:-1] + own
    terms[base] = topic_terms[topic_of_story[story], 0]
    terms[base + 1] = topic_terms[topic_of_story[story], rng.integers(1, 4, n)]
    for slot in range(3):
        terms[base + 2 + slot] = np.minimum(rng.zipf(1.3, n), 200) - 1
    weights = rng.uniform(0.5, 1.5, len(terms)).astype(np.float32)
    # Mimic TF-IDF: common terms weigh less; then unit length per article.
    weights[terms < 200] *= 0.3
    norms = np.sqrt(np.add.reduceat(weights.astype(np.float64) ** 2, indptr[:-1]))
    weights /= np.repeat(norms, per_article).astype(np.float32)
    indptr, keys, weights = _with_content_words(rng, story, topic_of_story, pool, indptr,
                                                terms * 2_654_435_761 % (2**61), weights)
    ids = np.char.add("a-", np.char.zfill(rng.permutation(n).astype(str), 12))
    signals = StorySignals(ids, vectors, indptr, keys, weights, days.astype(np.int64),
                           days.astype(np.int64), np.ones(n, dtype=np.int64),
                           rng.integers(0, 2**62, n, dtype=np.int64))  # content hashes: random, like the ids
    return signals, story


def _with_content_words(rng: np.random.Generator, story: np.ndarray, topic_of_story: np.ndarray, pool: int,
                        indptr: np.ndarray, keys: np.ndarray, weights: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each article's row with its content words added (keyed below zero, as ``story_signals`` keys them):
    6 of its story's 10 words, 3 of its topic's 6 and 3 common words, unit length. They are what the
    content merge and the re-assignment pass read, so those passes do their real work here."""
    n = len(story)
    story_words = rng.integers(0, pool, (int(story.max()) + 1, 10))
    topic_words = rng.integers(pool, pool + 6 * (int(topic_of_story.max()) + 1), (int(topic_of_story.max()) + 1, 6))
    words = np.empty((n, 12), dtype=np.int64)
    words[:, :6] = story_words[story[:, None], rng.integers(0, 10, (n, 6))]
    words[:, 6:9] = topic_words[topic_of_story[story][:, None], rng.integers(0, 6, (n, 3))]
    words[:, 9:] = pool + 6 * (int(topic_of_story.max()) + 1) + np.minimum(rng.zipf(1.3, (n, 3)), 2000) - 1
    word_weights = rng.uniform(0.5, 1.5, (n, 12))
    # As TF-IDF weighs them: a topic's words are in many stories, common words in most articles.
    word_weights[:, 6:9] *= 0.3
    word_weights[:, 9:] *= 0.1
    word_weights /= np.linalg.norm(word_weights, axis=1, keepdims=True)
    row_of_term = np.repeat(np.arange(n), np.diff(indptr))
    rows = np.concatenate([row_of_term, np.repeat(np.arange(n), 12)])
    all_keys = np.concatenate([keys, -1 - (words.reshape(-1) * 2_654_435_761 % (2**61))])
    all_weights = np.concatenate([weights, word_weights.reshape(-1).astype(np.float32)])
    by = np.argsort(rows, kind="stable")
    new_indptr = indptr + 12 * np.arange(n + 1, dtype=np.int64)
    return new_indptr, all_keys[by], all_weights[by]


def _story_directions(stories: np.ndarray, seed: int) -> np.ndarray:
    """A fixed random direction per story, reproducible chunk by chunk."""
    out = np.empty((len(stories), DIMENSIONS), dtype=np.float32)
    for position, s in enumerate(stories):
        out[position] = np.random.default_rng((seed, int(s))).standard_normal(DIMENSIONS, dtype=np.float32)
    return _unit_rows(out)


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)


def bcubed_f1(predicted: np.ndarray, gold: np.ndarray) -> float:
    pairs = predicted.astype(np.int64) * (int(gold.max()) + 1) + gold
    _, joint_inverse, joint_counts = np.unique(pairs, return_inverse=True, return_counts=True)
    _, p_inverse, p_counts = np.unique(predicted, return_inverse=True, return_counts=True)
    _, g_inverse, g_counts = np.unique(gold, return_inverse=True, return_counts=True)
    overlap = joint_counts[joint_inverse]
    precision = float(np.mean(overlap / p_counts[p_inverse]))
    recall = float(np.mean(overlap / g_counts[g_inverse]))
    return 2 * precision * recall / (precision + recall)


def events_for(signals: StorySignals, story_of: np.ndarray, settings: StorySettings) -> int:
    """Events inside every story from the article signals (as the stage does from lead signals)."""
    members: dict[int, list[int]] = defaultdict(list)
    for row, s in enumerate(story_of.tolist()):
        members[s].append(row)
    count = 0
    for rows in members.values():
        if len(rows) == 1:
            count += 1
            continue
        picked = signals.take(np.array(rows))
        bounds = picked.indptr.tolist()
        terms, weights = picked.terms.tolist(), picked.weights.tolist()
        lead_terms = [dict(zip(terms[lo:hi], weights[lo:hi])) for lo, hi in zip(bounds, bounds[1:])]
        count += len(event_clusters_in_blocks(picked.vectors, lead_terms, picked.first_day, settings))
    return count


def brute_force(signals: StorySignals, settings: StorySettings) -> float:
    """The peer: a stream scoring every story active in the window, no index (numpy per article)."""
    order = np.lexsort((signals.ids, np.where(signals.first_day == UNDATED, 1 << 40, signals.first_day)))
    sums = np.zeros((len(signals), DIMENSIONS), dtype=np.float32)
    last = np.zeros(len(signals), dtype=np.int64)
    sizes = np.zeros(len(signals))
    stories = 0
    started = time.perf_counter()
    for row in order:
        day = signals.first_day[row]
        live = np.flatnonzero(last[:stories] >= day - settings.window_days) if day != UNDATED else np.arange(stories)
        best = -1
        if len(live):
            scores = sums[live] @ signals.vectors[row] / sizes[live]
            top = int(np.argmax(scores))
            if scores[top] >= settings.text_floor:
                best = int(live[top])
        if best < 0:
            best, stories = stories, stories + 1
        sums[best] += signals.vectors[row]
        sizes[best] += 1
        last[best] = max(last[best], day)
    return time.perf_counter() - started


def run_one(n: int, peer: bool) -> dict:
    settings = StorySettings()
    generated = time.perf_counter()
    signals, truth = generate(n)
    generation = time.perf_counter() - generated
    cluster_blocks(generate(2000, seed=1)[0], settings)  # compile the kernels outside the timing
    started, cpu = time.perf_counter(), time.process_time()
    result = cluster_blocks(signals, settings)
    stories_seconds, stories_cpu = time.perf_counter() - started, time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    n_events = events_for(signals, result.story_of, settings)
    events_seconds, events_cpu = time.perf_counter() - started, time.process_time() - cpu
    total = stories_seconds + events_seconds
    out = {"articles": n, "stories": int(len(result.stories)), "events": n_events,
           "stories_seconds": stories_seconds, "events_seconds": events_seconds,
           "cpu_seconds": stories_cpu + events_cpu,
           "articles_per_second": n / total, "microseconds_per_article": 1e6 * total / n,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "signals_mb": (signals.vectors.nbytes + signals.terms.nbytes + signals.weights.nbytes) / 2**20,
           "bcubed_f1": bcubed_f1(result.story_of, truth), "generation_seconds": generation}
    if peer:
        out["peer_seconds"] = brute_force(signals, settings)
    return out


def analyze_end_to_end(n: int, data: str) -> dict[str, float]:
    """``analyze`` over ``n`` real-sized articles recombined from ECB+ sentences; seconds per stage."""
    import random
    import tempfile
    from pathlib import Path

    from storyline.pipeline import Models, analyze, ingest
    from storyline.store import open_store

    rows = [json.loads(line) for line in Path(data).read_text(encoding="utf-8").splitlines() if line.strip()]
    by_story: dict[str, list[list[str]]] = defaultdict(list)
    for row in rows:
        by_story[row["subtopic"]].append([s for s in row["text"].split("\n") if s.strip()])
    stories = sorted(by_story)
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "corpus"
        corpus.mkdir()
        for i in range(n):
            story = by_story[stories[i % len(stories)]]
            first, second = rng.choice(story), rng.choice(story)
            sentences = first[:1] + rng.sample(first[1:] + second[1:], min(20, len(first) + len(second) - 2))
            (corpus / f"{i:06d}.txt").write_text("\n".join(sentences) + "\n", encoding="utf-8")
        with open_store(Path(folder) / "e2e.db") as store:
            started = time.perf_counter()
            ingest(store, [corpus])
            seconds = {"ingest": time.perf_counter() - started}
            seconds.update(analyze(store, models=Models()).seconds)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child process measuring one size
    parser.add_argument("--peer", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--analyze", type=int, metavar="N",
                        help="instead: run `analyze` end to end over N articles recombined from ECB+ sentences")
    parser.add_argument("--ecbplus", default="../shared/bench-data/ecbplus/ecbplus-traindev.jsonl")
    args = parser.parse_args()
    if args.analyze:
        seconds = analyze_end_to_end(args.analyze, args.ecbplus)
        print(f"| stage ({args.analyze:,} articles) | seconds | ms/article |")
        print("|---|---|---|")
        for stage, value in seconds.items():
            print(f"| {stage} | {value:.1f} | {1000 * value / args.analyze:.1f} |")
        return 0
    if args.one:
        print(json.dumps(run_one(args.one, args.peer)))
        return 0
    print("| articles | stories | events | stories s | events s | CPU s | articles/s | µs/article | peak RSS MB | "
          "signals MB | BCubed F1 vs generated | peer (no index) s | index speed-up |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        command = [sys.executable, __file__, "--one", str(n)] + (["--peer"] if n <= 10_000 else [])
        row = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        peer = row.get("peer_seconds")
        ratio = f"{peer / row['stories_seconds']:.1f}x" if peer else "not run"
        print(f"| {n:,} | {row['stories']:,} | {row['events']:,} | {row['stories_seconds']:.1f} | "
              f"{row['events_seconds']:.1f} | {row['cpu_seconds']:.1f} | {row['articles_per_second']:,.0f} | "
              f"{row['microseconds_per_article']:.0f} | {row['peak_rss_mb']:,.0f} | {row['signals_mb']:,.0f} | "
              f"{row['bcubed_f1']:.3f} | {f'{peer:.1f}' if peer else '-'} | {ratio} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
