"""Translation detection: different languages, translations the embedder cannot read, and signs of
machine translation (broken hyphenation, capitalised function words mid-sentence, stuttered
phrases, inconsistent, garbled or run-together names) that say which side is the translation.
"""

from __future__ import annotations

import re
from itertools import combinations
from typing import TYPE_CHECKING, Optional, Sequence

import jellyfish
from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler

from ..model import Prepared
from .settings import in_use
from .words import _CAPITALISED, _FUNCTION_WORDS, _FUNCTION_WORDS_TITLE, _NAME_SEQUENCE, _WORD

if TYPE_CHECKING:  # the profile reads this module's signs: only the types go the other way
    from .alignment import _Link
    from .profile import _Profile


def _languages_differ(a: Prepared, b: Prepared, pa: _Profile, pb: _Profile, name_a: str, name_b: str) -> tuple[bool, str]:
    """Whether the two texts are in different languages, and the evidence sentence saying so.

    By the detected languages when both are known; else by their most
    frequent words (function words: "der, und, die" against "la, et, les"),
    which two texts in one language share and two in different languages
    almost never do.
    """
    if a.language and b.language:
        return a.language != b.language, f"languages differ: {name_a} is in {a.language}, {name_b} in {b.language}"
    if not pa.frequent_words or not pb.frequent_words:
        return False, ""
    overlap = 2 * len(pa.frequent_words & pb.frequent_words) / (len(pa.frequent_words) + len(pb.frequent_words))
    unknown = " and ".join(name for name, p in ((name_a, a), (name_b, b)) if not p.language)
    return overlap < in_use().different_language_words, (
        f"languages differ: {name_a} and {name_b} share {overlap:.0%} of their most frequent words "
        f"(the language of {unknown} was not identified)")


def _anchor_translation(
    a: Prepared, b: Prepared, pa: _Profile, pb: _Profile, name_a: str, name_b: str,
) -> Optional[tuple[float, str]]:
    """(score, evidence) when the names and numbers of two texts in different languages agree in order."""
    sentences_a, sentences_b = int(pa.usable.sum()), int(pb.usable.sum())
    if min(sentences_a, sentences_b) < in_use().anchor_length_ratio * max(sentences_a, sentences_b):
        return None
    agreement, count = _anchor_agreement(pa.anchors, pb.anchors)
    if count < in_use().anchor_min_count or agreement < in_use().anchor_translation:
        return None
    fewer = name_a if len(pa.anchors) <= len(pb.anchors) else name_b
    return agreement, (f"{agreement:.0%} of the {count} names and numbers of {fewer} recur in the other "
                       "text in the same order, and the two have about as many sentences; the embedding model "
                       "aligned little of them, so it does not read one of the languages")


def _anchor_agreement(anchors_a: Sequence[str], anchors_b: Sequence[str]) -> tuple[float, int]:
    """Share of the shorter anchor sequence found in the other in the same order, and that length.

    The longest common subsequence of at most 400 anchors a side (a news article's names and numbers
    fit), computed a row at a time on the bits of one integer (Hyyro's bit-parallel form of the dynamic
    programme): the same length, without a Python step per cell.
    """
    x, y = list(anchors_a[:400]), list(anchors_b[:400])
    if not x or not y:
        return 0.0, 0
    if len(x) > len(y):
        x, y = y, x
    return _common_subsequence_length(x, y) / len(x), len(x)


def _common_subsequence_length(x: Sequence[str], y: Sequence[str]) -> int:
    """Length of the longest common subsequence of ``x`` and ``y``.

    Bit ``j`` of ``row`` is 0 where the programme's row steps up at column ``j`` of ``y``: each token
    of ``x`` adds its matches (``where``) to the row as one carry chain, and the zeros left are the length.
    """
    where: dict[str, int] = {}
    for position, token in enumerate(y):
        where[token] = where.get(token, 0) | (1 << position)
    full = (1 << len(y)) - 1
    row = full
    for token in x:
        matches = row & where.get(token, 0)
        row = ((row + matches) | (row - matches)) & full
    return len(y) - bin(row).count("1")


# --- 4. signs of machine translation ---------------------------------------------------


_BROKEN_HYPHEN = re.compile(r"\b\w+ -(?=[A-Za-zÀ-ÿ])\w+")
_LOST_BOUNDARY = re.compile(r"\b([a-z][a-z]+) (" + "|".join(sorted(_FUNCTION_WORDS_TITLE)) + r")\b(?= [a-z])")
_TOKEN_WITH_OFFSET = re.compile(r"[\w'’-]+")


