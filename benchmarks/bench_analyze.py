"""`analyze` end to end on real text: seconds per stage, articles/s, peak memory, and the models' floor.

Two sets:

- ``labelled``: every labelled corpus in ../shared/bench-data concatenated (gva-window,
  fnc1, np4e, mlcrisis, ECB+ train and dev): real lengths, four languages, and the real mix
  of single- and multi-article stories;
- ``10k``: the 10,000 articles ``bench_stories_scale.py --analyze`` makes (about 20
  sentences each, recombined from ECB+ sentences of one of 56 stories), written once under /tmp.

Each measured run is a child process (its peak memory is its own) that ingests the set into a
fresh store and runs ``analyze`` with the default models, loading included. ``--src`` names
the source tree the child imports, so the same run can time the current code beside an older
commit checked out elsewhere (``git worktree add /tmp/old-storyline <commit>``; the
virtualenv's packages are shared)::

    python benchmarks/bench_analyze.py --src /tmp/old-storyline/src --src src [--sets labelled 10k] [--limit N]

``--workers 1 2`` times each tree once per number of processes (``Models(workers=N)``, issue 18
item 3), each a child run, and prints their stages' wall and CPU seconds side by side; the CPU seconds
count the worker processes' too, and the workers' own peak memory (``RUSAGE_CHILDREN`` once the run
has stopped them) is printed beside the parent's::

    python benchmarks/bench_analyze.py --sets labelled 10k --limit 1000 --workers 1 2 --no-floor

The floor is what the two models alone take on the same text, timed in its own child with
this tree's code: the sentence encoder over every distinct sentence and spaCy's English NER
pipeline over every article.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH_DATA = REPO / ".." / "shared" / "bench-data"
CACHE = Path("/tmp/storyline-bench-analyze")
LABELLED = ("gva-window", "fnc1", "np4e", "mlcrisis")
# Corpora whose gold labels are topics spanning years rather than stories (bench-data README).
TOPIC_LABELLED = ("mlcrisis",)
SETS = ("labelled", "10k")
TEN_K = 10_000
WARM_UP_ARTICLES = 40
# The stages after prepare, as ``analyze --until`` names them (kept here: the child imports the tree it times).
ANALYSIS_STAGES = ("reuse", "stories", "entities", "claims", "timeline")


def labelled_files(data: Path) -> list[tuple[Path, str]]:
    """Every article of the labelled corpora with its gold story; ECB+ (JSON Lines) written as one JSON file an article."""
    files: list[tuple[Path, str]] = []
    for name in LABELLED:
        docs = data / name / "docs"
        if docs.is_dir():
            labels = json.loads((data / name / "gold.json").read_text(encoding="utf-8"))["labels"]
            files.extend((p, f"{name}:{labels.get(p.name, p.name)}") for p in sorted(docs.iterdir()))
    ecbplus = data / "ecbplus" / "ecbplus-traindev.jsonl"
    if ecbplus.is_file():
        folder = CACHE / "ecbplus"
        folder.mkdir(parents=True, exist_ok=True)
        for line in ecbplus.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                file = folder / f"{row['doc_id'].replace('/', '_')}.json"
                if not file.exists():
                    file.write_text(json.dumps({"text": row["text"]}), encoding="utf-8")
                files.append((file, f"ecbplus:{row['subtopic']}"))
    return files


def ten_k_files(data: Path, n: int = TEN_K) -> list[Path]:
    """The articles of ``bench_stories_scale.py --analyze`` (same recipe, same seed), written once."""
    folder = CACHE / f"recombined-{n}"
    done = folder / ".complete"
    if not done.exists():
        source = data / "ecbplus" / "ecbplus-traindev.jsonl"
        if not source.is_file():
            raise SystemExit(f"10k: {source} not found, the set's recipe reads it (--data DIR)")
        rows = [json.loads(line) for line in source.read_text(
            encoding="utf-8").splitlines() if line.strip()]
        by_story: dict[str, list[list[str]]] = defaultdict(list)
        for row in rows:
            by_story[row["subtopic"]].append([s for s in row["text"].split("\n") if s.strip()])
        stories = sorted(by_story)
        rng = random.Random(0)
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            story = by_story[stories[i % len(stories)]]
            first, second = rng.choice(story), rng.choice(story)
            sentences = first[:1] + rng.sample(first[1:] + second[1:], min(20, len(first) + len(second) - 2))
            (folder / f"{i:06d}.txt").write_text("\n".join(sentences) + "\n", encoding="utf-8")
        done.touch()
    return sorted(p for p in folder.iterdir() if p.suffix == ".txt")


SAMPLES = ("mix", "whole-stories")


def set_files(name: str, data: Path, limit: int | None, size: int = TEN_K, sample: str = "mix") -> list[Path]:
    """The set's articles, or ``limit`` of them.

    ``mix`` (the default) keeps what the whole set is made of: on the labelled set each corpus its
    share of the articles, taken as whole gold stories in a fixed random order with the last one cut
    to the share (its first articles: a story still arriving), so lengths, languages and story sizes
    stay the whole set's; on the 10k set the recipe's first ``limit`` articles, in the order they arrive.
    ``whole-stories`` is the sample of the figures recorded before 2026-12-04: whole gold stories of
    the labelled set while they fit (it leaves out the long articles of large stories) and a fixed
    random sample of the 10k set.
    """
    if name != "labelled":
        files = ten_k_files(data, size)
        if limit is None or limit >= len(files):
            return files
        return files[:limit] if sample == "mix" else sorted(random.Random(7).sample(files, limit))
    labelled = labelled_files(data)
    if not labelled:  # a wrong --data would otherwise time nothing and print ratios of zeros
        raise SystemExit(f"labelled: no labelled corpus under {data} (--data DIR)")
    if limit is None or limit >= len(labelled):
        return [path for path, _ in labelled]
    by_story: dict[str, list[Path]] = defaultdict(list)
    for path, story in labelled:
        by_story[story].append(path)
    order = random.Random(7).sample(sorted(by_story), len(by_story))
    chosen: list[Path] = []
    if sample == "whole-stories":
        for story in order:
            if len(chosen) + len(by_story[story]) <= limit:
                chosen.extend(by_story[story])
        return sorted(chosen)
    for corpus, share in _corpus_shares(labelled, limit).items():
        stories = [s for s in order if s.startswith(corpus + ":")]
        if corpus in TOPIC_LABELLED:
            # Its labels are topics of 135-150 articles whose lengths differ sixfold: whole topics would
            # make the sample's length depend on which topic came first, so each topic gives its share.
            chosen.extend(_spread(stories, by_story, share))
            continue
        taken: list[Path] = []
        for story in stories:
            taken.extend(by_story[story][: share - len(taken)])
            if len(taken) == share:
                break
        chosen.extend(taken)
    return sorted(chosen)


def _spread(stories: list[str], by_story: dict[str, list[Path]], share: int) -> list[Path]:
    """``share`` articles taken from every one of ``stories`` in proportion to its size, each in a fixed random order."""
    total = sum(len(by_story[story]) for story in stories)
    taken: list[Path] = []
    for index, story in enumerate(stories):
        wanted = round(share * sum(len(by_story[s]) for s in stories[: index + 1]) / total) - len(taken)
        taken.extend(random.Random(7).sample(by_story[story], wanted))
    return taken


def _corpus_shares(labelled: list[tuple[Path, str]], limit: int) -> dict[str, int]:
    """``limit`` articles shared out in proportion to each corpus's size (largest remainders), summing to ``limit``."""
    sizes: dict[str, int] = defaultdict(int)
    for _, story in labelled:
        sizes[story.split(":", 1)[0]] += 1
    exact = {corpus: limit * size / len(labelled) for corpus, size in sizes.items()}
    shares = {corpus: int(value) for corpus, value in exact.items()}
    for corpus in sorted(exact, key=lambda c: shares[c] - exact[c])[: limit - sum(shares.values())]:
        shares[corpus] += 1
    return shares


