"""The accuracy gate (benchmarks/gate.py): one floor format; missing metrics and changed data fail."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import gate  # noqa: E402  (benchmarks/ is not a package)


def _floors(tmp_path: Path, metrics: dict, writes: dict, data_text: str = "labelled data\n") -> gate.Gated:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "gold.txt").write_text(data_text)
    script = tmp_path / "bench_fake.py"
    script.write_text(
        "import json, sys\n"
        "out = sys.argv[sys.argv.index('--metrics-json') + 1]\n"
        f"json.dump({writes!r}, open(out, 'w'))\n"
    )
    spec = {"benchmark": str(script), "args": [], "data": [str(data)],
            "digest": gate.data_digest([tmp_path / "data"]), "metrics": metrics}
    path = tmp_path / "fake.json"
    path.write_text(json.dumps(spec))
    return gate.Gated("fake", path, spec)


def test_a_kept_floor_passes(tmp_path: Path) -> None:
    gated = _floors(tmp_path, {"f1": {"floor": 0.5, "unit": "F1"}, "ms": {"ceiling": 10, "unit": "ms"}},
                    {"f1": 0.7, "ms": 3})
    outcome = gate.gate_one(gated, tmp_path)
    assert outcome.status == "kept", outcome.lines


def test_a_metric_below_its_floor_or_above_its_ceiling_breaks_the_gate(tmp_path: Path) -> None:
    gated = _floors(tmp_path, {"f1": {"floor": 0.8, "unit": "F1"}, "ms": {"ceiling": 1, "unit": "ms"}},
                    {"f1": 0.7, "ms": 3})
    outcome = gate.gate_one(gated, tmp_path)
    assert outcome.status == "broken"
    assert any("below its floor" in line for line in outcome.lines)
    assert any("above its ceiling" in line for line in outcome.lines)


def test_a_metric_missing_from_the_output_breaks_the_gate(tmp_path: Path) -> None:
    gated = _floors(tmp_path, {"f1": {"floor": 0.5, "unit": "F1"}, "recall": {"floor": 0.5, "unit": "recall"}},
                    {"f1": 0.9})
    outcome = gate.gate_one(gated, tmp_path)
    assert outcome.status == "broken" and any("recall: missing" in line for line in outcome.lines)


def test_floors_measured_on_other_data_break_the_gate(tmp_path: Path) -> None:
    gated = _floors(tmp_path, {"f1": {"floor": 0.5, "unit": "F1"}}, {"f1": 0.9})
    (tmp_path / "data" / "gold.txt").write_text("someone edited the gold labels\n")
    outcome = gate.gate_one(gated, tmp_path)
    assert outcome.status == "broken" and "not what the floors were measured on" in outcome.lines[0]


def test_record_writes_measured_values_and_the_digest_never_a_floor(tmp_path: Path) -> None:
    gated = _floors(tmp_path, {"f1": {"floor": 0.5, "unit": "F1"}}, {"f1": 0.9})
    (tmp_path / "data" / "gold.txt").write_text("new data\n")
    outcome = gate.gate_one(gated, tmp_path, record=True)
    saved = json.loads(gated.path.read_text())
    assert outcome.status == "kept"
    assert saved["metrics"]["f1"] == {"floor": 0.5, "unit": "F1", "measured": 0.9}
    assert saved["digest"] == gate.data_digest([tmp_path / "data"])


def test_a_run_needing_bench_data_is_skipped_without_it(tmp_path: Path) -> None:
    spec = {"benchmark": "bench_entities.py", "args": [], "data": ["{bench_data}/ecbplus"], "digest": "sha256:x",
            "metrics": {"f1": {"floor": 0.5, "unit": "F1"}}}
    outcome = gate.gate_one(gate.Gated("e", tmp_path / "e.json", spec), tmp_path / "absent")
    assert outcome.status == "skipped"


@pytest.mark.parametrize("spec, problem", [
    ({"benchmark": "b.py", "args": [], "data": [], "digest": "", "metrics": {"f1": {"floor": 0.5}}}, "unit"),
    ({"benchmark": "b.py", "args": [], "data": [], "digest": "", "metrics": {"f1": {"unit": "F1"}}}, "floor"),
    ({"benchmark": "b.py", "args": [], "data": [], "metrics": {}}, "digest"),
])
def test_the_floor_format_is_checked(spec: dict, problem: str) -> None:
    assert any(problem in line for line in gate.format_problems(spec))


def test_every_floors_file_in_the_repo_has_the_format_and_its_repo_data() -> None:
    for gated in gate.load_floors():
        assert not gate.format_problems(gated.spec), gated.name
        if not gated.needs_bench_data and gated.spec["data"]:
            data = [Path(gate.expand(item, Path("/nonexistent"))) for item in gated.spec["data"]]
            assert gate.data_digest(data) == gated.spec["digest"], f"{gated.name}: fixtures changed, re-record"
