"""The timeline stage's settings, read from ``defaults.json`` beside this file (where each value came from is said there)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..stage_settings import check_values, shipped_values

DEFAULTS_PATH = Path(__file__).resolve().parent / "defaults.json"
_SHIPPED = shipped_values(DEFAULTS_PATH)


@dataclass(frozen=True)
class TimelineSettings:
    """The stage's thresholds."""

    # Sentence cosine from which two articles' expressions of the same date are one happening.
    similarity: float = _SHIPPED["similarity"]

    def __post_init__(self) -> None:
        check_values(self, shares=frozenset({"similarity"}))

    @classmethod
    def defaults(cls) -> "TimelineSettings":
        """The shipped defaults (the same as ``TimelineSettings()``)."""
        return cls()


DEFAULTS = TimelineSettings()
