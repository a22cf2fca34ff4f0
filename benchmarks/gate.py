"""The accuracy gate: runs each gated benchmark and fails when a metric is past its floor.

Every file in ``benchmarks/floors/`` is one gated run, in one format::

    {
      "benchmark": "bench_reuse_accuracy.py",          # a script in benchmarks/
      "args": ["--only", "clough", "--clough", "{fixtures}/clough-stevenson"],
      "data": ["{fixtures}/clough-stevenson"],         # the files the metrics were measured on
      "digest": "sha256:...",                          # of those files (names, sizes, contents)
      "ci": true,                                      # false: run only when named with --only
      "metrics": {
        "clough_macro_f1": {"floor": 0.58, "measured": 0.62, "unit": "macro-F1 (0-1)"},
        "bytes_per_doc":   {"ceiling": 1024, "measured": 473, "unit": "bytes/doc"}
      }
    }

``{fixtures}`` is ``benchmarks/fixtures`` (small labelled sets kept in the repo: always
run), ``{bench_data}`` the full sets (``../shared/bench-data`` or ``--bench-data``: a run
that needs them is skipped, and says so, when they are absent), ``{repo}`` the checkout.

The gate runs ``python benchmarks/<benchmark> <args> --metrics-json FILE``; every
benchmark writes a flat JSON object ``{metric name: number}`` there. A run fails when:
the benchmark exits non-zero; a floored metric is missing from its output or not a
number; a value is below its ``floor`` or above its ``ceiling``; or the data's digest
is not the one the floors were measured on (the floors would compare other data).

Lowering a floor is an explicit, reviewed edit of its file. ``--record`` re-measures
and writes ``measured`` and ``digest`` (never a floor): run it when the data changes,
and review the diff.

Usage::

    python benchmarks/gate.py [--bench-data DIR] [--only NAME ...] [--record] [--list]

Exit status: 0 all gated runs kept their floors, 1 a floor was broken, 2 usage errors.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FLOORS = HERE / "floors"
FIXTURES = HERE / "fixtures"
DEFAULT_BENCH_DATA = REPO / ".." / "shared" / "bench-data"
LIMIT_KEYS = ("floor", "ceiling")


@dataclass
class Gated:
    """One floors file: a benchmark run and the limits on its metrics."""

    name: str
    path: Path
    spec: dict[str, Any]

    @property
    def needs_bench_data(self) -> bool:
        return any("{bench_data}" in item for item in [*self.spec.get("args", []), *self.spec.get("data", [])])


@dataclass
class Outcome:
    name: str
    status: str  # "kept", "broken", "skipped"
    lines: list[str] = field(default_factory=list)


def load_floors(folder: Path = FLOORS) -> list[Gated]:
    """Every floors file, checked for the format; a malformed file is a usage error (exit 2)."""
    gated = []
    for path in sorted(folder.glob("*.json")):
        spec = json.loads(path.read_text(encoding="utf-8"))
        problems = format_problems(spec)
        if problems:
            raise SystemExit(f"gate: {path}: {'; '.join(problems)}")
        gated.append(Gated(path.stem, path, spec))
    return gated


def format_problems(spec: Any) -> list[str]:
    """What is wrong with a floors file's format (empty when nothing is)."""
    if not isinstance(spec, dict):
        return ["not a JSON object"]
    problems = [f"missing {key!r}" for key in ("benchmark", "args", "data", "digest", "metrics") if key not in spec]
    for name, metric in (spec.get("metrics") or {}).items():
        if not isinstance(metric, dict):
            problems.append(f"metric {name!r} is not an object")
            continue
        limits = [key for key in LIMIT_KEYS if key in metric]
        if len(limits) != 1 or not isinstance(metric[limits[0]], (int, float)):
            problems.append(f"metric {name!r} needs exactly one numeric 'floor' or 'ceiling'")
        if not metric.get("unit"):
            problems.append(f"metric {name!r} needs a 'unit'")
    return problems


def expand(text: str, bench_data: Path) -> str:
    return text.replace("{fixtures}", str(FIXTURES)).replace("{bench_data}", str(bench_data)).replace(
        "{repo}", str(REPO))


def data_digest(paths: Sequence[Path]) -> str:
    """sha256 over each data file's path (relative to its root), size and contents, in sorted order."""
    digest = hashlib.sha256()
    for root in paths:
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for file in files:
            relative = file.relative_to(root).as_posix() if root.is_dir() else file.name
            digest.update(f"{relative}\0{file.stat().st_size}\0".encode())
            with file.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return f"sha256:{digest.hexdigest()}"