# --- child processes ----------------------------------------------------------------------------------


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _resident_mb(field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (the peak since the last reset) of this process, from /proc; 0 elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _reset_peak() -> bool:
    """Start the process's peak resident size afresh (Linux's clear_refs "5"), so a stage's peak is its own."""
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
        return True
    except OSError:
        return False


def child_analyze(files: list[Path], until: str | None = None, prepared: Path | None = None,
                  workers: int | None = None) -> dict:
    """``analyze`` over ``files`` in a fresh store, or (``prepared``) over a copy of a store already
    prepared, up to the stage ``until`` (None: every stage), with ``workers`` processes (None: the
    library's default; a tree from before issue11-par has no such setting)."""
    from storyline import pipeline
    from storyline.pipeline import Models, analyze, ingest
    from storyline.store import open_store

    # CPU seconds per stage beside the wall clock: on a shared machine the wall clock measures the others too.
    stage_cpu: dict[str, float] = {}
    # ... of which the worker processes' (issue11-par): the CPU seconds each stage cost in all processes.
    stage_worker_cpu: dict[str, float] = {}
    # Each stage's own peak resident memory (the peak reset as it starts) and what it started from:
    # the whole run's peak says how much, these say which stage holds it.
    stage_peak: dict[str, float] = {}
    stage_start: dict[str, float] = {}
    earlier_peak = [0.0]
    for name, runner in list(pipeline._RUNNERS.items()):
        def timed(store: Any, models: Any, progress: Any, _runner: Any = runner, _name: str = name) -> Any:
            started = time.process_time()
            helper = getattr(models, "helper", None)
            worker_started = helper.cpu_seconds if helper is not None else 0.0
            earlier_peak[0] = max(earlier_peak[0], _resident_mb("VmHWM"))
            resets = _reset_peak()
            stage_start.setdefault(_name, _resident_mb("VmRSS"))
            try:
                return _runner(store, models, progress)
            finally:
                worker = (helper.cpu_seconds if helper is not None else 0.0) - worker_started
                stage_worker_cpu[_name] = stage_worker_cpu.get(_name, 0.0) + worker
                stage_cpu[_name] = stage_cpu.get(_name, 0.0) + time.process_time() - started + worker
                if resets:  # the first run's (the second, over the same store, redoes nothing)
                    stage_peak.setdefault(_name, _resident_mb("VmHWM"))
        pipeline._RUNNERS[name] = timed
    with tempfile.TemporaryDirectory(prefix="storyline-bench-analyze-") as folder:
        if prepared is not None:
            shutil.copyfile(prepared, Path(folder) / "bench.db")
        with open_store(Path(folder) / "bench.db") as store:
            started = time.perf_counter()
            if prepared is None:
                ingest(store, [str(f) for f in files])
            seconds = {"ingest": time.perf_counter() - started}
            models = Models() if workers is None else Models(workers=workers)
            report = analyze(store, models=models, until=until)
            problems = getattr(report, "problems", [])
            seconds.update(report.seconds)
            stories = store.stories()
            helper = getattr(models, "helper", None)
            cpu = time.process_time() + (helper.cpu_seconds if helper is not None else 0.0)
            first_run_cpu = dict(stage_cpu)
            started = time.perf_counter()
            analyze(store, models=models, until=until)  # a second run over the same store should redo nothing
            rerun = time.perf_counter() - started
    whole_peak = max([peak_mb(), _resident_mb("VmHWM"), earlier_peak[0], *stage_peak.values()])
    # The workers were joined when the run ended: their peak is the children's (this process starts no other).
    worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 if helper is not None else 0.0
    return {"articles": len(files), "seconds": seconds, "peak_mb": whole_peak, "workers": workers or 1,
            "worker_peak_mb": worker_peak, "stage_worker_cpu": stage_worker_cpu, "problems": problems,
            "worker_pieces": helper.pieces_parsed if helper is not None else 0,
            "waited_for_workers": helper.waited_seconds if helper is not None else 0.0,
            "stage_peak_mb": stage_peak, "stage_start_mb": stage_start,
            "stories": len(stories), "multi_article_stories": sum(1 for s in stories if len(s.articles) > 1),
            "cpu_seconds": cpu, "rerun_seconds": rerun, "stage_cpu": first_run_cpu,
            "rerun_cpu": sum(stage_cpu.values()) - sum(first_run_cpu.values())}


def child_floor(files: list[Path]) -> dict:
    """The two models alone over the set's text: encoder over every distinct sentence, spaCy over every article."""
    from storyline.embedders import load_embedder
    from storyline.entities import load_nlp
    from storyline.pipeline import ingest
    from storyline.prepare import split_sentences
    from storyline.store import open_store

    with tempfile.TemporaryDirectory(prefix="storyline-bench-floor-") as folder:
        with open_store(Path(folder) / "floor.db") as store:
            ingest(store, [str(f) for f in files])
            texts = [a.text for a in store.articles()]
    sentences = list(dict.fromkeys(s.text for text in texts for s in split_sentences(text)))
    started, cpu = time.perf_counter(), time.process_time()
    load_embedder().encode(sentences)
    embed, embed_cpu = time.perf_counter() - started, time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    nlp = load_nlp()
    for _ in nlp.pipe(texts, batch_size=32):
        pass
    spacy_seconds, spacy_cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"sentences": len(sentences), "embed_seconds": embed, "spacy_seconds": spacy_seconds,
            "embed_cpu": embed_cpu, "spacy_cpu": spacy_cpu}


