"""Uploads: files from the browser read by the CLI's readers and analysed by the runner, one job at a time.

SQLite takes one writer: every job runs on a single worker thread that owns the
only writable connection, while pages are served from read-only connections
(:class:`ReaderPool`). A job's progress is kept in memory for the status page to poll.
"""

from __future__ import annotations

import logging
import queue
import shutil
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from .. import depth, pipeline
from ..store import Store, open_store

log = logging.getLogger("storyline.web")

MAX_KEPT_JOBS = 200
POOL_WAIT_SECONDS = 30


@dataclass(frozen=True)
class Snapshot:
    """Store generations around one read: ``built_at`` to file what it builds under, ``current`` to look up.

    A page built under generation g may be served to a request whose ``current`` is at most g:
    every commit that request could see had been noticed (and counted) before g was read.
    """

    built_at: int
    current: int


class ReaderPool:
    """Read-only store connections handed out one per request; each request reads one consistent snapshot."""

    def __init__(self, path: str, size: int) -> None:
        self.path = path
        self.size = size
        self._idle: queue.LifoQueue[Store] = queue.LifoQueue()
        self._opened = 0
        self._lock = threading.Lock()
        # Bumped whenever any connection sees a commit it had not seen (PRAGMA data_version),
        # whoever made it: the upload writer here or `storyline analyze` in another process.
        self.generation = 0
        self._data_versions: dict[int, int] = {}

    @contextmanager
    def reader(self) -> Iterator[Store]:
        with self.snapshot() as (store, _):
            yield store

    @contextmanager
    def snapshot(self) -> Iterator[tuple[Store, Snapshot]]:
        """A reader as :meth:`reader`, with the store generations a cache of its pages needs."""
        store = self._take()
        try:
            # Read before the snapshot starts: what is built from this snapshot is at least this fresh.
            before = self.generation
            # One read transaction per request: an upload committing meanwhile cannot tear a page.
            store.db.execute("BEGIN")
            data_version = store.db.execute("PRAGMA data_version").fetchone()[0]
            with self._lock:
                # A connection's data_version changes when another connection commits; a new
                # connection's first value says nothing, so it counts as a change too.
                if self._data_versions.get(id(store)) != data_version:
                    self._data_versions[id(store)] = data_version
                    self.generation += 1
            yield store, Snapshot(built_at=before, current=self.generation)
        finally:
            if store.db.in_transaction:
                store.db.execute("ROLLBACK")
            self._idle.put(store)

    def _take(self) -> Store:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._opened < self.size:
                self._opened += 1
                try:
                    return open_store(self.path, read_only=True)
                except Exception:
                    self._opened -= 1
                    raise
        return self._idle.get(timeout=POOL_WAIT_SECONDS)

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


@dataclass
class Job:
    id: str
    files: list[str]
    state: str = "queued"  # queued, reading, analysing, done, failed
    stage: Optional[str] = None
    stage_done: int = 0
    stage_total: int = 0
    progress: float = 0.0  # 0..1 over reading and every stage
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    error: Optional[str] = None
    created: float = field(default_factory=time.time)
    finished: Optional[float] = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class UploadJobs:
    """Queues uploads and runs them one after another on the single writer thread."""

    def __init__(self, db_path: str, uploads_dir: Path, *, models: Optional[pipeline.Models] = None,
                 on_change: Callable[[], None] = lambda: None) -> None:
        self.db_path = db_path
        self.uploads_dir = uploads_dir
        self.models = models or pipeline.Models()
        self.on_change = on_change
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="storyline-writer")
        self._writer: Optional[Store] = None
        self._stories_queued: set[str] = set()

    def submit(self, staged_dir: Path, names: list[str]) -> Job:
        job = Job(id=uuid.uuid4().hex, files=names)
        with self._lock:
            self._jobs[job.id] = job
            for old in sorted(self._jobs.values(), key=lambda j: j.created)[:-MAX_KEPT_JOBS]:
                del self._jobs[old.id]
        self._executor.submit(self._run, job, staged_dir)
        return job

    def analyse_story(self, story_id: str) -> None:
        """Analyse a story in depth on the writer thread, once, if it still waits for it (storyline.depth)."""
        with self._lock:
            if story_id in self._stories_queued:
                return
            self._stories_queued.add(story_id)
        self._executor.submit(self._analyse_story, story_id)

    def _analyse_story(self, story_id: str) -> None:
        try:
            if depth.analyse_story_now(self._store(), story_id, self.models):
                self.on_change()
        except Exception:  # noqa: BLE001 - the page keeps saying the story waits; the server keeps serving
            log.exception("analysing story %s in depth failed", story_id)
        finally:
            with self._lock:
                self._stories_queued.discard(story_id)

    def get(self, job_id: str) -> Optional[Job]:
        with self._lock:
            return self._jobs.get(job_id)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        if self._writer is not None:
            self._writer.close()

    def _store(self) -> Store:
        if self._writer is None:
            self._writer = open_store(self.db_path)
        return self._writer

    def _run(self, job: Job, staged_dir: Path) -> None:
        try:
            store = self._store()
            job.state = "reading"
            # Kept under their own names: uploading a file again is the same source, so an
            # unchanged file changes nothing and a changed one becomes a new version.
            self.uploads_dir.mkdir(parents=True, exist_ok=True)
            paths = []
            for name in job.files:
                target = self.uploads_dir / name
                shutil.move(str(staged_dir / name), target)
                paths.append(target)
            stages = len(pipeline.STAGES) + 1
            # Progress counts files, not articles: one JSON Lines file may hold many.
            job.stage, job.stage_total = "reading", len(paths)
            for path in paths:
                report = pipeline.ingest(store, [path])
                job.added += report.added
                job.updated += report.updated
                job.unchanged += report.unchanged
                job.skipped += [{"source": Path(s.source).name, "reason": s.reason} for s in report.skipped]
                if not (report.added or report.updated or report.unchanged):
                    # Nothing of it was read: a rejected file is not kept.
                    path.unlink(missing_ok=True)
                job.stage_done += 1
                job.progress = job.stage_done / len(paths) / stages
            if not (job.added or job.updated or job.unchanged):
                job.state, job.stage = "failed", None
                job.error = (f"none of the {len(paths)} file(s) could be read (the reasons are below); "
                             "nothing was added")
                return
            job.state = "analysing"

            def progress(stage: str, done: int, total: int) -> None:
                index = pipeline.STAGES.index(stage) + 1 if stage in pipeline.STAGES else 0
                job.stage, job.stage_done, job.stage_total = stage, done, total
                job.progress = (index + (done / total if total else 1.0)) / stages

            pipeline.analyze(store, models=self.models, progress=progress)
            job.state, job.progress, job.stage = "done", 1.0, None
        except Exception as error:  # noqa: BLE001 - the job fails visibly, the server keeps serving
            log.exception("upload job %s failed", job.id)
            job.state, job.error = "failed", f"{type(error).__name__}: {error}"
        finally:
            job.finished = time.time()
            shutil.rmtree(staged_dir, ignore_errors=True)
            self.on_change()
