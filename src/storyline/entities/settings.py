"""The stage's thresholds, read from ``defaults.json`` beside this file (where each value came from is said there)."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

DEFAULTS_PATH = Path(__file__).resolve().parent / "defaults.json"

# Read once: an immutable view of the shipped file, not a cache that changes.
# Keys starting with "_" document the file (where each value came from); the others are settings.
_SHIPPED: Mapping[str, Any] = MappingProxyType(
    {key: value for key, value in json.loads(DEFAULTS_PATH.read_text(encoding="utf-8")).items()
     if not key.startswith("_")})


# Values that are shares of something, or scores, between 0 and 1.
_SHARES = frozenset({"run_together_length_share", "aligned_sound_weight", "aligned_min_score", "aligned_max_offset",
                     "aligned_offset_penalty", "translated_max_offset", "translated_label_weight"})


@dataclass(frozen=True)
class EntitySettings:
    """The resolution's thresholds. Ratios are ``fuzz.ratio`` values (0-100); shares, weights and scores 0-1."""

    # Two given names before one surname are one person's when this alike ("Jon" / "John" are not: too short).
    given_name_min_chars: int = _SHIPPED["given_name_min_chars"]
    given_name_ratio: float = _SHIPPED["given_name_ratio"]
    # A given name and its short form ("fred" / "frederick"): the short form has at least this many letters.
    short_form_min_chars: int = _SHIPPED["short_form_min_chars"]
    # Two words of a name alike by spelling, or (from this length) by sound.
    token_fuzzy_min_chars: int = _SHIPPED["token_fuzzy_min_chars"]
    token_fuzzy_ratio: float = _SHIPPED["token_fuzzy_ratio"]
    token_phonetic_min_chars: int = _SHIPPED["token_phonetic_min_chars"]
    # Look-alikes (rule 5): one-word names by spelling alone, or by spelling and sound.
    single_fuzzy_min_chars: int = _SHIPPED["single_fuzzy_min_chars"]
    single_fuzzy_ratio: float = _SHIPPED["single_fuzzy_ratio"]
    single_phonetic_min_chars: int = _SHIPPED["single_phonetic_min_chars"]
    single_phonetic_ratio: float = _SHIPPED["single_phonetic_ratio"]
    # ... names of several words: every word alike, and the whole at least this alike.
    multi_word_ratio: float = _SHIPPED["multi_word_ratio"]
    # ... a run-together name ("Mateovillanueva") against the spaced one.
    run_together_min_chars: int = _SHIPPED["run_together_min_chars"]
    run_together_length_share: float = _SHIPPED["run_together_length_share"]
    run_together_ratio: float = _SHIPPED["run_together_ratio"]
    # Names in aligned passages (rule 6): lenient similarity, and how far apart in the passages they may stand.
    aligned_sound_weight: float = _SHIPPED["aligned_sound_weight"]
    aligned_min_score: float = _SHIPPED["aligned_min_score"]
    aligned_max_offset: float = _SHIPPED["aligned_max_offset"]
    aligned_offset_penalty: float = _SHIPPED["aligned_offset_penalty"]
    # Names rendered in other words across a derivation (rule 7).
    translated_max_offset: float = _SHIPPED["translated_max_offset"]
    translated_word_ratio: float = _SHIPPED["translated_word_ratio"]
    translated_part_min_chars: int = _SHIPPED["translated_part_min_chars"]
    # Type votes: a machine translation's labels and cues weigh this much, a full name's label this much, and
    # a name's own head word ("... Ministry") counts as this many cues from the text.
    translated_label_weight: float = _SHIPPED["translated_label_weight"]
    full_name_label_weight: float = _SHIPPED["full_name_label_weight"]
    head_word_weight: float = _SHIPPED["head_word_weight"]
    # Look-alike blocks up to this size compare every pair; larger ones a sorted neighbourhood of this width.
    all_pairs_block: int = _SHIPPED["all_pairs_block"]
    neighbourhood: int = _SHIPPED["neighbourhood"]

    def __post_init__(self) -> None:
        for field_ in fields(self):
            value = getattr(self, field_.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{field_.name} must be a number, got {value!r}")
            if field_.name.endswith("_ratio") and not 0 <= value <= 100:
                raise ValueError(f"{field_.name} is a fuzz.ratio and must be in [0, 100], got {value}")
            if field_.name in _SHARES and not 0 <= value <= 1:
                raise ValueError(f"{field_.name} must be in [0, 1], got {value}")
            if value < 0:
                raise ValueError(f"{field_.name} must be >= 0, got {value}")
            if field_.name.endswith("_chars") and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{field_.name} must be a whole number >= 1, got {value}")
        if not isinstance(self.all_pairs_block, int) or self.all_pairs_block < 2:
            raise ValueError(f"all_pairs_block must be a whole number >= 2, got {self.all_pairs_block}")
        if not isinstance(self.neighbourhood, int) or self.neighbourhood < 1:
            raise ValueError(f"neighbourhood must be a whole number >= 1, got {self.neighbourhood}")

    @classmethod
    def defaults(cls) -> "EntitySettings":
        """The shipped defaults (the same as ``EntitySettings()``)."""
        return cls()

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> "EntitySettings":
        """The defaults with ``values`` over them; an unknown name is an error, not ignored."""
        known = {field_.name for field_ in fields(cls)}
        unknown = sorted(set(values) - known - {key for key in values if key.startswith("_")})
        if unknown:
            raise ValueError(f"unknown entity settings: {', '.join(unknown)}")
        return cls(**{key: value for key, value in values.items() if key in known})

    @classmethod
    def from_file(cls, path: str | Path) -> "EntitySettings":
        return cls.from_mapping(json.loads(Path(path).read_text(encoding="utf-8")))


DEFAULTS = EntitySettings()