def machine_translation_signs(text: str) -> list[tuple[str, str]]:
    """Signs of machine translation found in one text alone, as ``(kind, quoted text)``.

    Broken hyphenation ("anti -flood"), a capitalised function word after a
    lowercase word with no punctuation ("contracts They will be"), a phrase
    repeated within a few words ("the ferry service of the ferry service"),
    and one name rendered in several similar spellings.
    """
    signs: list[tuple[str, str]] = []
    for line in text.splitlines():
        signs.extend(("broken hyphenation", m.group()) for m in _BROKEN_HYPHEN.finditer(line))
        signs.extend(("lost sentence boundary", m.group()) for m in _LOST_BOUNDARY.finditer(line))
        signs.extend(("repeated phrase", phrase) for phrase in _stuttered_phrases(line))
    signs.extend(("inconsistent name", pair) for pair in _inconsistent_names(text))
    return signs


def _stuttered_phrases(line: str, min_words: int = 3, max_gap: int = 6) -> list[str]:
    """Phrases of ``min_words``+ words repeated with at most ``max_gap`` words between, within one sentence."""
    found: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", line):
        words = [w.lower() for w in _WORD.findall(sentence)]
        # Any phrase repeated at min_words or more words repeats its first min_words words:
        # most sentences repeat none, and need no search.
        grams = list(zip(*(words[k:] for k in range(min_words))))
        if len(set(grams)) == len(grams):
            continue
        seen_until = -1
        for length in range(6, min_words - 1, -1):
            for i in range(len(words) - 2 * length + 1):
                if i <= seen_until:
                    continue
                gram = words[i:i + length]
                if all(w in _FUNCTION_WORDS for w in gram):
                    continue
                window = words[i + length:i + 2 * length + max_gap]
                for j in range(len(window) - length + 1):
                    if window[j:j + length] == gram:
                        found.append(" ".join(_WORD.findall(sentence)[i:i + length]))
                        seen_until = i + 2 * length + j
                        break
    return found


def _inconsistent_names(text: str) -> list[str]:
    """Pairs of capitalised words that look like two spellings of one name ("Oduya" / "Oduja")."""
    words = sorted({m.group().rstrip("'’s").rstrip("'’") for m in _CAPITALISED.finditer(text)})
    words = [w for w in words if len(w) >= 4 and w.isalpha() and not w.isupper() and w not in _FUNCTION_WORDS_TITLE]
    codes = {w: jellyfish.metaphone(w) for w in words}
    return [f"'{words[i]}' / '{words[j]}'" for i, j in sorted(_respelling_candidates(words, codes))
            if _respelled(words[i], words[j], codes)]


def _respelled(first: str, second: str, codes: dict[str, str]) -> bool:
    """Whether two distinct words read as two spellings of one name, not as inflections or two languages."""
    x, y = first.lower(), second.lower()
    if x == y or x.startswith(y) or y.startswith(x):  # inflections: Kenya / Kenyan
        return False
    if len(x) == len(y) and x[:-1] == y[:-1]:  # one name in two languages: Banque / Banqua
        return False
    same_sound = x[0] == y[0] and codes[first] == codes[second] and fuzz.ratio(x, y) >= in_use().same_sound_ratio
    one_letter_swap = len(x) == len(y) and JaroWinkler.similarity(x, y) >= 0.9 and fuzz.ratio(x, y) >= 80
    return same_sound or one_letter_swap


# Words of up to this many letters are blocked by the letters they keep when a fifth of them is dropped
# (91 keys for the longest); names are shorter, and longer words are blocked by their length alone.
_RESPELLING_KEY_LETTERS = 14
# A block up to this size compares every pair; a larger one (only a very long text) each word with the
# words after it in sorted order, so that the work stays linear in the text.
_RESPELLING_ALL_PAIRS = 64
_RESPELLING_NEIGHBOURS = 16


