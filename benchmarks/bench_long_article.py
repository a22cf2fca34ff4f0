"""Cost of one long article: seconds per stage of ``analyze`` and peak memory, per size (issue 14, item 3).

Each size runs in a fresh process over a temporary store. The articles are generated:

- ``prose``: punctuated English news prose, sentences of 15-30 words, with many
  distinct names (a new two-word name every few sentences, some repeated),
  numbers, dates and quotes: the shape of a long report or a transcript;
- ``unpunctuated``: the same words with every full stop, comma and line break
  taken out (a scraped page that lost its markup);
- ``pair``: the prose article and a copy of it with one word in fifty changed,
  as a second article from another outlet (reuse aligns the two, claims compare them).

The models are loaded and warmed on a small article before the timed run, so the
figures are the long article's own cost. Printed per size: the CPU seconds of every
stage (CPU, not wall-clock, time: the machine is shared, and CPU time moves far
less with its load), their total, the wall-clock total, the peak RSS of the
process (models included), its growth during the timed run and that growth as
each stage ended; then, per stage,
the ratio of each size's CPU seconds to the previous size's (about 2.0 per
doubling is linear; 4.0 is quadratic).

Usage::

    PYTHONPATH=src .venv/bin/python benchmarks/bench_long_article.py [--kinds prose unpunctuated pair]
        [--sizes 50 100 200 400]   # KB
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

STAGES = ("prepare", "reuse", "stories", "entities", "claims", "timeline")
FIRST = ["Maria", "John", "Ahmed", "Li", "Olga", "Pedro", "Fatima", "Kenji", "Anna", "David", "Sofia", "Ivan",
         "Grace", "Omar", "Elena", "Lucas", "Amara", "Tomas", "Nadia", "Samuel"]
LAST_SYLLABLES = ["ber", "son", "ov", "ez", "man", "ski", "ton", "ric", "dal", "vik", "mar", "lin", "sen", "ar"]
VERBS = ["said", "announced", "reported", "confirmed", "denied", "warned", "estimated", "claimed"]
NOUNS = ["ministry", "council", "company", "union", "court", "agency", "committee", "hospital", "port", "bank"]
FILLER = ("the of and to in a that for on with as by at from was were is are will would could should "
          "after before during while about against between into through over under again further").split()
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October"]


def _name(rng: random.Random) -> str:
    last = "".join(rng.choice(LAST_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
    return f"{rng.choice(FIRST)} {last}"


def prose(chars: int, seed: int = 14) -> str:
    """News-like prose of about ``chars`` characters, with a fresh name every few sentences."""
    rng = random.Random(seed)
    names: list[str] = []
    paragraphs: list[str] = []
    size = 0
    while size < chars:
        sentences = []
        for _ in range(rng.randint(3, 6)):
            if not names or rng.random() < 0.4:
                names.append(_name(rng))
            who = rng.choice(names[-200:])
            words = [rng.choice(FILLER) for _ in range(rng.randint(8, 20))]
            number = rng.choice([f"{rng.randint(2, 999)}", f"{rng.randint(1, 99)}.{rng.randint(0, 9)} percent",
                                 f"{rng.randint(1, 30)} {rng.choice(MONTHS)}"])
            if rng.random() < 0.3:
                sentences.append(f'"{" ".join(words).capitalize()}," {who} {rng.choice(VERBS)}.')
            else:
                sentences.append(f"{who} {rng.choice(VERBS)} the {rng.choice(NOUNS)} {' '.join(words)} "
                                 f"{number} on {rng.choice(MONTHS)} {rng.randint(1, 28)}.")
        paragraph = " ".join(sentences)
        paragraphs.append(paragraph)
        size += len(paragraph) + 2
    return "\n\n".join(paragraphs)[:chars]


def unpunctuated(chars: int) -> str:
    text = prose(chars)
    for mark in ".,\"\n":
        text = text.replace(mark, " ")
    return text


def rewritten(text: str, seed: int = 15) -> str:
    rng = random.Random(seed)
    words = text.split(" ")
    return " ".join(rng.choice(FILLER) if rng.random() < 0.02 else word for word in words)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(kind: str, kilobytes: int) -> dict[str, object]:
    from storyline import pipeline
    from storyline.pipeline import Models, analyze, ingest
    from storyline.store import open_store

    cpu_seconds: dict[str, float] = {}
    peak_after: dict[str, float] = {}  # the process's peak RSS when each stage ends: where memory grows

    def timed(name: str, runner: Callable[..., int]) -> Callable[..., int]:
        def run(*args: Any) -> int:
            started = time.process_time()
            try:
                return runner(*args)
            finally:
                cpu_seconds[name] = time.process_time() - started
                peak_after[name] = _peak_rss_mb()
        return run

    pipeline._RUNNERS.update({name: timed(name, runner) for name, runner in pipeline._RUNNERS.items()})

    text = unpunctuated(kilobytes * 1000) if kind == "unpunctuated" else prose(kilobytes * 1000)
    with tempfile.TemporaryDirectory() as folder:
        models = Models(all_in_depth=True)  # a one-article story is analysed in depth only when opened
        warm = Path(folder, "warm.txt")
        warm.write_text(prose(3_000, seed=1) + "\n")
        with open_store(Path(folder, "warm.db")) as store:
            ingest(store, [warm])
            analyze(store, models=models)
        paths = [Path(folder, "long.txt")]
        paths[0].write_text(text)
        if kind == "pair":
            paths.append(Path(folder, "copy.txt"))
            paths[1].write_text(rewritten(text))
        before = _peak_rss_mb()
        with open_store(Path(folder, "long.db")) as store:
            ingest(store, paths)
            started = time.perf_counter()
            report = analyze(store, models=models)
            total = time.perf_counter() - started
    return {"kind": kind, "kb": kilobytes, "seconds": cpu_seconds, "wall": report.seconds, "total": total,
            "peak_rss_mb": _peak_rss_mb(), "rss_growth_mb": _peak_rss_mb() - before,
            "peak_after_mb": {name: round(value - before) for name, value in peak_after.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kinds", nargs="+", default=["prose", "unpunctuated", "pair"],
                        choices=["prose", "unpunctuated", "pair"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[50, 100, 200, 400], help="article sizes in KB")
    parser.add_argument("--one", nargs=2, metavar=("KIND", "KB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], int(args.one[1]))))
        return
    for kind in args.kinds:
        rows = []
        print(f"\n{kind}: " + " ".join(f"{s:>9}" for s in STAGES) + "  CPU total  wall total  peak MB  growth MB")
        for kilobytes in args.sizes:
            done = subprocess.run([sys.executable, __file__, "--one", kind, str(kilobytes)],
                                  capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"{kilobytes:>4} KB failed: {done.stderr.strip().splitlines()[-1:]}")
                continue
            row = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append(row)
            seconds = row["seconds"]
            print(f"{kilobytes:>4} KB " + " ".join(f"{seconds.get(s, 0.0):>9.2f}" for s in STAGES)
                  + f" {sum(seconds.values()):>10.2f} {row['total']:>11.2f} {row['peak_rss_mb']:>8.0f}"
                  + f" {row['rss_growth_mb']:>10.0f}", flush=True)
            print("        peak MB over the models' when each stage ends: "
                  + ", ".join(f"{name} {row['peak_after_mb'].get(name, 0)}" for name in STAGES), flush=True)
        for previous, row in zip(rows, rows[1:]):
            growth = row["kb"] / previous["kb"]
            ratios = [row["seconds"].get(s, 0.0) / max(previous["seconds"].get(s, 0.0), 1e-3) for s in STAGES]
            total = sum(row["seconds"].values()) / max(sum(previous["seconds"].values()), 1e-3)
            print(f"x{growth:.0f} {previous['kb']}->{row['kb']} KB ratio: " + " ".join(f"{r:>9.2f}" for r in ratios)
                  + f" {total:>9.2f}")


if __name__ == "__main__":
    main()
