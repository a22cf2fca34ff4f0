"""Helper processes for a run's spaCy work, so ``analyze`` uses more than one CPU (issue 18, item 3).

Every model runs one thread on purpose (see ``pipeline._one_blas_thread``): a second BLAS or
onnxruntime thread spins on the small products of news lines. A second *process* instead gets
whole batches of lines: :meth:`storyline.entities.cached_pipeline.CachedPipeline._run` hands a
share of a big call's lines to a worker, parses the rest itself, and reads the worker's parses
back as :func:`~storyline.entities.cached_pipeline.encode_parse` bytes. Each line is parsed alone
in either process, so a parse is the same whichever process made it (tests/test_workers.py
compares the bytes of every line of a fixture corpus).

A worker is a fresh interpreter running :func:`serve_pipe`: not a fork (the parent holds onnxruntime's
and SQLite's threads and locks, which a forked child would copy mid-use), nor multiprocessing's
``spawn`` (which runs the parent's main script again in the child: a user's script without a main
guard would run twice). It builds each pipeline itself from a :class:`ParseRecipe` (the loader
the parent used, by reference, and the same components disabled), so a pipeline whose loader
cannot be pickled (a lambda registered with ``register_ner``) is simply parsed in the parent. It
starts on the first big call and loads while the parent goes on parsing alone; the parent hands
it work once it says it is ready. It runs in a session of its own, so Ctrl-C interrupts only the
parent, which stops its workers (:func:`storyline.pipeline.analyze` does, on any exit); a worker
whose parent died sees its pipe close and exits. Its stderr goes to a temporary file whose last
line a problem quotes: no worker's traceback reaches the terminal.

Anything wrong with a worker (it cannot start, cannot load a model, or dies) is said once in
:attr:`ModelHelper.problems`, and the run goes on in one process with the same answers.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

# Below this many characters a call is parsed in the parent alone: sending the lines and reading their
# parses back costs more than the worker saves (a few thousand characters parse in tens of milliseconds).
MIN_SHARED_CHARS = 4_000
# Seconds a stopping worker gets to finish and exit before it is terminated.
STOP_GRACE = 5.0


@dataclass(frozen=True)
class ModelRecipe:
    """How a process builds a model: ``load()`` returns it; ``disabled`` names spaCy components then disabled.

    ``kind`` is what the worker does with it: "spacy" (a pipeline whose lines it parses) or "encoder" (a
    sentence encoder with ``encode_chunk``, see :mod:`storyline.embedders`).
    """

    load: Callable[[], Any]
    disabled: tuple[str, ...] = ()
    kind: str = "spacy"

    def build(self) -> Any:
        model = self.load()
        if self.disabled:
            model.select_pipes(disable=list(self.disabled))
        return model


def shareable(recipe: ModelRecipe) -> Optional[bytes]:
    """``recipe`` as bytes a worker can read, or None when its loader cannot be sent (a lambda, a closure)."""
    try:
        return pickle.dumps(recipe)
    except (pickle.PicklingError, AttributeError, TypeError):
        return None


class SharesWork:
    """A model whose big calls may hand part of their work to a :class:`ModelHelper`'s workers."""

    # The worker processes, and how they build this model (None: this process does all the work).
    helper: Optional["ModelHelper"] = None
    recipe: Optional[bytes] = None

    def share_with(self, helper: Optional["ModelHelper"], recipe: Optional[ModelRecipe]) -> None:
        """Let ``helper``'s workers do part of each big call, building this model from ``recipe``."""
        self.helper = helper
        self.recipe = shareable(recipe) if helper is not None and recipe is not None else None


