"""Spark (local mode) against the embedded engine: documents per second and peak memory, per stage group.

Two parts, each engine run in its own process (peak memory is the resident size
of the process and all its children: for Spark, the driver, the JVM and the
Python workers):

* ``light``: the stages that need no model, on generated documents (default
  100,000): reading JSON Lines, near-duplicates (MinHash, LSH buckets,
  Jaccard check; Spark adds connected components), and stories on generated
  signals (embeddings drawn around story centres, dated over a year).
* ``full``: the whole analysis (prepare with the multilingual USE embedder,
  reuse, stories, entities with spaCy, claims, timeline) on real news text
  (ECB+ articles, repeated with edits to reach the size asked for; default 10,000).

The generated documents are built from the sentences of the ECB+ articles
(real news text, CC BY 3.0) given as the data path; 10 % are copies of another
document with one sentence changed, so there are near-duplicates to find.

    python benchmarks/bench_spark.py ../shared/bench-data/ecbplus/ecbplus-traindev.jsonl \\
        --light-docs 100000 --full-docs 10000 --price-per-core-hour 0.048

Projected cost per million documents on a cluster = (1e6 / Spark docs/s per
core) core-seconds at ``--price-per-core-hour`` (default 0.048 USD: an
on-demand general-purpose cloud vCPU-hour in 2025; the projection assumes the
per-core rate measured here holds on a cluster, which ignores shuffle network
costs and is optimistic for the near-duplicate stage).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

DEFAULT_DATA = "../shared/bench-data/ecbplus/ecbplus-traindev.jsonl"
COPY_SHARE = 0.10


# --- corpus generation --------------------------------------------------------------------------


def _sentences(data: Path) -> list[str]:
    sentences: list[str] = []
    with data.open(encoding="utf-8") as handle:
        for line in handle:
            text = json.loads(line)["text"]
            for part in text.replace(" .", ".\n").split("\n"):
                part = part.strip()
                if len(part.split()) >= 6:
                    sentences.append(part)
    return sentences


def generate_jsonl(data: Path, documents: int, folder: Path, *, per_file: int = 5000, seed: int = 7) -> list[Path]:
    """JSON Lines files of generated articles (8-20 real sentences each, a date, 10 % near-copies)."""
    rng = random.Random(seed)
    sentences = _sentences(data)
    folder.mkdir(parents=True, exist_ok=True)
    texts: list[str] = []
    paths: list[Path] = []
    handle = None
    for index in range(documents):
        if index % per_file == 0:
            if handle:
                handle.close()
            paths.append(folder / f"part-{index // per_file:04d}.jsonl")
            handle = paths[-1].open("w", encoding="utf-8")
        if texts and rng.random() < COPY_SHARE:
            lines = rng.choice(texts).split("\n")
            lines[rng.randrange(len(lines))] = rng.choice(sentences)
            text = "\n".join(lines)
        else:
            text = "\n".join(rng.sample(sentences, rng.randint(8, 20)))
        texts.append(text)
        day = 1 + rng.randrange(365)
        record = {"id": f"d{index}", "title": text.split("\n")[0][:80], "outlet": f"outlet-{rng.randrange(50)}",
                  "published": time.strftime("%Y-%m-%d", time.gmtime(1735689600 + day * 86400)), "text": text}
        assert handle is not None
        handle.write(json.dumps(record) + "\n")
    if handle:
        handle.close()
    return paths


def generated_prepared(documents: int, *, stories: int = 0, seed: int = 11) -> list[Any]:
    """Prepared articles with generated signals: vectors around story centres, a name per story, dates."""
    import numpy as np

    from storyline.model import Article, Prepared, Sentence

    rng = np.random.default_rng(seed)
    stories = stories or max(1, documents // 20)
    centres = rng.normal(size=(stories, 64)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    start_day = rng.integers(0, 365, size=stories)
    out = []
    for index in range(documents):
        story = int(rng.integers(stories))
        vector = centres[story] + 0.35 * rng.normal(size=64).astype(np.float32) / 8.0
        vector /= np.linalg.norm(vector)
        day = int(start_day[story] + rng.integers(0, 10))
        text = f"Officials in Place{story} confirmed the report on Tuesday, and Person{story} said more was coming."
        article = Article(id=f"a-{index:07d}", source=f"gen#{index}", text=text,
                          published=time.strftime("%Y-%m-%d", time.gmtime(1735689600 + day * 86400)))
        out.append(Prepared(article=article, language="en", sentences=[Sentence(0, len(text), text)],
                            vector=vector, sentence_vectors=vector[None, :], minhash=np.zeros(128, np.uint32)))
    return out


# --- the measured work, one engine per process ----------------------------------------------------


def embedded_light(paths: list[str], documents: int) -> dict[str, float]:
    import numpy as np

    from storyline.fingerprint import estimated_jaccard, minhash
    from storyline.readers.metadata import complete_metadata
    from storyline.model import Article, Prepared, RawDocument
    from storyline.readers import read_paths
    from storyline.reuse import ReuseSettings
    from storyline.reuse.candidates import _lsh_candidates
    from storyline.stories import cluster_stories

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    docs = [complete_metadata(d) for d in read_paths(paths) if isinstance(d, RawDocument)]
    seconds["read"] = time.perf_counter() - started

    started = time.perf_counter()
    empty = np.zeros((0, 1), np.float32)
    signed = [Prepared(Article(Article.id_for(d.source), d.source, ""), None, [], empty, empty, minhash(d.text))
              for d in docs]
    # The embedded engine's own candidate search (the reuse stage's LSH), then the Jaccard check.
    pairs = _lsh_candidates(signed, len(signed))
    near = [(i, j) for i, j in pairs if estimated_jaccard(signed[i].minhash, signed[j].minhash)
            >= ReuseSettings().candidate_jaccard]
    seconds["near_duplicates"] = time.perf_counter() - started
    seconds["near_duplicate_pairs"] = len(near)

    prepared = generated_prepared(documents)
    started = time.perf_counter()
    seconds["stories_found"] = len(cluster_stories(prepared))
    seconds["stories"] = time.perf_counter() - started
    return seconds


def spark_light(paths: list[str], documents: int) -> dict[str, float]:
    from storyline.fingerprint import minhash
    from storyline.spark import spark_session
    from storyline.spark.engine import SparkSettings, read_documents
    from storyline.spark.reuse import connected_components, lsh_candidate_pairs, verify_near_duplicates
    from storyline.spark.stories import cluster_stories

    spark = spark_session("local[2]", shuffle_partitions=8)
    settings = SparkSettings(partitions=8)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    docs, _ = read_documents(spark, paths, settings)
    docs = docs.cache()
    docs.count()
    seconds["read"] = time.perf_counter() - started

    started = time.perf_counter()
    signatures = docs.map(lambda d: (d.source, minhash(d.text))).cache()
    near = verify_near_duplicates(lsh_candidate_pairs(signatures), signatures, settings.near_duplicate_jaccard).cache()
    seconds["near_duplicate_pairs"] = near.count()
    connected_components(near.map(lambda t: (t[0], t[1]))).count()
    seconds["near_duplicates"] = time.perf_counter() - started

    prepared = spark.sparkContext.parallelize(generated_prepared(documents), 8).cache()
    prepared.count()
    relations = spark.sparkContext.emptyRDD()
    started = time.perf_counter()
    seconds["stories_found"] = cluster_stories(prepared, relations, settings).count()
    seconds["stories"] = time.perf_counter() - started
    spark.stop()
    return seconds


def embedded_full(paths: list[str], documents: int) -> dict[str, float]:
    from storyline.pipeline import Models, analyze, ingest
    from storyline.store import open_store

    with tempfile.TemporaryDirectory() as folder, open_store(Path(folder) / "b.db") as store:
        started = time.perf_counter()
        ingest(store, paths)
        read = time.perf_counter() - started
        report = analyze(store, models=Models())
        total = time.perf_counter() - started
        return {"read": read, "analysis": total, **{f"stage_{k}": v for k, v in report.seconds.items()}}


def spark_full(paths: list[str], documents: int) -> dict[str, float]:
    from storyline.spark import run, spark_session
    from storyline.spark.engine import SparkSettings

    spark = spark_session("local[2]", shuffle_partitions=8)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        result = run(spark, paths, str(Path(folder) / "out"), SparkSettings(partitions=8))
        total = time.perf_counter() - started
    spark.stop()
    return {"read": result.seconds["read"], "analysis": total,
            **{f"stage_{k}": v for k, v in result.seconds.items()}}


WORK: dict[str, Callable[[list[str], int], dict[str, float]]] = {
    "embedded-light": embedded_light, "spark-light": spark_light,
    "embedded-full": embedded_full, "spark-full": spark_full,
}


# --- measuring a child process tree ---------------------------------------------------------------


def _tree_rss(root: int) -> int:
    """Resident bytes of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        pid, parent = int(entry), int(fields[1])
        children.setdefault(parent, []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def measure(work: str, paths: list[str], documents: int) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", work, "--child-docs", str(documents), *paths]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peak = [0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], _tree_rss(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{work} failed (exit {process.returncode}); run it alone: {' '.join(command)}")
    values = json.loads(output.strip().splitlines()[-1])
    values["peak_mb"] = peak[0] / 2**20
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="*", default=[DEFAULT_DATA], help="ECB+ JSON Lines (sentences to build from)")
    parser.add_argument("--light-docs", type=int, default=100_000)
    parser.add_argument("--full-docs", type=int, default=10_000)
    parser.add_argument("--parts", default="light,full", help="comma-separated: light, full")
    parser.add_argument("--price-per-core-hour", type=float, default=0.048)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-docs", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(WORK[args.child](list(args.data), args.child_docs)))
        return

    data = Path(args.data[0])
    if not data.exists():
        raise SystemExit(f"{data}: not found (pass the ECB+ JSON Lines file)")
    with tempfile.TemporaryDirectory(prefix="bench-spark-") as folder:
        for part, documents in (("light", args.light_docs), ("full", args.full_docs)):
            if part not in args.parts.split(","):
                continue
            paths = [str(p) for p in generate_jsonl(data, documents, Path(folder) / part)]
            embedded = measure(f"embedded-{part}", paths, documents)
            spark = measure(f"spark-{part}", paths, documents)
            _print_part(part, documents, embedded, spark, args.price_per_core_hour)


