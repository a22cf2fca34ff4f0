"""Adding articles to a large store: the stories stage and entity resolution, incremental against a whole run.

A store of ``--base`` articles (10,000 by default) gets ``--added`` more (100).
The two corpus-wide steps run on both sides of the addition, as the pipeline's
runners call them, and are compared:

- whole: ``cluster_stories`` and ``resolve_entities`` over every article;
- incremental: ``stories.incremental.build_stories`` (every article weighed,
  only the calendar blocks whose rows changed clustered again: see
  ``stories.statistics``; only the stories whose inputs changed built again) and
  ``entities.incremental.resolve_planned`` (only the stories whose inputs changed
  resolved again, the others' clusters taken as the run before left them, after
  a trip through JSON as the store keeps them; then all joined).

Printed: the work each side did (articles grouped, stories built, stories, articles
and mentions resolved, mentions joined), seconds, the result sizes, and whether both
sides give equal stories and entities (the run fails if not).

What is measured and what is not: ``analyze`` end to end over 10,000 articles
takes too long here (spaCy's NER alone), so, as ``bench_stories_scale.py`` does,
the stages' inputs are made directly. Articles are recombined from ECB+ sentences
(each story an ECB+ subtopic on a start day, its articles over the next days,
dated over a year; the added articles are the newest, as news arrives); they are
prepared with the hashing embedder and related by the reuse stage (new articles
against the others, as the runner does). Mentions are runs of capitalised words
not opening a sentence, a stand-in for NER with the same shape (names repeated
across the articles of a story and across stories), not its accuracy.

Usage::

    .venv/bin/python benchmarks/bench_incremental.py [--base 10000] [--added 100] [--ecbplus PATH] [--inputs FILE]
    .venv/bin/python benchmarks/bench_incremental.py --base 2000 --added 20 --cut FILE10K --inputs FILE2K
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import re
import sys
import time
import zlib
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Callable, TypeVar

from storyline.embedders import load_embedder
from storyline.entities import resolve_entities
from storyline.entities.across import StoryClusters
from storyline.entities.incremental import plan_resolution, resolve_planned, story_keys
from storyline.model import Article, Mention, Prepared, Relation
from storyline.prepare import prepare
from storyline.reuse import relate
from storyline.stories import StorySettings, cluster_stories
from storyline.stories.incremental import StoryMemo, build_stories, remember
from storyline.stories.features import article_order_key
from storyline.stories.signals import StorySignals
from storyline.stories.stage import partition_articles
from storyline.stories.statistics import block_rows

FIRST_DAY = date(2024, 1, 1)
SEASON_DAYS = 15  # with --arrivals recent, a subtopic's episodes start within this many days of its own day
T = TypeVar("T")
_NAME_RUN = re.compile(r"(?<=[a-z,;] )(?:[A-Z][a-z]+(?: [A-Z][a-z]+)*)")


def articles(n_base: int, n_added: int, data: str, common: float, seed: int = 0,
             arrivals: str = "uniform") -> tuple[list[Article], list[Article]]:
    """``n_base`` articles over a year and ``n_added`` newer ones, recombined from ECB+ sentences.

    ECB+ has 64 stories; a year of news has thousands. So each story told here (an
    episode: one subtopic from a start day) gives the names its sentences hold
    (capitalised words inside a sentence) its own spelling, but for the share
    ``common`` of names, kept as written in every episode (the countries and
    institutions every story names).

    ``arrivals`` says which articles the added ones copy. ``uniform`` (the first mix measured): any
    episode starts on any day, so a subtopic is told all through the year, and an added article, made
    of its subtopic's sentences, rewrites base articles from every month. ``recent``, closer to news
    as it arrives: each subtopic is told in a season of its own (its episodes start within
    ``SEASON_DAYS`` of a day drawn for it), a tenth of the subtopics is kept out of the base, and the
    added articles that do not continue one of the latest stories tell those (stories never told
    before); so the added articles rewrite recent articles, not old ones.
    """
    rows = [json.loads(line) for line in Path(data).read_text(encoding="utf-8").splitlines() if line.strip()]
    by_story: dict[str, list[list[str]]] = defaultdict(list)
    for row in rows:
        by_story[row["subtopic"]].append([s for s in row["text"].split("\n") if s.strip()])
    subtopics = sorted(by_story)
    rng = random.Random(seed)

    def one(index: int, subtopic: str, day: int, episode: int) -> Article:
        first, second = rng.choice(by_story[subtopic]), rng.choice(by_story[subtopic])
        sentences = first[:1] + rng.sample(first[1:] + second[1:], min(20, len(first) + len(second) - 2))
        published = (FIRST_DAY + timedelta(days=day)).isoformat()
        text = _NAME_RUN.sub(lambda run: _spelt(run.group(0), episode, common), "\n".join(sentences) + "\n")
        return Article(id=Article.id_for(f"bench/{index:06d}.txt"), source=f"bench/{index:06d}.txt",
                       text=text, published=published)

    fresh = subtopics  # the subtopics new stories among the added articles tell
    season: dict[str, int] = {}
    if arrivals == "recent":
        drawn = random.Random(seed + 1)
        fresh = sorted(drawn.sample(subtopics, max(1, len(subtopics) // 10)))
        subtopics = [s for s in subtopics if s not in fresh]
        season = {s: drawn.randrange(0, 360) for s in subtopics}

    def start_day(subtopic: str) -> int:
        if subtopic not in season:
            return rng.randrange(0, 360)
        return min(359, max(0, season[subtopic] + rng.randint(-SEASON_DAYS, SEASON_DAYS)))

    base: list[Article] = []
    told: list[tuple[str, int]] = []  # per base article: its subtopic and episode
    episodes = 0
    while len(base) < n_base:
        subtopic = rng.choice(subtopics)
        start = start_day(subtopic)
        for step in range(min(rng.randint(1, 12), n_base - len(base))):
            base.append(one(len(base), subtopic, start + min(step, 4), episodes))
            told.append((subtopic, episodes))
        episodes += 1
    # The newest articles: a third continue the base's latest stories, the others tell new ones.
    latest = [told[i] for i, a in enumerate(base) if (a.published or "") >= (FIRST_DAY + timedelta(days=350)).isoformat()]
    added = []
    for i in range(n_added):
        day = 362 + rng.randrange(0, 3)
        if latest and i % 3 == 0:
            subtopic, episode = rng.choice(latest)
            added.append(one(n_base + i, subtopic, day, episode))
        else:
            added.append(one(n_base + i, rng.choice(fresh), day, episodes + i))
    return base, added


def _spelt(run: str, episode: int, common: float) -> str:
    """A name run as one episode writes it: each word its own spelling there, unless a common name."""
    words = []
    for word in run.split(" "):
        if zlib.crc32(word.encode("utf-8")) % 1000 < common * 1000:
            words.append(word)
        else:
            words.append(word + _letters(episode))
    return " ".join(words)


def _letters(number: int) -> str:
    out = ""
    number += 26 * 26  # at least three letters
    while number:
        number, digit = divmod(number, 26)
        out += "abcdefghijklmnopqrstuvwxyz"[digit]
    return out


def mentions_of(docs: list[Prepared]) -> dict[str, list[Mention]]:
    """Runs of capitalised words inside sentences: the shape of NER output (see the module)."""
    found = {}
    for doc in docs:
        spans = [Mention(doc.id, (m.start(), m.end()), m.group(0)) for m in _NAME_RUN.finditer(doc.article.text)]
        if spans:
            found[doc.id] = spans
    return found


def timed(run: Callable[[], T]) -> tuple[T, tuple[float, float]]:
    """The result and the step's (wall, CPU) seconds."""
    started, cpu = time.perf_counter(), time.process_time()
    result = run()
    return result, (time.perf_counter() - started, time.process_time() - cpu)