# --- the parent --------------------------------------------------------------------------------------


def run_child(src: Path, mode: str, set_name: str, args: argparse.Namespace, limit: int | None = None,
              size: int = TEN_K, prepared: Path | None = None, workers: int | None = None) -> dict:
    command = [sys.executable, __file__, "--child", mode, "--sets", set_name, "--data", str(args.data),
               "--size", str(size)]
    if workers is not None:
        command += ["--child-workers", str(workers)]
    if getattr(args, "until", None):
        command += ["--until", args.until]
    if prepared is not None:
        command += ["--prepared", str(prepared)]
    limit = args.limit if limit is None else limit
    if limit is not None:
        command += ["--limit", str(limit), "--sample", args.sample]
    env = dict(os.environ, PYTHONPATH=str(src.resolve()))
    started, load_at_start = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.getloadavg()[0]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"child {mode} {set_name} with {src} failed:\n{done.stderr[-3000:]}")
    result: dict = json.loads(done.stdout.strip().splitlines()[-1])
    # When and under what load: a saved run compared later (--compare-json) says so beside its figures.
    result.update(started=started, finished=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                  load_average=[round(load_at_start, 1), round(os.getloadavg()[0], 1)])
    return result


def print_run(label: str, result: dict) -> None:
    seconds = result["seconds"]
    analysed = sum(v for k, v in seconds.items() if k != "ingest")
    total = analysed + seconds.get("ingest", 0.0)
    print(f"  {label}: {result['articles']:,} articles, {total:.1f} s end to end "
          f"({result['articles'] / total:.2f} articles/s; analyze alone {analysed:.1f} s), "
          f"{result['cpu_seconds']:.0f} CPU s, peak {result['peak_mb']:.0f} MB, {result['stories']:,} stories "
          f"({result['multi_article_stories']:,} with 2+ articles)")
    if "rerun_seconds" in result:
        print(f"    a second run over the same store: {result['rerun_seconds']:.1f} s ({result['rerun_cpu']:.1f} CPU s)")
    if "started" in result:
        print(f"    run {result['started']} to {result['finished']}, load average {result['load_average'][0]} "
              f"at its start, {result['load_average'][1]} at its end")
    if result.get("workers", 1) > 1:
        print(f"    {result['workers']} processes: the workers' own peak {result['worker_peak_mb']:.0f} MB (the parent's "
              f"is the peak above), their CPU s by stage (counted in the CPU s below): "
              + ", ".join(f"{stage} {value:.1f}" for stage, value in result["stage_worker_cpu"].items() if value)
              + f"; they parsed {result['worker_pieces']:,} lines, the parent waited {result['waited_for_workers']:.1f} s "
              "for their parses")
    for problem in result.get("problems", []):
        print(f"    problem: {problem}")
    if "stage_cpu" in result:
        cpu = result["stage_cpu"]
        print(f"    CPU s by stage ({sum(cpu.values()):.1f} in all): "
              + ", ".join(f"{stage} {value:.1f} ({100 * value / sum(cpu.values()):.0f} %)" for stage, value in cpu.items()))
    print("    " + ", ".join(f"{stage} {value:.1f} s ({100 * value / total:.0f} %)" for stage, value in seconds.items()))