def _respelling_candidates(words: Sequence[str], codes: dict[str, str]) -> set[tuple[int, int]]:
    """Index pairs ``i < j`` of ``words`` (sorted) that ``_respelled`` may accept, without reading every pair.

    A same-sounding pair shares its first letter and its metaphone code. A one-letter
    swap has one length and a ratio of at least 80, so the two differ in at most a fifth
    of their letters: both keep one string when exactly that many letters are dropped
    from each. A text's many names then meet only the few that could be their twins.
    """
    blocks: dict[tuple[object, ...], list[int]] = {}
    for index, word in enumerate(words):
        lowered = word.lower()
        blocks.setdefault(("sound", lowered[0], codes[word]), []).append(index)
        size = len(lowered)
        if size > _RESPELLING_KEY_LETTERS:
            blocks.setdefault(("long", size), []).append(index)
            continue
        # The letters themselves in kept order, as combinations of positions would pick them (a text's
        # names give tens of thousands of keys: no index arithmetic for each letter).
        for kept in combinations(lowered, size - size // 5):
            blocks.setdefault(("letters", size, "".join(kept)), []).append(index)
    pairs: set[tuple[int, int]] = set()
    for members in blocks.values():
        reach = len(members) if len(members) <= _RESPELLING_ALL_PAIRS else _RESPELLING_NEIGHBOURS
        for position, first in enumerate(members):
            pairs.update((first, second) for second in members[position + 1:position + 1 + reach])
    return pairs


def _mangled_names(a: Prepared, b: Prepared, pa: _Profile, pb: _Profile, links: Sequence[_Link],
                   side: str) -> list[tuple[str, str]]:
    """Names in ``side``'s aligned sentences that render the other's name garbled or run together.

    Only a word the other text never uses, close to a name the other uses and
    this text never uses, counts: two honest spellings of one name differ in
    both directions, and inflections are excluded.
    """
    this, other = (a, b) if side == "a" else (b, a)
    this_words, other_words = (pa.words, pb.words) if side == "a" else (pb.words, pa.words)
    signs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for link in links:
        if link.lexical >= in_use().verbatim_sentence:
            continue
        mine = this.sentences[link.a if side == "a" else link.b].text
        theirs = other.sentences[link.b if side == "a" else link.a].text
        their_names = [m.group() for m in _NAME_SEQUENCE.finditer(theirs)]
        for match in _CAPITALISED.finditer(mine):
            word = match.group().strip("'’-")
            lowered = word.lower()
            if match.start() == 0 or len(word) < 4 or lowered in other_words or word in seen or word.isupper():
                continue
            for name in their_names:
                parts = [p.strip(".,;:'’") for p in name.split() if p[:1].isupper()]
                # Every run of the name's words, longest first: "Under President X Y" holds "X Y".
                candidates = [
                    " ".join(parts[i:j]) for size in range(len(parts), 0, -1)
                    for i in range(len(parts) - size + 1) for j in [i + size]
                ]
                for candidate in candidates:
                    joined = candidate.replace(" ", "").lower()
                    if len(joined) < 4 or any(p.lower() in this_words for p in candidate.split()):
                        continue
                    run_together = " " in candidate and joined == lowered
                    if not run_together and (joined.startswith(lowered) or lowered.startswith(joined)):
                        continue
                    if run_together or fuzz.ratio(lowered, joined) >= in_use().mangled_name_ratio:
                        label = "run-together name" if " " in candidate else "mangled name"
                        signs.append((label, f"'{word}' for '{candidate}'"))
                        seen.add(word)
                        break
                if word in seen:
                    break
    return signs


def _signs_with_names(
    a: Prepared, b: Prepared, pa: _Profile, pb: _Profile, links: Sequence[_Link]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Each text's own signs plus the names it garbles relative to the other.

    A run-together name ("Helenavoss" for "Helena Voss") tells which side
    garbled it. A single name spelt two ways ("Hartley" / "Hartlee") does not,
    so it is counted only for the text that already shows more signs alone.
    """
    names_a = _mangled_names(a, b, pa, pb, links, side="a")
    names_b = _mangled_names(a, b, pa, pb, links, side="b")
    signs_a = pa.signs + [s for s in names_a if s[0] == "run-together name"]
    signs_b = pb.signs + [s for s in names_b if s[0] == "run-together name"]
    if len(pa.signs) > len(pb.signs):
        signs_a += [s for s in names_a if s[0] != "run-together name"]
    elif len(pb.signs) > len(pa.signs):
        signs_b += [s for s in names_b if s[0] != "run-together name"]
    return signs_a, signs_b


def _machine_translated_side(signs_a: Sequence[tuple[str, str]], signs_b: Sequence[tuple[str, str]]) -> Optional[str]:
    """'a' or 'b' when that text carries enough signs of machine translation and more than the other."""

    def enough(signs: Sequence[tuple[str, str]]) -> bool:
        return len({kind for kind, _ in signs}) >= in_use().mt_min_sign_kinds or len(signs) >= in_use().mt_min_signs

    if enough(signs_a) and len(signs_a) > len(signs_b):
        return "a"
    if enough(signs_b) and len(signs_b) > len(signs_a):
        return "b"
    return None


def _grouped(signs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """One evidence string per kind of sign, quoting each instance once."""
    by_kind: dict[str, list[str]] = {}
    for kind, quoted in signs:
        quoted = quoted if quoted.startswith("'") else f"'{quoted}'"
        if quoted not in by_kind.setdefault(kind, []):
            by_kind[kind].append(quoted)
    return [(kind, ", ".join(quoted)) for kind, quoted in by_kind.items()]
