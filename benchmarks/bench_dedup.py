"""Speed benchmark of ``storyline dedup`` against datasketch and rensa, in one run.

The corpus: 100,000 synthetic ~4 KB news-like documents in one JSON Lines file with
planted near-duplicates (``make_dedup_corpus.py``; generated into CORPUS_DIR when it
is missing, deterministically). Every tool runs as its own process, timed whole
(interpreter start-up and imports count), reading the same file, at the same
threshold, with 128 values per signature:

- storyline: ``storyline dedup corpus.jsonl --threshold T --jsonl pairs --quiet``
  (native reading, tokenising, hashing; its numba cache is warmed first, as after
  any first run);
- datasketch 2.0: ``json.loads`` per line, Python shingling (``\\w+`` words, 5-grams),
  ``MinHash.update_batch``, ``MinHashLSH(threshold=T)`` (it picks its own bands),
  a query per document, candidates verified with ``MinHash.jaccard``;
- rensa 0.5: the same Python shingling, ``RMinHash.update``, ``RMinHashLSH`` with
  32 bands of 4 rows (it needs a divisor of 128; 32 is its usual choice for 0.5),
  a query per document, candidates verified with ``RMinHash.jaccard``.

The peers are slow, so by default they run on the first ``--peer-docs`` documents (a
self-contained prefix: every planted cluster lies inside one block of 10,000) and
their documents/s is that prefix's; storyline is run on the same prefix too, for a
like-for-like ratio, and on the whole corpus.

Reported per tool: wall seconds, documents/s, peak RSS (``wait4`` of the child),
memory per document beyond a 100-document run of the same tool, recall of the
planted pairs with true Jaccard >= 0.6 (also per band of Jaccard), and precision:
the share of reported pairs whose true Jaccard (exact, on the same word 5-gram
shingle sets) reaches the threshold.

    python benchmarks/bench_dedup.py [CORPUS_DIR] [--peer-docs 10000] [--runs 3] [--metrics-json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_CORPUS = Path(tempfile.gettempdir()) / "storyline-dedup-bench"
NUM_PERM = 128
WORD = re.compile(r"\w+")


# --- the peers, run in a child process -----------------------------------------------


def _records(path: Path, limit: Optional[int]) -> Iterator[tuple[str, str]]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if limit is not None and number > limit:
                return
            record = json.loads(line)
            yield str(record.get("id", number)), record["text"]


def _shingles(text: str) -> list[str]:
    words = WORD.findall(text.lower())
    if len(words) < 5:
        return [" ".join(words)] if words else []
    return list({" ".join(words[i:i + 5]) for i in range(len(words) - 4)})


def run_peer(peer: str, corpus: Path, limit: Optional[int], threshold: float, out: Path) -> None:
    names: list[str] = []
    sketches: list[object] = []
    if peer == "datasketch":
        from datasketch import MinHash, MinHashLSH

        index = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        for name, text in _records(corpus, limit):
            sketch = MinHash(num_perm=NUM_PERM)
            sketch.update_batch([shingle.encode("utf-8") for shingle in _shingles(text)])
            index.insert(len(names), sketch)
            names.append(name)
            sketches.append(sketch)
    elif peer == "rensa":
        from rensa import RMinHash, RMinHashLSH

        index = RMinHashLSH(threshold=threshold, num_perm=NUM_PERM, num_bands=32)
        for name, text in _records(corpus, limit):
            sketch = RMinHash(num_perm=NUM_PERM, seed=42)
            sketch.update(_shingles(text))
            index.insert(len(names), sketch)
            names.append(name)
            sketches.append(sketch)
    else:
        raise SystemExit(f"unknown peer {peer!r}")
    with out.open("w", encoding="utf-8") as handle:
        for row, sketch in enumerate(sketches):
            for other in index.query(sketch):
                if other > row:
                    similarity = sketch.jaccard(sketches[other])  # type: ignore[attr-defined]
                    if similarity >= threshold:
                        handle.write(json.dumps({"a": names[row], "b": names[other],
                                                 "similarity": round(similarity, 4)}) + "\n")


# --- timing a child process ------------------------------------------------------------


@dataclass
class Run:
    tool: str
    documents: int
    seconds: float
    peak_rss_kb: int
    cpu_seconds: float
    pairs_path: Path
    baseline_rss_kb: int = 0

    @property
    def docs_per_s(self) -> float:
        return self.documents / self.seconds

    @property
    def bytes_per_doc(self) -> float:
        return (self.peak_rss_kb - self.baseline_rss_kb) * 1024 / self.documents


def timed(command: list[str]) -> tuple[float, int, float]:
    """(wall seconds, peak RSS in KB, CPU seconds) of one child process, which must succeed."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    error = child.stderr.read().decode() if child.stderr else ""
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}):\n{error}")
    return seconds, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def storyline_command(corpus: Path, threshold: float, out: Path) -> list[str]:
    return [str(Path(sys.executable).with_name("storyline")), "dedup", str(corpus), "--threshold", str(threshold),
            "--jsonl", str(out), "--quiet"]