def print_speed_up(label_before: str, before: dict, label_after: str, after: dict) -> None:
    wall = sum(before["seconds"].values()) / sum(after["seconds"].values())
    cpu_before, cpu_after = sum(before["stage_cpu"].values()), sum(after["stage_cpu"].values())
    by_stage = ", ".join(f"{stage} {cpu:.1f} -> {after['stage_cpu'].get(stage, 0.0):.1f}"
                         for stage, cpu in before["stage_cpu"].items())
    print(f"  speed-up {label_after} vs {label_before}: {wall:.2f}x wall clock, "
          f"{cpu_before / cpu_after:.2f}x CPU seconds of analyze ({cpu_before:.1f} -> {cpu_after:.1f}; {by_stage})")


def print_side_by_side(runs: dict[str, dict]) -> None:
    """Each stage's wall and CPU seconds in each run, side by side (e.g. one tree with 1 and 2 processes)."""
    labels = list(runs)
    print("    " + f"{'stage':<10}" + "".join(f"{label[-24:]:>26}" for label in labels))
    for stage in runs[labels[0]]["seconds"]:
        cells = []
        for label in labels:
            run = runs[label]
            cpu = run["stage_cpu"].get(stage)
            cells.append(f"{run['seconds'].get(stage, 0.0):7.1f} s {'' if cpu is None else f'{cpu:7.1f} CPU s':>14}")
        print("    " + f"{stage:<10}" + "".join(f"{cell:>26}" for cell in cells))