def default_workers() -> int:
    """Two processes where the machine has two CPUs or more (see BENCHMARKS.md, branch issue11-par), else one."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def character_shares(lengths: Sequence[float], weights: Sequence[float]) -> list[int]:
    """Where to cut consecutive items of these lengths into runs whose characters are in the ratio of ``weights``.

    A line's parse costs about its length, so a process's share of the characters is its share of the time.
    """
    total, whole = sum(lengths), sum(weights)
    targets = [total * sum(weights[:k + 1]) / whole for k in range(len(weights) - 1)]
    cuts: list[int] = []
    running = 0.0
    for index, length in enumerate(lengths):
        if len(cuts) == len(targets):
            break
        running += length
        while len(cuts) < len(targets) and running >= targets[len(cuts)]:
            cuts.append(index + 1)
    while len(cuts) < len(targets):
        cuts.append(len(lengths))
    return cuts


@dataclass
class _Worker:
    process: subprocess.Popen
    connection: Any
    errors: Any  # the temporary file its stderr goes to
    # What each request sent and not yet answered was: ("load", recipe id), or ("work", None) for a share.
    waiting: deque[tuple[str, Optional[int]]] = field(default_factory=deque)
    loaded: set[int] = field(default_factory=set)
    cpu_seconds: float = 0.0
    peak_mb: float = 0.0
    busy_seconds: float = 0.0  # what its last request took it


class WorkerLost(Exception):
    """A worker that died, or answered with an error: its share is done in the parent."""


class ModelHelper:
    """``processes`` worker processes for one run's model work, started on first need and stopped by :meth:`close`."""

    def __init__(self, processes: int = 1, *, wait: bool = False) -> None:
        self.processes = processes
        # Wait for the workers to load before the first share, instead of working alone meanwhile: for tests
        # that must see the workers used on a small corpus.
        self.wait = wait
        self._workers: list[_Worker] = []
        self._recipes: dict[bytes, int] = {}
        self._broken = False
        self.problems: list[str] = []
        # The interpreter a worker runs in: this one.
        self.python = sys.executable
        # For benchmarks and tests: the workers' CPU seconds and peak memory (stopped workers' included),
        # and how much work they did.
        self.finished_cpu_seconds = 0.0
        self.finished_peak_mb = 0.0
        self.items_done = {"parse": 0, "encode": 0}  # lines parsed, chunks of sentences encoded
        # Seconds the parent waited for a worker's share after doing its own.
        self.waited_seconds = 0.0
        # Work a second each side does, per kind of work, as last seen (smoothed): the two differ (a hyperthread,
        # other work on the machine), and shares in their ratio leave neither waiting for the other.
        self._speeds: dict[str, tuple[float, float]] = {}

    @property
    def pieces_parsed(self) -> int:
        return self.items_done["parse"]

    def weights(self, kind: str, workers: int) -> list[float]:
        """Each worker's share of a call's work, then the parent's, in the ratio of their speeds."""
        worker, parent = self._speeds.get(kind, (1.0, 1.0))
        return [worker] * workers + [parent]

    def observe(self, kind: str, worker: _Worker, worker_work: float, parent_work: float,
                parent_seconds: float) -> None:
        """Learn each side's speed from a call: ``worker``'s share took it its reported time, the parent's its own."""
        if worker.busy_seconds <= 0 or parent_seconds <= 0 or not worker_work or not parent_work:
            return
        seen = (worker_work / worker.busy_seconds, parent_work / parent_seconds)
        known = self._speeds.get(kind)
        # Smoothed: one call's time is noisy (a long line, the machine's other work).
        self._speeds[kind] = seen if known is None else (0.5 * (known[0] + seen[0]), 0.5 * (known[1] + seen[1]))

    @property
    def cpu_seconds(self) -> float:
        return self.finished_cpu_seconds + sum(worker.cpu_seconds for worker in self._workers)

    @property
    def peak_mb(self) -> float:
        return max([self.finished_peak_mb] + [worker.peak_mb for worker in self._workers])

    def take_problems(self) -> list[str]:
        """What went wrong since last asked (each said once)."""
        problems, self.problems = self.problems, []
        return problems

    def alive(self) -> list[int]:
        """The process ids of the workers running now."""
        return [worker.process.pid for worker in self._workers if worker.process.poll() is None]

    def ready_workers(self, recipe: bytes) -> list[_Worker]:
        """The idle workers that hold ``recipe``'s model now; starts them and has them load it when none does.

        Unless ``wait``, never waits for a worker to load: a call while they load is parsed in the parent alone.
        """
        if self._broken:
            return []
        if not self._workers and not self._start():
            return []
        recipe_id = self._recipes.setdefault(recipe, len(self._recipes))
        ready = []
        for worker in list(self._workers):
            try:
                self._take_answers(worker, block=False)
                if recipe_id not in worker.loaded and ("load", recipe_id) not in worker.waiting:
                    worker.connection.send(("load", recipe_id, recipe))
                    worker.waiting.append(("load", recipe_id))
                if self.wait:
                    self._take_answers(worker, block=True)
                # Only an idle worker: one still loading another model would hold the share until it is done.
                if recipe_id in worker.loaded and not worker.waiting:
                    ready.append(worker)
            except (OSError, ValueError) as error:
                self._lose(_gone(worker, error))
                return []
            except WorkerLost as lost:
                self._lose(str(lost))
                return []
        return ready

    def send(self, worker: _Worker, kind: str, recipe: bytes, *work: Any) -> bool:
        """Send ``worker`` a share of ``kind`` work ("parse": order, texts, batch size; "encode": chunks)."""
        try:
            worker.connection.send((kind, self._recipes[recipe], *work))
        except (OSError, ValueError) as error:
            self._lose(_gone(worker, error))
            return False
        worker.waiting.append(("work", None))
        return True

    def result(self, worker: _Worker, kind: str) -> Optional[list[Any]]:
        """What ``worker`` made of the share it was last sent, in order; None if it died or failed."""
        started = time.perf_counter()
        try:
            answer = self._take_answers(worker, block=True)
            self.waited_seconds += time.perf_counter() - started
        except WorkerLost as lost:
            self._lose(str(lost))
            return None
        self.items_done[kind] += len(answer)
        return list(answer)

    def close(self) -> None:
        """Stop every worker: an idle one exits when told; one still loading a model is terminated (the run is
        over: waiting for it would only add its loading time to a short run)."""
        workers, self._workers = self._workers, []
        for worker in workers:
            if worker.waiting:
                worker.process.terminate()
                continue
            try:
                worker.connection.send(None)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + STOP_GRACE
        for worker in workers:
            self._collect(worker, deadline)

    def abort(self) -> None:
        """Stop every worker now (the run failed or was interrupted: what they do is not wanted)."""
        workers, self._workers = self._workers, []
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.terminate()
        for worker in workers:
            self._collect(worker, time.monotonic() + STOP_GRACE)

    # --- inside ---------------------------------------------------------------------------------------

    def _start(self) -> bool:
        # The worker imports the storyline the parent runs, wherever that came from.
        source = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")])))
        try:
            for _ in range(self.processes):
                parent_end, child_end = Pipe()
                errors = tempfile.TemporaryFile()
                try:
                    process = subprocess.Popen(
                        # Not `-m storyline.workers`: the package imports this module first, and running it
                        # again as __main__ would make a second copy of it.
                        [self.python, "-c", "import sys; from storyline.workers import serve_pipe; "
                         "serve_pipe(int(sys.argv[1]))", str(child_end.fileno())],
                        pass_fds=(child_end.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                        stderr=errors, env=env, start_new_session=True)
                except BaseException:
                    parent_end.close()
                    errors.close()
                    raise
                finally:
                    child_end.close()
                self._workers.append(_Worker(process, parent_end, errors))
        except (OSError, ValueError, subprocess.SubprocessError) as error:
            self._lose(f"the model worker could not start ({error})")
            return False
        return True

    def _take_answers(self, worker: _Worker, block: bool) -> Any:
        """Read ``worker``'s answers in order; blocking: up to the parse it was sent, which is returned."""
        while worker.waiting:
            try:
                if not block and not worker.connection.poll(0):
                    return None
                answer = worker.connection.recv()
            except (EOFError, OSError) as error:
                raise WorkerLost(_gone(worker, error)) from None
            kind, recipe_id = worker.waiting.popleft()
            status, payload, worker.cpu_seconds, worker.peak_mb, worker.busy_seconds = answer
            if status != "ok":
                raise WorkerLost(f"the model worker failed: {payload}")
            if kind == "load":
                assert recipe_id is not None
                worker.loaded.add(recipe_id)
            elif block:
                return payload
        return None

    def _lose(self, problem: str) -> None:
        """Say once what went wrong, stop the workers, and do all the work in the parent for the rest of the run."""
        if not self._broken:
            self.problems.append(f"{problem}: the run went on in one process")
        self._broken = True
        self.abort()

    def _collect(self, worker: _Worker, deadline: float) -> None:
        for stop in (None, worker.process.terminate, worker.process.kill):
            if stop is not None:
                stop()
            try:
                worker.process.wait(max(0.0, deadline - time.monotonic()) if stop is None else STOP_GRACE)
                break
            except subprocess.TimeoutExpired:
                continue
        worker.connection.close()
        worker.errors.close()
        self.finished_cpu_seconds += worker.cpu_seconds
        self.finished_peak_mb = max(self.finished_peak_mb, worker.peak_mb)


def share_out(helper: Optional[ModelHelper], recipe: Optional[bytes], kind: str, items: list[Any],
              costs: Sequence[float], here: Callable[[list[Any]], list[Any]], request: Callable[[list[Any]], tuple],
              read: Callable[[list[Any]], Optional[list[Any]]] = lambda answer: answer) -> list[Any]:
    """``here(items)``, with a share of ``items`` (consecutive, ``costs`` in the ratio of each side's speed) done by
    the helper's ready workers meanwhile: ``request(share)`` is what a worker is sent, ``read(answer)`` its
    results as ``here`` gives them (None: unreadable). A share a worker fails is done here; the order is kept.
    """
    workers = helper.ready_workers(recipe) if helper is not None and recipe is not None else []
    if helper is None or recipe is None or not workers:
        return here(items)
    cuts = [0] + character_shares(costs, helper.weights(kind, len(workers)))
    shares = [items[start:end] for start, end in zip(cuts, cuts[1:] + [len(items)])]
    sent = [worker for worker, share in zip(workers, shares) if share and helper.send(worker, kind, recipe, *request(share))]
    if len(sent) < sum(1 for share in shares[:-1] if share):  # one could not be sent: every share is done here
        for worker in sent:
            helper.result(worker, kind)
        return here(items)
    # The parent's share is the last: it does it while the workers do theirs, then reads their results.
    started = time.perf_counter()
    done_here = here(shares[-1])
    parent_seconds = time.perf_counter() - started
    theirs: list[Any] = []
    for worker, share in zip(workers, shares):
        if not share:
            continue
        answer = helper.result(worker, kind)
        started = time.perf_counter()
        results = read(answer) if answer is not None and len(answer) == len(share) else None
        if results is None:
            results = here(share)
        else:  # reading is the parent's part of the worker's share
            parent_seconds += time.perf_counter() - started
        theirs.extend(results)
    parent_cost = sum(costs[cuts[-1]:])
    for worker, start, end in zip(workers, cuts, cuts[1:]):
        helper.observe(kind, worker, sum(costs[start:end]), parent_cost, parent_seconds)
    return theirs + done_here


def _gone(worker: _Worker, error: BaseException) -> str:
    """What became of a worker whose pipe failed with ``error``, with the last line it wrote to stderr."""
    try:
        worker.process.wait(1.0)  # its exit code, when it is exiting
    except subprocess.TimeoutExpired:
        pass
    worker.errors.seek(0)
    written = worker.errors.read().decode("utf-8", "replace").strip().splitlines()
    what = "stopped" if worker.loaded else "could not start"
    last = f": {written[-1]}" if written else ""
    return f"the model worker {what} (exit code {worker.process.returncode}; {error or 'its pipe closed'}{last})"


# --- the worker -------------------------------------------------------------------------------------------


def serve(connection: Any) -> None:
    """A worker's loop: build models, parse lines and encode sentences as the parent asks, until it says stop or
    goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent's to handle, should one reach this session
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):  # as in the parent: one process, one thread
        _serve(connection)


def _serve(connection: Any) -> None:
    import resource  # POSIX only, as the workers are (a platform without it never starts one)

    from .entities.cached_pipeline import CachedPipeline, encode_parse

    models: dict[int, Any] = {}
    ordered: dict[tuple[int, tuple[str, ...]], CachedPipeline] = {}
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        started = time.perf_counter()
        try:
            answer: Any = None
            if request[0] == "load":
                _, recipe_id, recipe = request
                built = pickle.loads(recipe)
                # A pipeline's fast components are compiled as it loads, not on the first share.
                models[recipe_id] = CachedPipeline(built.build()) if built.kind == "spacy" else built.build()
            elif request[0] == "parse":
                _, recipe_id, order, texts, batch_size = request
                key = (recipe_id, tuple(order))
                if key not in ordered:
                    base = models[recipe_id]
                    ordered[key] = CachedPipeline(base.nlp, order=order, fuller=base)
                answer = [encode_parse(doc) for doc in ordered[key]._run_here(texts, batch_size)]
            else:
                _, recipe_id, chunks = request
                answer = [models[recipe_id].encode_chunk(chunk) for chunk in chunks]
            status = "ok"
        except Exception as error:  # noqa: BLE001 - any failure is the parent's to report, in one line
            status, answer = "error", f"{type(error).__name__}: {error}"
        usage = resource.getrusage(resource.RUSAGE_SELF)
        try:
            connection.send((status, answer, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                             time.perf_counter() - started))
        except (OSError, ValueError):
            return


def serve_pipe(descriptor: int) -> None:
    """A worker's entry point: serve the parent over the pipe end it passed as ``descriptor``."""
    serve(Connection(descriptor))