def _seconds(spent: tuple[float, float]) -> str:
    """Wall and CPU seconds: on a loaded machine the wall clock says more of the load than of the work."""
    return f"{spent[0]:.1f} | {spent[1]:.1f}"


def progress(message: str) -> None:
    """A long run says where it is (at 10,000 articles each step takes minutes)."""
    print(f"[{time.strftime('%H:%M:%S')}, load {os.getloadavg()[0]:.1f}] {message}", file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=int, default=10_000)
    parser.add_argument("--added", type=int, default=100)
    parser.add_argument("--common", type=float, default=0.2,
                        help="share of names every story writes alike (default 0.2)")
    parser.add_argument("--arrivals", choices=("uniform", "recent"), default="uniform",
                        help="which articles the added ones rewrite: uniform (any subtopic, so base articles "
                             "from all through the year; the default, the first mix measured) or recent (each "
                             "subtopic told in a season, new stories from subtopics the base does not tell: "
                             "the latest articles); see articles()")
    parser.add_argument("--ecbplus", default="../shared/bench-data/ecbplus/ecbplus-traindev.jsonl")
    parser.add_argument("--inputs", type=Path,
                        help="keep the prepared and related inputs in this file (made once: relating 10,000 "
                             "articles takes most of an hour on a loaded machine), and read them from it next time")
    parser.add_argument("--cut", type=Path,
                        help="make the inputs from the kept inputs of a larger run (an --inputs file): its first "
                             "--base base articles and first --added added ones, with the relations among them "
                             "(what a run of that size generates: articles are drawn in the same order)")
    args = parser.parse_args()
    settings = StorySettings()
    base, added, base_relations, relations = _inputs(args)
    everything = base + added
    mentions = mentions_of(everything)
    base_ids = {doc.id for doc in base}
    base_mentions = {a: m for a, m in mentions.items() if a in base_ids}
    print(f"inputs: {len(base):,} + {len(added):,} articles, {len(relations):,} relations, "
          f"{sum(len(m) for m in mentions.values()):,} mentions; {_reach(base, added, relations, settings)}",
          flush=True)

    # The store before: stories and entities as a whole run leaves them, with what the next run reads.
    progress("the store before: its stories")
    before = build_stories(base, base_relations, [], None, settings)
    memo = remember(settings, before.names, before.stories, base_relations, {d.id: d for d in base},
                    *([before.blocks] if hasattr(before, "blocks") else []))
    stored = StoryMemo.from_json(memo.to_json())  # kept as the store keeps it
    progress("the store before: its entities")
    before_articles, before_keys = story_keys({a: 1 for a in base_mentions}, before.stories, base_relations,
                                              doc_ids=base_ids)
    before_entities = resolve_planned(plan_resolution(before_articles, before_keys, {}), {}, base_mentions, base,
                                      base_relations, before.stories)
    # Kept as a store keeps them: through JSON.
    kept_clusters = {story: json.dumps(part.to_json()) for story, part in before_entities.clusters.items()}

    progress("stories, incremental")
    incremental, stories_incremental_s = timed(lambda: build_stories(everything, relations, before.stories, stored,
                                                                      settings))
    progress("stories, whole")
    whole_stories, stories_whole_s = timed(lambda: cluster_stories(everything, relations, settings=settings))
    # The floor of the incremental side: the grouping, which runs over the whole corpus (see stories.incremental).
    progress("the grouping alone")
    _, grouping_s = timed(lambda: partition_articles(everything, relations, settings=settings))
    progress("entities, incremental")
    (plan, entities), entities_incremental_s = timed(lambda: _resolve_planned(
        before_keys, kept_clusters, mentions, everything, relations, incremental.stories))
    progress("entities, whole")
    whole_entities, entities_whole_s = timed(lambda: resolve_entities(mentions, everything, relations,
                                                                      whole_stories))

    progress("the blocks' rows, before and after")
    print(_rows_changed(base, everything, base_relations, relations, settings), flush=True)

    equal_stories = incremental.stories == whole_stories
    equal_entities = entities.entities == whole_entities
    all_mentions = sum(len(m) for m in mentions.values())
    progress("done")
    print("| step | side | work | seconds | CPU seconds |")
    print("|---|---|---|---|---|")
    print(f"| stories | whole | {len(everything):,} articles grouped, {len(whole_stories):,} stories built | "
          f"{_seconds(stories_whole_s)} |")
    # Code before the grouping was bounded (stories.statistics) reports no blocks: it grouped every article.
    clustered = getattr(incremental, "articles_clustered", len(everything))
    blocks = getattr(incremental, "blocks_clustered", 0) + getattr(incremental, "blocks_kept", 0)
    in_blocks = (f" in {incremental.blocks_clustered:,} of {blocks:,} blocks" if blocks else "")
    print(f"| stories | incremental | {len(everything):,} articles weighed, {clustered:,} grouped{in_blocks}, "
          f"{incremental.rebuilt:,} stories built, {incremental.reused:,} kept | {_seconds(stories_incremental_s)} |")
    print(f"| stories | grouping alone (both sides run it) | {len(everything):,} articles grouped | {_seconds(grouping_s)} |")
    print(f"| entities | whole | {len(whole_stories):,} stories, {len(mentions):,} articles, {all_mentions:,} mentions "
          f"resolved | {_seconds(entities_whole_s)} |")
    work = entities.work
    print(f"| entities | incremental | {work['stories']:,} stories, {work['articles']:,} articles, "
          f"{work['mentions']:,} mentions resolved; {work['stories kept']:,} stories' clusters kept; "
          f"{work['mentions joined']:,} mentions joined | {_seconds(entities_incremental_s)} |")
    touched = sum(1 for s in whole_stories if set(s.articles) & {d.id for d in added})
    print(f"\nresult: {len(whole_stories):,} stories ({touched:,} hold an added article), "
          f"{len(whole_entities):,} entities; equal to the whole run: stories {equal_stories}, "
          f"entities {equal_entities}")
    return 0 if equal_stories and equal_entities else 1


