"""The stages' settings in one file: a section per stage over its shipped defaults (``analyze --settings FILE``).

Each stage with settings keeps its defaults beside its code (``reuse/defaults.json``,
``stories/defaults.json``, ``entities/defaults.json``, ``claims/defaults.json``,
``timeline/defaults.json``), each value saying what it was learnt on or how it was set, and
reads them into a frozen, validated dataclass. A user's file names only what it changes::

    {"reuse": {"sentence_match": 0.75}, "stories": {"window_days": 3}, "entities": {"single_fuzzy_ratio": 92}}

The prepare stage has no settings: its limits (the longest sentence, the MinHash size) shape
what is stored for every article, so changing them would mean preparing the store again.

An unknown section or name, or a value of the wrong type or range, is refused with its
name: a misspelt setting silently ignored would be a run with defaults the user thinks
were changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from .claims.settings import ClaimSettings
from .entities.settings import EntitySettings
from .reuse.settings import ReuseSettings
from .stories.settings import StorySettings
from .timeline.settings import TimelineSettings


class SettingsError(ValueError):
    """A settings file that cannot be used, with the reason in one line."""


@dataclass(frozen=True)
class Settings:
    """Every stage's settings, a section per stage in the pipeline's order; the defaults are the shipped ones."""

    reuse: ReuseSettings = field(default_factory=ReuseSettings)
    stories: StorySettings = field(default_factory=StorySettings)
    entities: EntitySettings = field(default_factory=EntitySettings)
    claims: ClaimSettings = field(default_factory=ClaimSettings)
    timeline: TimelineSettings = field(default_factory=TimelineSettings)


SECTIONS: dict[str, type] = {"reuse": ReuseSettings, "stories": StorySettings, "entities": EntitySettings,
                             "claims": ClaimSettings, "timeline": TimelineSettings}


def _checked(section: str, name: str, value: Any, default: Any, declared: Any) -> Any:
    """``value`` in the form its field declares (else its default's), or SettingsError: JSON has no tuples,
    3 is a fine 3.0, and a ratio declared a float may be 85.5 though its shipped value is 85."""
    where = f"{section}.{name}"
    if declared in ("float", float) and not isinstance(default, bool):
        default = float(default)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise SettingsError(f"{where} must be true or false, got {value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(f"{where} must be a whole number, got {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SettingsError(f"{where} must be a number, got {value!r}")
        return float(value)
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise SettingsError(f"{where} must be a list of names, got {value!r}")
        return tuple(value)
    return value


def _section(name: str, values: Any) -> Any:
    cls = SECTIONS[name]
    if not isinstance(values, Mapping):
        raise SettingsError(f"the {name!r} section must be an object of settings, got {type(values).__name__}")
    defaults = cls()
    known = {f.name for f in fields(cls)}
    # Keys starting with "_" document a file (as in the shipped defaults); they are not settings.
    unknown = sorted(key for key in values if key not in known and not str(key).startswith("_"))
    if unknown:
        raise SettingsError(f"unknown {name} setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    declared = {f.name: f.type for f in fields(cls)}
    given = {key: _checked(name, key, value, getattr(defaults, key), declared[key])
             for key, value in values.items() if key in known}
    try:
        return cls(**{**{f.name: getattr(defaults, f.name) for f in fields(cls)}, **given})
    except (TypeError, ValueError) as error:
        raise SettingsError(f"{name}: {error}") from error


def settings_from_mapping(values: Any) -> Settings:
    """The shipped defaults with ``values`` (``{section: {name: value}}``) over them."""
    if not isinstance(values, Mapping):
        raise SettingsError("a settings file holds one JSON object of sections: {\"reuse\": {...}, \"stories\": {...}}")
    unknown = sorted(str(key) for key in values if key not in SECTIONS and not str(key).startswith("_"))
    if unknown:
        raise SettingsError(f"unknown section(s): {', '.join(unknown)}; sections: {', '.join(SECTIONS)}")
    return Settings(**{name: _section(name, section) for name, section in values.items() if name in SECTIONS})


def load_settings(path: str | Path) -> Settings:
    """Read a settings file; SettingsError (naming the file) when it cannot be read or used."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"{path}: cannot read the settings file: {getattr(error, 'strerror', None) or error}") \
            from error
    try:
        values = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise SettingsError(f"{path}: not JSON ({error})") from error
    try:
        return settings_from_mapping(values)
    except SettingsError as error:
        raise SettingsError(f"{path}: {error}") from error


def settings_to_mapping(settings: Settings) -> dict[str, dict[str, Any]]:
    """Every setting as JSON values: what ``storyline settings`` prints and ``load_settings`` reads back."""
    out: dict[str, dict[str, Any]] = {}
    for name in SECTIONS:
        section = getattr(settings, name)
        out[name] = {f.name: list(value) if isinstance(value := getattr(section, f.name), tuple) else value
                     for f in fields(section)}
    return out