def check_metrics(limits: dict[str, dict[str, Any]], measured: Any) -> list[str]:
    """One line per broken limit; a metric missing from the output or not a number is broken."""
    if not isinstance(measured, dict):
        return ["the benchmark's --metrics-json output is not a JSON object"]
    broken = []
    for name, limit in limits.items():
        value = measured.get(name)
        unit = limit["unit"]
        if name not in measured:
            broken.append(f"{name}: missing from the benchmark's output (limit {_limit_text(limit)} {unit})")
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            broken.append(f"{name}: not a number ({value!r})")
        elif "floor" in limit and value < limit["floor"]:
            broken.append(f"{name}: {value:.4g} {unit} is below its floor {limit['floor']} {unit}")
        elif "ceiling" in limit and value > limit["ceiling"]:
            broken.append(f"{name}: {value:.4g} {unit} is above its ceiling {limit['ceiling']} {unit}")
    return broken


def _limit_text(limit: dict[str, Any]) -> str:
    return f">= {limit['floor']}" if "floor" in limit else f"<= {limit['ceiling']}"


def run_benchmark(gated: Gated, bench_data: Path) -> tuple[Optional[dict], str]:
    """(metrics, "") from one run of the benchmark, or (None, why it failed)."""
    script = HERE / gated.spec["benchmark"]
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "metrics.json"
        command = [sys.executable, str(script), *(expand(a, bench_data) for a in gated.spec["args"]),
                   "--metrics-json", str(output)]
        print(f"gate: {gated.name}: {' '.join(command[1:])}", flush=True)
        done = subprocess.run(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if done.returncode != 0:
            tail = "\n".join(done.stdout.splitlines()[-15:])
            return None, f"{gated.spec['benchmark']} exited {done.returncode}:\n{tail}"
        if not output.exists():
            return None, f"{gated.spec['benchmark']} wrote no --metrics-json file"
        try:
            return json.loads(output.read_text(encoding="utf-8")), ""
        except json.JSONDecodeError as error:
            return None, f"{gated.spec['benchmark']} wrote malformed --metrics-json: {error}"


def gate_one(gated: Gated, bench_data: Path, *, record: bool = False) -> Outcome:
    data = [Path(expand(item, bench_data)) for item in gated.spec["data"]]
    missing = [str(path) for path in data if not path.exists()]
    if missing:
        if gated.needs_bench_data:
            return Outcome(gated.name, "skipped", [f"no bench data ({', '.join(missing)})"])
        return Outcome(gated.name, "broken", [f"its data is missing from the repo: {', '.join(missing)}"])
    digest = data_digest(data)
    if digest != gated.spec["digest"] and not record:
        return Outcome(gated.name, "broken", [
            f"the data is not what the floors were measured on (digest {digest[:19]}…, floors "
            f"{str(gated.spec['digest'])[:19]}…): re-measure with `gate.py --record --only {gated.name}` and review"])
    measured, failure = run_benchmark(gated, bench_data)
    if measured is None:
        return Outcome(gated.name, "broken", [failure])
    if record:
        gated.spec["digest"] = digest
        for name, limit in gated.spec["metrics"].items():
            if isinstance(measured.get(name), (int, float)):
                limit["measured"] = round(float(measured[name]), 4)
        gated.path.write_text(json.dumps(gated.spec, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    broken = check_metrics(gated.spec["metrics"], measured)
    kept = [f"{name}: {measured[name]:.4g} {limit['unit']} ({_limit_text(limit)})"
            for name, limit in gated.spec["metrics"].items() if not any(b.startswith(f"{name}:") for b in broken)]
    return Outcome(gated.name, "broken" if broken else "kept", broken + kept)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench-data", type=Path, default=DEFAULT_BENCH_DATA,
                        help="the full labelled sets (default ../shared/bench-data); runs needing them are skipped "
                             "when absent")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="gate only these floors files (by name)")
    parser.add_argument("--record", action="store_true",
                        help="write the measured values and the data digest into the floors files (never a floor)")
    parser.add_argument("--list", action="store_true", help="list the gated runs and exit")
    args = parser.parse_args(argv)
    everything = load_floors()
    if args.only:
        unknown = set(args.only) - {g.name for g in everything}
        if unknown:
            parser.error(f"no floors file named {', '.join(sorted(unknown))}; see --list")
        chosen = [g for g in everything if g.name in args.only]
    else:
        chosen = [g for g in everything if g.spec.get("ci", True)]
    if args.list:
        for gated in everything:
            where = "bench-data" if gated.needs_bench_data else ("repo fixtures" if gated.spec["data"] else "generated data")
            ci = "" if gated.spec.get("ci", True) else ", not in CI"
            print(f"{gated.name}: {gated.spec['benchmark']} on {where}{ci}, {len(gated.spec['metrics'])} metrics")
        return 0
    outcomes = [gate_one(gated, args.bench_data, record=args.record) for gated in chosen]
    for outcome in outcomes:
        print(f"{outcome.status.upper():8} {outcome.name}")
        for line in outcome.lines:
            print(f"         {line}")
    broken = [o.name for o in outcomes if o.status == "broken"]
    kept = sum(o.status == "kept" for o in outcomes)
    skipped = sum(o.status == "skipped" for o in outcomes)
    print(f"gate: {kept} kept, {len(broken)} broken, {skipped} skipped" + (f" ({', '.join(broken)})" if broken else ""))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
