"""The stories stage's own memory inside `analyze`, alone in a fresh process: what it holds per article.

``bench_analyze.py --sizes N --until stories`` runs reuse and stories in one process, so the stories
stage's peak there starts from what reuse left (memory freed but kept by the allocator) and hides how
much the stage itself needs. Here each size's store (the 10k recipe, prepared once by
``bench_analyze.py --sizes N --until ...`` under /tmp/storyline-bench-analyze) gets its relations once
(``reused-N.db`` beside it, by the last tree given), and each tree then runs the stories stage alone on a
copy: the resident size before the stage, the stage's own peak, CPU seconds, the stories and a digest
of them (equal digests: equal stories), then each tree's growth per added article::

    python benchmarks/bench_stories_memory.py --src /tmp/old/src --src src --sizes 2000 5000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

CACHE = Path("/tmp/storyline-bench-analyze")


def _resident_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def child_reuse(prepared: Path, out: Path) -> dict:
    from storyline.pipeline import Models, analyze
    from storyline.store import open_store

    partial = out.with_suffix(".partial")
    shutil.copyfile(prepared, partial)
    with open_store(partial) as store:
        analyze(store, models=Models(), until="reuse")
    partial.rename(out)
    return {}


def child_stories(reused: Path) -> dict:
    from storyline import pipeline
    from storyline.pipeline import Models, analyze
    from storyline.store import open_store

    with tempfile.TemporaryDirectory(prefix="storyline-bench-stories-memory-") as folder:
        shutil.copyfile(reused, Path(folder) / "bench.db")
        with open_store(Path(folder) / "bench.db") as store:
            models = Models()
            analyze(store, models=models, until="reuse")  # nothing to relate: what the run loads before the stage
            start = _resident_mb("VmRSS")
            Path("/proc/self/clear_refs").write_text("5", encoding="ascii")  # the peak from here on
            cpu = time.process_time()
            pipeline._RUNNERS["stories"](store, models, lambda *_: None)
            cpu = time.process_time() - cpu
            peak = _resident_mb("VmHWM")
            stories = store.stories()
            articles = len(store.prepared_versions())
    digest = hashlib.sha1(json.dumps([asdict(s) for s in stories], sort_keys=True).encode("utf-8")).hexdigest()
    return {"articles": articles, "start_mb": start, "peak_mb": peak, "cpu_seconds": cpu, "stories": len(stories),
            "digest": digest[:12]}


def run_child(src: Path, *arguments: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(src.resolve()))
    done = subprocess.run([sys.executable, __file__, "--child", *arguments], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"child {arguments} with {src} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, action="append", help="source tree (repeatable); default ./src")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 5000])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, *paths = args.child
        result = child_reuse(Path(paths[0]), Path(paths[1])) if mode == "reuse" else child_stories(Path(paths[0]))
        print(json.dumps(result))
        return 0
    sources = args.src or [Path(__file__).resolve().parent.parent / "src"]
    for size in args.sizes:
        prepared, reused = CACHE / f"prepared-{size}.db", CACHE / f"reused-{size}.db"
        if not prepared.exists():
            raise SystemExit(f"{prepared} is missing: make it with bench_analyze.py --sizes {size} --until reuse")
        if not reused.exists():
            run_child(sources[-1], "reuse", str(prepared), str(reused))
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    for src in sources:
        rows = {size: run_child(src, "stories", str(CACHE / f"reused-{size}.db")) for size in args.sizes}
        print(f"{src}:")
        for size, row in rows.items():
            print(f"  {size:,} articles: resident {row['start_mb']:.0f} MB before the stage, its peak "
                  f"{row['peak_mb']:.0f} MB (+{row['peak_mb'] - row['start_mb']:.0f}), {row['cpu_seconds']:.1f} CPU s, "
                  f"{row['stories']} stories, digest {row['digest']}", flush=True)
        for smaller, larger in zip(args.sizes, args.sizes[1:]):
            grown = rows[larger]["peak_mb"] - rows[smaller]["peak_mb"]
            print(f"  {smaller:,} -> {larger:,}: the stage's peak +{1024 * grown / (larger - smaller):.1f} KB an added article")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