def saved_runs(path: Path, set_name: str) -> dict[str, dict]:
    """The analyze runs of ``set_name`` in a file written by ``--json`` (the floor left out)."""
    saved = json.loads(path.read_text(encoding="utf-8")).get(set_name, {})
    return {f"{label} (saved in {path.name})": run for label, run in saved.items() if label != "floor"}


def print_saved(args: argparse.Namespace) -> int:
    """Each set's saved runs, in the order of the files given, each compared with the last one (the newest code)."""
    for set_name in args.sets:
        saved = [(label, run) for path in args.compare_json for label, run in saved_runs(path, set_name).items()]
        if not saved:
            print(f"{set_name}: no saved run")
            continue
        print(f"{set_name}: {saved[0][1]['articles']:,} articles")
        for label, run in saved:
            print_run(label, run)
        if len({run["articles"] for _, run in saved}) > 1:
            print("  not compared: the saved runs read different numbers of articles")
            continue
        newest_label, newest = saved[-1]
        for label, run in saved[:-1]:
            print_speed_up(label, run, newest_label, newest)
    return 0


def child_prepare(files: list[Path], out: Path) -> dict:
    """A store of ``files`` ingested and prepared, written to ``out`` (the --until runs start from a copy)."""
    from storyline.pipeline import Models, analyze, ingest
    from storyline.store import open_store

    partial = out.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    with open_store(partial) as store:
        ingest(store, [str(f) for f in files])
        analyze(store, models=Models(), until="prepare")
    partial.rename(out)
    return {"articles": len(files)}