def _print_part(part: str, documents: int, embedded: dict, spark: dict, price: float) -> None:
    stages = ("read", "near_duplicates", "stories") if part == "light" else ("read", "analysis")
    print(f"\n{part}: {documents:,} documents (Spark local[2] vs embedded, one process each)")
    print("| stage | embedded docs/s | Spark docs/s | Spark / embedded | embedded peak MB | Spark peak MB |")
    print("|---|---:|---:|---:|---:|---:|")
    for stage in stages:
        e, s = documents / embedded[stage], documents / spark[stage]
        print(f"| {stage} | {e:,.0f} | {s:,.0f} | {s / e:.2f} | {embedded['peak_mb']:,.0f} | {spark['peak_mb']:,.0f} |")
    # The full analysis time already includes reading.
    total = spark["analysis"] if part == "full" else sum(spark[stage] for stage in stages)
    per_core = documents / total / 2
    cost = 1e6 / per_core / 3600 * price
    print(f"Spark, all {part} stages: {documents / total:,.1f} docs/s on 2 cores = {per_core:,.1f} docs/s per core "
          f"→ {1e6 / per_core / 3600:,.1f} core-hours per million documents ≈ ${cost:,.2f} at ${price}/core-hour")
    extra = {k: v for k, v in spark.items() if k not in stages and k != "peak_mb"}
    print(f"embedded details: {json.dumps({k: round(v, 2) for k, v in embedded.items()})}")
    print(f"Spark details: {json.dumps({k: round(v, 2) for k, v in extra.items()})}")


if __name__ == "__main__":
    main()
