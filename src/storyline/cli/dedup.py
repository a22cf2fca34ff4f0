"""``storyline dedup``: near-duplicate documents across a corpus, with MinHash only (no models, no store)."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Optional, TextIO

import click
import numba

from ..dedup import DEFAULT_THRESHOLD, Corpus, DedupResult, find_near_duplicates, read_corpus
from ..fingerprint import NUM_PERM, lsh_bands
from ..model import Skipped
from ..printable import one_line
from ._common import EXIT_OK, EXIT_SKIPPED, Fatal, cli, quiet_option


def _threshold(context: click.Context, parameter: click.Parameter, value: float) -> float:
    try:
        lsh_bands(value, NUM_PERM)
    except ValueError as error:
        raise click.BadParameter(str(error), ctx=context, param=parameter) from error
    return value


@cli.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--threshold", default=DEFAULT_THRESHOLD, show_default=True, type=float, callback=_threshold,
              help="Report pairs whose estimated Jaccard similarity of word 5-grams is at least this (0-1).")
@click.option("--jsonl", "jsonl_path", metavar="FILE",
              help='Write one JSON object per pair, {"a", "b", "similarity"}, to FILE (\'-\' for stdout).')
@quiet_option
def dedup(paths: tuple[str, ...], threshold: float, jsonl_path: Optional[str], quiet: bool) -> None:
    """Find near-duplicate documents in files, directories and JSON Lines files.

    Documents are named by their JSON Lines "id" (else FILE:LINE) or by their path.
    Candidate pairs from MinHash LSH are checked against their estimated similarity
    before they are grouped, so a chain of chance collisions never joins unrelated
    documents. Prints the groups (with --quiet, only the summary); exits 1 when some
    input was skipped.

    \b
    Example:
      storyline dedup articles/ dump.jsonl --threshold 0.6 --jsonl pairs.jsonl
    """
    started = time.perf_counter()
    _skip_blas_probe()
    _prefer_workqueue_threads()

    def on_skip(item: Skipped) -> None:
        # One unwrapped line per input, shown even with --quiet, so it can be grepped.
        click.echo(f"skipped {one_line(item.source)}: {one_line(item.reason)}", err=True)

    corpus = read_corpus(paths, on_skip=on_skip)
    result = find_near_duplicates(corpus.signatures, threshold, usable=corpus.usable())
    names = _Names(corpus)
    if jsonl_path:
        _write_pairs(result, names, jsonl_path)
    if not quiet and jsonl_path != "-":
        _print_groups(result, names, sys.stdout)
    documents = int(corpus.usable().sum())
    in_groups = sum(len(group) for group in result.groups)
    summary = (f"{_count(documents, 'document')} read, {len(corpus.skipped):,} skipped: "
               f"{_count(len(result.pairs), 'pair')} with similarity >= {threshold:g} in "
               f"{_count(len(result.groups), 'group')} ({_count(in_groups, 'document')}); "
               f"{result.bands} bands x {result.rows} rows, {time.perf_counter() - started:.1f} s")
    click.echo(summary, err=jsonl_path == "-")
    if corpus.skipped:
        click.echo(f"skipped {len(corpus.skipped)} input(s); the rest were read", err=True)
    sys.exit(EXIT_SKIPPED if corpus.skipped else EXIT_OK)


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _prefer_workqueue_threads() -> None:
    """Use numba's own thread pool rather than OpenMP's for the parallel kernels.

    OpenMP threads spin between parallel blocks, taking CPU from the Python work in
    between (on a 2-vCPU machine, the same physical core): a 100k-document run took 15%
    less CPU with the workqueue pool. NUMBA_THREADING_LAYER, when set, still decides.
    """
    if "NUMBA_THREADING_LAYER" not in os.environ:
        # numba.config's settings are set at import from the environment, so its stubs do not declare them.
        setattr(numba.config, "THREADING_LAYER", "workqueue")  # noqa: B010


def _skip_blas_probe() -> None:
    """Keep numba from importing scipy.linalg when it first loads a compiled function.

    numba looks for a BLAS once per process by importing ``scipy.linalg`` (0.3 s or more
    here, a tenth of a 100k-document run) when scipy is installed; the dedup kernels use
    no BLAS. The probe is made to find none, then scipy is importable again as usual.
    This process runs only this command, so nothing else sees the difference.
    """
    if "numba.np.arraymath" in sys.modules or "scipy.linalg" in sys.modules:
        return
    blocked = "scipy.linalg.cython_blas"
    sys.modules[blocked] = None  # type: ignore[assignment]  # None makes the import fail
    try:
        import numba.np.arraymath  # noqa: F401
    finally:
        del sys.modules[blocked]


class _Names:
    """Document names, made once per row that is printed."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.cache: dict[int, str] = {}

    def __call__(self, row: int) -> str:
        name = self.cache.get(row)
        if name is None:
            name = self.cache[row] = self.corpus.name(row)
        return name


def _write_pairs(result: DedupResult, names: _Names, path: str) -> None:
    as_json: dict[int, str] = {}

    def quoted(row: int) -> str:
        text = as_json.get(row)
        if text is None:
            text = as_json[row] = json.dumps(names(row), ensure_ascii=False)
        return text

    lines = (f'{{"a": {quoted(a)}, "b": {quoted(b)}, "similarity": {round(float(similarity), 4)}}}\n'
             for (a, b), similarity in zip(result.pairs.tolist(), result.similarities.tolist()))
    if path == "-":
        sys.stdout.writelines(lines)
        return
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.writelines(lines)
    except OSError as error:
        raise Fatal(f"{path}: {error.strerror or error}") from error


def _print_groups(result: DedupResult, names: _Names, out: TextIO) -> None:
    best: dict[int, float] = {}
    for (a, b), similarity in zip(result.pairs.tolist(), result.similarities.tolist()):
        best[a] = max(best.get(a, 0.0), similarity)
        best[b] = max(best.get(b, 0.0), similarity)
    lines = []
    for number, group in enumerate(result.groups, start=1):
        lines.append(f"group {number}: {len(group)} documents")
        # Each member with its highest similarity to another member of the group.
        lines.extend(f"  {best[row]:.2f}  {names(row)}" for row in group)
    if lines:
        out.write("\n".join(lines) + "\n")