def run_sizes(sources: list[Path], sizes: list[int], args: argparse.Namespace) -> int:
    """``analyze`` over the 10k recipe at each size: what memory and time grow by per article.

    With ``--until``, each size's store is ingested and prepared once (by the last tree) and every
    tree runs the stages after ``prepare`` up to ``until`` on a copy: the stages that hold the
    corpus at once, measured at sizes whose prepare alone would take too long twice.
    """
    if not args.no_warm_up:
        for src in sources:
            run_child(src, "analyze", "10k", args, limit=WARM_UP_ARTICLES)
    for index, src in enumerate(sources):
        results: dict[int, dict] = {}
        print(f"{src}:" + (f" the stages after prepare up to {args.until}, from a store prepared once" if args.until else ""))
        for size in sizes:
            ten_k_files(args.data, size)  # written once here, not timed in the child
            prepared = None
            if args.until:
                prepared = CACHE / f"prepared-{size}.db"
                if not prepared.exists():
                    run_child(sources[-1], "prepare", "10k", args, size=size, prepared=prepared)
            results[size] = run_child(src, "analyze", "10k", args, size=size, prepared=prepared)
            print_run(f"{size:,} articles", results[size])
            print("    peak resident MB by stage (at its start -> its own peak): " + ", ".join(
                f"{stage} {results[size]['stage_start_mb'][stage]:.0f} -> {peak:.0f}"
                for stage, peak in results[size]["stage_peak_mb"].items()))
        print_growth(sizes, results)
        if args.json:
            path = args.json if len(sources) == 1 else args.json.with_name(f"{args.json.stem}-{index + 1}.json")
            path.write_text(json.dumps({"sizes": {str(k): v for k, v in results.items()}}, indent=1), encoding="utf-8")
    return 0