def peer_command(peer: str, corpus: Path, limit: int, threshold: float, out: Path) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), str(corpus.parent), "--run-peer", peer,
            "--peer-docs", str(limit), "--threshold", str(threshold), "--peer-out", str(out)]


def prefix_file(corpus: Path, lines: int, work: Path) -> Path:
    path = work / f"first-{lines}.jsonl"
    with corpus.open("rb") as source, path.open("wb") as target:
        for number, line in enumerate(source):
            if number >= lines:
                break
            target.write(line)
    return path


# --- scoring --------------------------------------------------------------------------


def load_truth(corpus_dir: Path) -> dict[tuple[str, str], float]:
    truth = {}
    with (corpus_dir / "truth.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            pair = json.loads(line)
            truth[(pair["a"], pair["b"])] = pair["jaccard"]
    return truth


def doc_number(name: str) -> int:
    return int(name.rsplit("-", 1)[1])


def exact_jaccards(corpus: Path, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], float]:
    """True Jaccard of pairs the truth file does not hold (they cross planted clusters)."""
    if not pairs:
        return {}
    sys.path.insert(0, str(REPO / "src"))
    from storyline.fingerprint import shingle_hashes, token_hashes

    import numpy as np

    wanted = {name for pair in pairs for name in pair}
    texts = {}
    with corpus.open("rb") as handle:
        for line in handle:
            name = line[8:18].decode()  # {"id": "doc-000123", ...
            if name in wanted:
                texts[name] = json.loads(line)["text"]
    sets = {name: shingle_hashes(token_hashes(text)) for name, text in texts.items()}
    result = {}
    for a, b in pairs:
        shared = len(np.intersect1d(sets[a], sets[b], assume_unique=True))
        result[(a, b)] = shared / (len(sets[a]) + len(sets[b]) - shared)
    return result


def score(pairs_path: Path, truth: dict[tuple[str, str], float], documents: int, threshold: float,
          corpus: Path) -> dict[str, float]:
    reported = set()
    with pairs_path.open(encoding="utf-8") as handle:
        for line in handle:
            pair = json.loads(line)
            reported.add(tuple(sorted((pair["a"], pair["b"]))))
    inside = {pair: j for pair, j in truth.items() if doc_number(pair[1]) < documents}
    unknown = [pair for pair in reported if pair not in inside]
    true_j = {**inside, **exact_jaccards(corpus, unknown)}
    metrics: dict[str, float] = {"pairs": len(reported)}
    bins = [(0.6, 1.01, "recall_j>=0.6"), (0.5, 0.6, "recall_j_0.5-0.6"), (0.6, 0.7, "recall_j_0.6-0.7"),
            (0.7, 0.8, "recall_j_0.7-0.8"), (0.8, 0.9, "recall_j_0.8-0.9"), (0.9, 1.01, "recall_j>=0.9")]
    for low, high, name in bins:
        planted = [pair for pair, j in inside.items() if low <= j < high]
        metrics[name] = sum(pair in reported for pair in planted) / len(planted) if planted else float("nan")
        metrics[name.replace("recall", "planted")] = len(planted)
    metrics["precision"] = (sum(true_j[pair] >= threshold for pair in reported) / len(reported)
                            if reported else float("nan"))
    return metrics


# --- the benchmark --------------------------------------------------------------------------


def ensure_corpus(corpus_dir: Path) -> Path:
    corpus = corpus_dir / "corpus.jsonl"
    if not corpus.exists():
        print(f"generating the corpus into {corpus_dir} (a few minutes, once)", file=sys.stderr)
        subprocess.run([sys.executable, str(HERE / "make_dedup_corpus.py"), str(corpus_dir)], check=True)
    return corpus