def _inputs(args: argparse.Namespace) -> tuple[list[Prepared], list[Prepared], list[Relation], list[Relation]]:
    """The prepared articles (base, added) and the relations (the base's, all), made or read back."""
    # The uniform mix keeps the key it was kept under before --arrivals existed.
    made_for = (args.base, args.added, args.common, str(args.ecbplus)) + (
        (args.arrivals,) if args.arrivals != "uniform" else ())
    if args.inputs is not None and args.inputs.exists():
        with args.inputs.open("rb") as kept:
            found = pickle.load(kept)  # a file this benchmark wrote itself
        if found[0] == made_for:
            return found[1]
    if args.cut is not None:
        base, added, base_relations, relations = _cut(args.cut, args.base, args.added)
        return _kept(args, made_for, base, added, base_relations, relations)
    embedder = load_embedder("hashing")
    base_articles, added_articles = articles(args.base, args.added, args.ecbplus, args.common,
                                             arrivals=args.arrivals)
    base = prepare(base_articles, embedder)
    added = prepare(added_articles, embedder)
    base_relations = relate(base, [])
    relations = base_relations + relate(added, base, known=base_relations)
    return _kept(args, made_for, base, added, base_relations, relations)


def _reach(base: list[Prepared], added: list[Prepared], relations: list[Relation], settings: StorySettings) -> str:
    """How far back the added articles reach: the base articles they relate to, and those articles' blocks."""
    added_ids = {doc.id for doc in added}
    day_of = {doc.id: (doc.article.published or "") for doc in base}
    reached = {r.b if r.a in added_ids else r.a for r in relations if (r.a in added_ids) != (r.b in added_ids)}
    days = sorted({(date.fromisoformat(day_of[a]) - FIRST_DAY).days for a in reached if day_of.get(a)})
    blocks = sorted({day // settings.partition_days for day in days})
    return (f"the added articles relate to {len(reached):,} base articles in {len(blocks)} calendar blocks "
            f"(days {days[0] if days else '-'}-{days[-1] if days else '-'})")


def _rows_changed(base: list[Prepared], everything: list[Prepared], base_relations: list[Relation],
                  relations: list[Relation], settings: StorySettings) -> str:
    """Why a block whose rows changed is clustered again whole: how many of its rows changed, and how
    far its rows are joined by shared terms (the only way the stream makes two rows candidates)."""
    def weighed(docs: list[Prepared], among: list[Relation]) -> dict[int, StorySignals]:
        ordered = sorted({d.id: d for d in sorted(docs, key=lambda d: d.id)}.values(), key=article_order_key)
        return {rows.block: rows.signals for rows in block_rows(ordered, among, settings).blocks}

    def row_prints(signals: StorySignals) -> list[bytes]:
        return [signals.ids[i].encode("utf-8") + signals.vectors[i].tobytes()
                + signals.terms[signals.indptr[i]:signals.indptr[i + 1]].tobytes()
                + signals.weights[signals.indptr[i]:signals.indptr[i + 1]].tobytes()
                + signals.first_day[i:i + 1].tobytes() + signals.last_day[i:i + 1].tobytes()
                for i in range(len(signals))]

    before = weighed(base, base_relations)
    after, (_, weighing_cpu) = timed(lambda: weighed(everything, relations))
    changed = rows = same = largest = largest_scan = 0
    for block, signals in after.items():
        prints = row_prints(signals)
        kept = set(row_prints(before[block])) if block in before else set()
        if set(prints) == kept:
            continue
        changed += 1
        rows += len(prints)
        same += sum(1 for p in prints if p in kept)
        largest += _largest_sharing(signals, None)
        largest_scan += _largest_sharing(signals, settings.posting_scan)
    return (f"blocks whose rows changed: {changed} of {len(after)}; their rows {rows:,}, of which unchanged "
            f"{same:,}; the largest group of rows joined by shared terms, summed over those blocks: {largest:,} "
            f"({largest_scan:,} through terms held by at most posting_scan = {settings.posting_scan} rows); "
            f"weighing every block's rows alone: {weighing_cpu:.1f} CPU s")


def _largest_sharing(signals: StorySignals, most: int | None) -> int:
    """The rows of the largest connected group of rows sharing a term (terms held by at most ``most`` rows)."""
    parent = list(range(len(signals)))

    def root(row: int) -> int:
        while parent[row] != row:
            parent[row] = parent[parent[row]]
            row = parent[row]
        return row

    holders: dict[int, list[int]] = defaultdict(list)
    for row in range(len(signals)):
        for term in set(signals.terms[signals.indptr[row]:signals.indptr[row + 1]].tolist()):
            holders[term].append(row)
    for held in holders.values():
        if most is not None and len(held) > most:
            continue
        for other in held[1:]:
            parent[root(other)] = root(held[0])
    sizes: dict[int, int] = defaultdict(int)
    for row in range(len(signals)):
        sizes[root(row)] += 1
    return max(sizes.values(), default=0)


def _kept(args: argparse.Namespace, made_for: tuple, base: list[Prepared], added: list[Prepared],
          base_relations: list[Relation], relations: list[Relation]
          ) -> tuple[list[Prepared], list[Prepared], list[Relation], list[Relation]]:
    if args.inputs is not None:
        with args.inputs.open("wb") as kept:
            pickle.dump((made_for, (base, added, base_relations, relations)), kept)
    return base, added, base_relations, relations


def _cut(larger: Path, n_base: int, n_added: int
         ) -> tuple[list[Prepared], list[Prepared], list[Relation], list[Relation]]:
    """The first articles of a larger run's kept inputs, and the relations among them."""
    with larger.open("rb") as kept:
        _made_for, (base, added, _, relations) = pickle.load(kept)  # a file this benchmark wrote itself
    base, added = base[:n_base], added[:n_added]
    base_ids = {doc.id for doc in base}
    all_ids = base_ids | {doc.id for doc in added}
    return (base, added, [r for r in relations if r.a in base_ids and r.b in base_ids],
            [r for r in relations if r.a in all_ids and r.b in all_ids])


def _resolve_planned(before_keys, kept_clusters, mentions, docs, relations, stories):
    """What the runner does: the plan, the kept clusters read back, only the stories again read (their texts)."""
    articles, keys = story_keys({a: 1 for a in mentions}, stories, relations, doc_ids=[d.id for d in docs])
    plan = plan_resolution(articles, keys, before_keys)
    kept = {story: StoryClusters.from_json(json.loads(kept_clusters[story])) for story in plan.kept}
    wanted = set(plan.articles_again())
    return plan, resolve_planned(plan, kept, mentions, [d for d in docs if d.id in wanted], relations, stories)


if __name__ == "__main__":
    sys.exit(main())
