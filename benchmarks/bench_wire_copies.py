"""Wire copies counted once, on the syndicated copies in gva-window (local news on US shootings, 2016-17).

Reads every article of the folder into a fresh store, runs the stages up to ``stories``
(prepare, reuse, stories: the provenance relations are what joins unsigned copies to an
agency), exports, and reports:

- how many articles carry each wire signal (outlet, dateline, byline, credit line);
- how many more join an agency's source group only through a copy/excerpt/rewrite relation;
- per story, outlets against sources with wire copies counted once;
- a sample of the articles labelled "wire copy" (signed and joined), written to a TSV with
  the opening and closing words of each text, to be checked by reading the texts: the
  precision in BENCHMARKS.md is from that hand check, not from this script.

The texts are the outlets' copyright: the sample file goes to /tmp, never into the repo.

Usage::

    .venv/bin/python benchmarks/bench_wire_copies.py [../shared/bench-data/gva-window] [--sample /tmp/wire-sample.tsv]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from storyline.views.json_export import to_json
from storyline.pipeline import Models, analyze, ingest, load_analysis
from storyline.store import open_store

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "bench-data" / "gva-window"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("folder", nargs="?", default=str(DEFAULT))
    parser.add_argument("--sample", default="/tmp/wire-sample.tsv")
    parser.add_argument("--sample-size", type=int, default=40)
    args = parser.parse_args()
    docs = Path(args.folder) / "docs"
    if not docs.is_dir():
        print(f"{docs}: no such folder (see ../shared/bench-data/README.md)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder, open_store(Path(folder) / "wire.db") as store:
        started = time.perf_counter()
        ingest(store, [docs])
        analyze(store, models=Models(), until="stories")
        seconds = time.perf_counter() - started
        analysis = load_analysis(store)
    doc = to_json(analysis)
    articles = {a["id"]: a for a in doc["articles"]}
    texts = {a.id: a.text for a in analysis.articles}
    signals = Counter(a["wire"]["signal"] for a in articles.values() if a["wire"])
    labelled: dict[str, tuple[str, str]] = {}
    outlets_total = sources_total = independent_total = 0
    for story in doc["stories"]:
        outlets_total += len(story["outlets"])
        sources_total += len(story["source_groups"])
        independent_total += story["independent_sources"]
    # The "wire copy" label is the article's own: a signal in its text or outlet, or a copy of such a text.
    for article_id, article in articles.items():
        if article["wire"]:
            labelled[article_id] = (article["wire"]["agency"], article["wire"]["signal"])
    in_agency_groups = sum(len(g["articles"]) for s in doc["stories"] for g in s["source_groups"] if g["agency"])
    print(f"{len(articles)} articles, {len(doc['stories'])} stories, stages up to stories in {seconds:.0f}s")
    print("signals:", dict(signals))
    print("labelled wire copy:", len(labelled), dict(Counter(how for _, how in labelled.values())))
    print("articles in an agency's source group (wire copies and the texts they are joined with):", in_agency_groups)
    print(f"stories: {outlets_total} outlet-story pairs; {independent_total} independent sources by provenance alone, "
          f"{sources_total} with wire copies counted once")
    rng = random.Random(16)
    sample = sorted(labelled) if len(labelled) <= args.sample_size else sorted(rng.sample(sorted(labelled), args.sample_size))
    with open(args.sample, "w", encoding="utf-8") as handle:
        handle.write("article\toutlet\tagency\thow\tsource\topening\tending\n")
        for article_id in sample:
            text = " ".join(texts[article_id].split())
            agency, how = labelled[article_id]
            handle.write("\t".join([article_id, articles[article_id]["outlet"] or "", agency, how,
                                    articles[article_id]["source"], text[:300], text[-300:]]) + "\n")
    print(f"sample of {len(sample)} written to {args.sample} for the hand check")
    print(json.dumps({"articles": len(articles), "labelled": len(labelled), "signals": dict(signals)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