def documents_in(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus_dir", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--peer-docs", type=int, default=10_000, help="documents the peers are timed on")
    parser.add_argument("--runs", type=int, default=3, help="storyline runs on the whole corpus (best is kept)")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--metrics-json", type=Path, metavar="FILE",
                        help="write {metric: value} here for benchmarks/gate.py (floors: benchmarks/floors/dedup.json)")
    parser.add_argument("--run-peer", help=argparse.SUPPRESS)
    parser.add_argument("--peer-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    corpus = ensure_corpus(args.corpus_dir)
    if args.run_peer:
        run_peer(args.run_peer, corpus, args.peer_docs, args.threshold, args.peer_out)
        return

    truth = load_truth(args.corpus_dir)
    total = documents_in(corpus)
    work = Path(tempfile.mkdtemp(prefix="bench-dedup-"))
    tiny = prefix_file(corpus, 100, work)
    subset = prefix_file(corpus, args.peer_docs, work) if args.peer_docs < total else corpus
    subset_docs = min(args.peer_docs, total)

    # Warm storyline's compiled-code cache, then measure its baseline (100 documents).
    timed(storyline_command(tiny, args.threshold, work / "warm.jsonl"))
    baseline = min(timed(storyline_command(tiny, args.threshold, work / "warm.jsonl"))[1] for _ in range(2))
    runs: list[Run] = []
    best: Optional[Run] = None
    for attempt in range(args.runs):
        out = work / f"storyline-{attempt}.jsonl"
        seconds, rss, cpu = timed(storyline_command(corpus, args.threshold, out))
        run = Run("storyline", total, seconds, rss, cpu, out, baseline)
        print(f"  storyline run {attempt + 1}: {seconds:.2f} s wall, {cpu:.2f} s CPU, {rss / 1024:.0f} MB",
              file=sys.stderr)
        if best is None or run.seconds < best.seconds:
            best = run
    assert best is not None
    runs.append(best)
    if subset is not corpus:
        seconds, rss, cpu = min((timed(storyline_command(subset, args.threshold, work / "storyline-subset.jsonl"))
                                 for _ in range(args.runs)), key=lambda result: result[0])
        runs.append(Run("storyline", subset_docs, seconds, rss, cpu, work / "storyline-subset.jsonl", baseline))
    if not args.no_peers:
        for peer in ("rensa", "datasketch"):
            out = work / f"{peer}.jsonl"
            peer_baseline = timed(peer_command(peer, corpus, 100, args.threshold, work / f"{peer}-tiny.jsonl"))[1]
            seconds, rss, cpu = timed(peer_command(peer, corpus, subset_docs, args.threshold, out))
            runs.append(Run(peer, subset_docs, seconds, rss, cpu, out, peer_baseline))
            print(f"  {peer}: {seconds:.1f} s wall on {subset_docs:,} documents", file=sys.stderr)

    print(f"corpus: {corpus} ({total:,} documents, {corpus.stat().st_size / total / 1024:.1f} KB a line), "
          f"threshold {args.threshold}, {NUM_PERM} values per signature, {os.cpu_count()} CPUs")
    header = (f"{'tool':<11}{'docs':>8}{'wall s':>8}{'CPU s':>7}{'docs/s':>9}{'peak MB':>9}{'B/doc':>7}"
              f"{'recall>=0.6':>12}{'precision':>10}{'pairs':>8}")
    print(header)
    print("-" * len(header))
    results = []
    for run in runs:
        metrics = score(run.pairs_path, truth, run.documents, args.threshold, corpus)
        results.append((run, metrics))
        print(f"{run.tool:<11}{run.documents:>8,}{run.seconds:>8.2f}{run.cpu_seconds:>7.2f}{run.docs_per_s:>9,.0f}"
              f"{run.peak_rss_kb / 1024:>9.0f}{run.bytes_per_doc:>7.0f}{metrics['recall_j>=0.6']:>12.4f}"
              f"{metrics['precision']:>10.4f}{metrics['pairs']:>8,.0f}")
    print()
    print("recall by true Jaccard of the planted pairs (planted pairs in brackets):")
    for run, metrics in results:
        cells = "  ".join(f"{name.split('_', 1)[1]} {metrics[name]:.3f} ({metrics[name.replace('recall', 'planted')]:.0f})"
                          for name in ("recall_j_0.5-0.6", "recall_j_0.6-0.7", "recall_j_0.7-0.8",
                                       "recall_j_0.8-0.9", "recall_j>=0.9"))
        print(f"  {run.tool:<11}{run.documents:>8,}  {cells}")
    like_for_like = next((run for run in runs if run.tool == "storyline" and run.documents == subset_docs), runs[0])
    print()
    for run in runs:
        if run.tool != "storyline":
            print(f"storyline vs {run.tool}: {runs[0].docs_per_s / run.docs_per_s:.1f}x documents/s "
                  f"(whole corpus vs its {run.documents:,}); {like_for_like.docs_per_s / run.docs_per_s:.1f}x on "
                  f"the same {run.documents:,} documents")
    measured = {
        "storyline_docs_per_s": runs[0].docs_per_s,
        "storyline_recall_j>=0.6": results[0][1]["recall_j>=0.6"],
        "storyline_precision": results[0][1]["precision"],
        "storyline_bytes_per_doc": runs[0].bytes_per_doc,
    }
    print("\n" + json.dumps({key: round(value, 4) for key, value in measured.items()}))
    if args.metrics_json:
        args.metrics_json.write_text(json.dumps(measured, indent=2, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