def print_growth(sizes: list[int], results: dict[int, dict]) -> None:
    for smaller, larger in zip(sizes, sizes[1:]):
        low, high = results[smaller], results[larger]
        added = larger - smaller
        print(f"  {smaller:,} -> {larger:,}: peak memory +{1024 * (high['peak_mb'] - low['peak_mb']) / added:.1f} KB "
              f"an added article, CPU s of analyze x{sum(high['stage_cpu'].values()) / sum(low['stage_cpu'].values()):.2f} "
              f"for x{larger / smaller:.2f} the articles")
        if low.get("stage_peak_mb") and high.get("stage_peak_mb"):
            print("    each stage's peak, KB an added article: " + ", ".join(
                f"{stage} {1024 * (high['stage_peak_mb'][stage] - low['stage_peak_mb'][stage]) / added:+.1f}"
                for stage in high["stage_peak_mb"] if stage in low["stage_peak_mb"]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=BENCH_DATA)
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    parser.add_argument("--limit", type=int, help="at most this many articles of each set (a fixed sample)")
    parser.add_argument("--sample", choices=SAMPLES, default="mix",
                        help="how --limit picks: mix (each corpus its share, whole gold stories, the last cut; the 10k "
                             "set's first articles) or whole-stories (the sample of the figures before 2026-12-04)")
    parser.add_argument("--src", type=Path, action="append",
                        help="source tree to time (repeatable: an old commit's src, then this one); default ./src")
    parser.add_argument("--no-floor", action="store_true", help="skip timing the models alone")
    parser.add_argument("--no-warm-up", action="store_true",
                        help="time each tree without first running it on a few articles (numba compiling included)")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--compare-json", type=Path, action="append", default=[],
                        help="a file an earlier run wrote with --json (e.g. the old tree's whole sets, run apart): "
                             "its runs of each set are printed first and compared with this run's (repeatable)")
    parser.add_argument("--saved-only", action="store_true",
                        help="run nothing: print the --compare-json runs of each set, each beside the last one given "
                             "(e.g. the old tree's whole sets and this tree's, each run apart while the other ran)")
    parser.add_argument("--sizes", type=int, nargs="+",
                        help="instead: the 10k set's recipe scaled to each of these sizes, analyze only (no floor): "
                             "peak memory (the whole run's and each stage's own) and CPU seconds per size, and their "
                             "growth per article, for each --src in turn")
    parser.add_argument("--until", choices=ANALYSIS_STAGES,
                        help="with --sizes: stop after this stage, each size's store prepared once and copied for "
                             "each tree (e.g. --until stories: the stages that hold every article)")
    parser.add_argument("--workers", type=int, nargs="+",
                        help="time each tree with each of these numbers of processes (e.g. --workers 1 2), printed "
                             "side by side per stage; default: the library's default (one process)")
    parser.add_argument("--child-workers", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--prepared", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=TEN_K, help=argparse.SUPPRESS)
    parser.add_argument("--child", choices=("analyze", "floor", "prepare"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        files = set_files(args.sets[0], args.data, args.limit, args.size, args.sample)
        if args.child == "prepare":
            result = child_prepare(files, args.prepared)
        elif args.child == "analyze":
            result = child_analyze(files, args.until, args.prepared, args.child_workers)
        else:
            result = child_floor(files)
        print(json.dumps(result))
        return 0
    sources = args.src or [REPO / "src"]
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs")
    if args.until and not args.sizes:
        parser.error("--until goes with --sizes")
    if args.sizes:
        return run_sizes(sources, sorted(args.sizes), args)
    if args.saved_only:
        return print_saved(args)
    everything: dict = {}
    for set_name in args.sets:
        files = set_files(set_name, args.data, args.limit, sample=args.sample)
        print(f"{set_name}: {len(files):,} articles")
        runs = {}
        earlier = {label: run for path in args.compare_json for label, run in saved_runs(path, set_name).items()}
        for label, run in earlier.items():
            if run["articles"] != len(files):
                raise SystemExit(f"{label} ran {run['articles']:,} articles of {set_name}, this run {len(files):,}")
            print_run(label, run)
        labels = []
        for src in sources:
            if not args.no_warm_up:
                # Each tree's numba kernels compiled and cached first: a fresh checkout would otherwise
                # charge seconds of compiling to whichever stage first calls a kernel.
                run_child(src, "analyze", set_name, args, limit=WARM_UP_ARTICLES)
            for workers in args.workers or [None]:
                label = str(src) if workers is None else f"{src} workers={workers}"
                runs[label] = run_child(src, "analyze", set_name, args, workers=workers)
                print_run(label, runs[label])
                labels.append(label)
        if len(labels) > 1:
            print_side_by_side({label: runs[label] for label in labels})
        newest = labels[-1]
        for label, run in list(earlier.items()) + [(label, runs[label]) for label in labels[:-1]]:
            print_speed_up(label, run, newest, runs[newest])
        if not args.no_floor:
            floor = run_child(REPO / "src", "floor", set_name, args)
            runs["floor"] = floor
            print(f"  models alone: sentence encoder {floor['embed_seconds']:.1f} s ({floor['embed_cpu']:.1f} CPU s) over "
                  f"{floor['sentences']:,} distinct sentences, spaCy NER {floor['spacy_seconds']:.1f} s "
                  f"({floor['spacy_cpu']:.1f} CPU s) over every article (floor {floor['embed_seconds'] + floor['spacy_seconds']:.1f} s, "
                  f"{floor['embed_cpu'] + floor['spacy_cpu']:.1f} CPU s)")
        everything[set_name] = runs
        print(f"  load average now: {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
        if args.json:  # after each set: a whole-set run may be stopped before the next set ends
            args.json.write_text(json.dumps(everything, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
