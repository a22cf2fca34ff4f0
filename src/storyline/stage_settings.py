"""What every stage's settings share: a defaults file beside the stage's code, and the settings a call runs with.

A stage's ``defaults.json`` holds its values and, under ``_source``, where each one came
from (learnt on which data by which script, measured how, or chosen for what reason);
keys starting with ``_`` document the file and are not settings. The stage's frozen
dataclass takes its field defaults from :func:`shipped_values`, and :mod:`storyline.settings`
(the one loader) lays a user's file over them.

A stage's core takes its settings as an argument and hands them to its steps through
:class:`InUse`: the steps (candidate search, alignment, classification, ...) read a dozen
values each, several calls deep, and threading one more parameter through every helper
would touch every signature of the stage for no gain in clarity. ``InUse`` is a context
variable, so two analyses running at once (threads of the web app, Spark tasks in one
worker) each see their own settings, and a step called outside any core sees the defaults.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import fields
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, Iterator, Mapping, Optional, TypeVar

S = TypeVar("S")


def shipped_values(path: Path) -> Mapping[str, Any]:
    """The settings a defaults file ships (its keys not starting with ``_``), as an immutable mapping.

    Read once, at import: an immutable view of the shipped file, not a cache that changes.
    """
    return MappingProxyType({key: value for key, value in json.loads(path.read_text(encoding="utf-8")).items()
                             if not key.startswith("_")})


def provenance(path: Path) -> dict[str, str]:
    """Where each value of a defaults file came from (its ``_source`` object; empty when it has none)."""
    source = json.loads(path.read_text(encoding="utf-8")).get("_source", {})
    return dict(source) if isinstance(source, dict) else {}


def check_values(settings: Any, *, shares: frozenset[str] = frozenset(), ratios: frozenset[str] = frozenset(),
                 at_least_one: frozenset[str] = frozenset()) -> None:
    """ValueError naming the first setting out of range: every value is a number >= 0, whole numbers stay
    whole, the ``shares`` (cosines, coverages, proportions) lie in [0, 1], the ``ratios`` (``fuzz.ratio``
    values) in [0, 100], and the counts in ``at_least_one`` are at least 1."""
    for field_ in fields(settings):
        value = getattr(settings, field_.name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{field_.name} must be a number, got {value!r}")
        if isinstance(field_.default, int) and not isinstance(value, int):
            raise ValueError(f"{field_.name} must be a whole number, got {value!r}")
        if value < 0:
            raise ValueError(f"{field_.name} must be >= 0, got {value}")
        if field_.name in shares and value > 1:
            raise ValueError(f"{field_.name} must be in [0, 1], got {value}")
        if field_.name in ratios and value > 100:
            raise ValueError(f"{field_.name} is a fuzz.ratio and must be in [0, 100], got {value}")
        if field_.name in at_least_one and value < 1:
            raise ValueError(f"{field_.name} must be >= 1, got {value}")


class InUse(Generic[S]):
    """The settings a stage's steps read: the defaults, or those its core was called with, for that call."""

    def __init__(self, name: str, defaults: S) -> None:
        self._current: ContextVar[S] = ContextVar(name, default=defaults)

    def __call__(self) -> S:
        return self._current.get()

    @contextmanager
    def using(self, settings: Optional[S]) -> Iterator[S]:
        """Run the block with ``settings`` (None: keep those in use, e.g. a core called by another core)."""
        if settings is None:
            yield self._current.get()
            return
        token = self._current.set(settings)
        try:
            yield settings
        finally:
            self._current.reset(token)
