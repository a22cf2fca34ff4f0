"""Names as the rules compare them: normalised forms, initials and acronyms, and the look-alike tests."""

from __future__ import annotations

import functools
import re
from typing import Optional, Sequence

import jellyfish
from rapidfuzz import fuzz
from unidecode import unidecode

from .settings import DEFAULTS, EntitySettings


# Titles and honorifics that precede a name; stripped from spans and normalised forms.
_TITLE_PHRASES = (
    "secretary of state", "secretary of defense", "attorney general",
    "vice president", "prime minister", "foreign minister", "press secretary", "first lady",
    "president-elect", "president elect", "vice-president", "supreme leader", "crown prince",
    "chief executive", "special envoy", "former president", "house speaker",
)
_TITLE_WORDS = frozenset({
    "president", "pres", "mr", "mrs", "ms", "miss", "dr", "prof", "professor", "sir", "dame", "lord", "lady",
    "senator", "sen", "rep", "representative", "congressman", "congresswoman", "governor", "gov", "mayor",
    "minister", "secretary", "chancellor", "king", "queen", "prince", "princess", "pope", "general", "gen",
    "colonel", "col", "lt", "lieutenant", "captain", "capt", "sgt", "sergeant", "judge", "justice", "former",
    "rev", "reverend", "sheikh", "emir", "ambassador", "envoy", "spokesperson", "spokesman", "spokeswoman",
    "commissioner", "director", "chairman", "chairwoman", "chair", "deputy", "premier", "speaker", "senior",
    "officer", "detective", "inspector", "chief", "admiral", "commander", "sheriff", "leader", "dictator",
    "ex", "acting", "interim", "presidente", "señor", "senor", "sr", "sra", "don", "doña", "dona", "mme", "mlle",
    "herr", "frau", "monsieur", "madame", "vice", "prime",
})
# Lower-case words that join the parts of one name ("Banco de Chile", "Bank of England").
_CONNECTORS = frozenset({
    "de", "del", "della", "da", "di", "do", "dos", "das", "du", "des", "la", "las", "los", "le", "van", "von",
    "der", "den", "ter", "bin", "ibn", "al", "el", "of", "for", "y", "e", "the", "and",
})
# Articles that may be dropped from a place name ("La Paz" written "Paz", "Le Havre" written "Havre").
_LEADING_ARTICLES = frozenset({"el", "la", "los", "las", "le", "les", "il", "lo", "the", "die", "der", "das"})


# --- 2. normalised forms -------------------------------------------------------------


# Memoised: resolution compares the same few thousand surfaces hundreds of thousands of times.
@functools.lru_cache(maxsize=1 << 16)
def normalise(surface: str, label: Optional[str] = None) -> str:
    """The form names are compared in: ASCII lower case, no punctuation, no leading "the" or titles.

    Titles are dropped only for people and unlabelled names ("General Motors"
    keeps its first word). Single-letter middle initials are dropped.
    """
    written = _name_part(unidecode(surface).replace("’", "'").strip())
    text = written.lower()
    if len(text) > 3 and re.search(r"['’]s$", text):
        text = text[:-2]
    elif len(text) > 3 and re.search(r"s['’]$", text):
        text = text[:-1]  # "Chargers'": the apostrophe goes, the plural stays
    tokens = [re.sub(r"[^a-z0-9]", "", word) for word in text.split()]
    tokens = [token for token in tokens if token]
    while len(tokens) > 1 and tokens[0] == "the":
        tokens = tokens[1:]
    if label in (None, "PERSON"):
        tokens = _strip_titles(tokens)
    while len(tokens) > 1 and tokens[-1] in _NAME_SUFFIXES:
        tokens = tokens[:-1]
    if len(tokens) >= 3:
        tokens = [tokens[0]] + [t for t in tokens[1:-1] if len(t) > 1] + [tokens[-1]]
    return " ".join(tokens)


# Trailing words that do not tell two names apart: generations and company forms.
_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "inc", "corp", "corporation", "ltd", "llc", "plc", "co",
                            "sa", "ag", "gmbh"})
_PREPOSITIONS = frozenset({"in", "of", "at", "on", "from", "near", "off", "by", "for", "with", "to", "into", "outside",
                           "inside", "between", "across", "around"})
# Lower-case particles that belong to a name ("van Gogh", "de la Cruz", "al Assad").
_NAME_PARTICLES = _CONNECTORS - {"of", "for", "the", "and", "y", "e"}


def _name_part(surface: str) -> str:
    """The name inside a wider span: leading descriptors and anything after a comma dropped.

    Spans from other annotators or models often carry words around the name
    ("defensive tackle Jamal Williams", "in the Gulf of Aden", "Regina
    Benjamin, MD"). Lower-case words before the first capitalised one go
    (name particles such as "van" or "de" stay), and so does a comma's tail.
    """
    words = surface.split()
    if not any(w[:1].isupper() or w[:1].isdigit() for w in words):
        return surface
    head = surface.split(",")[0].split() if "," in surface else words
    if any(w[:1].isupper() for w in head):
        words = head
    start = 0
    while start < len(words) - 1 and not (words[start][:1].isupper() or words[start][:1].isdigit()) \
            and words[start].lower() not in _NAME_PARTICLES and not any(ch.isupper() for ch in words[start]):
        start += 1
    # "a store in central Paris" is a store, not Paris: a preposition after the first dropped word
    # means the name only modifies the phrase's head.
    if any(w.lower() in _PREPOSITIONS for w in words[1:start]):
        return surface
    return " ".join(words[start:])


def _strip_titles(tokens: list[str]) -> list[str]:
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        joined = " ".join(tokens)
        for phrase in _TITLE_PHRASES:
            words = re.sub(r"[^a-z ]", " ", phrase).split()
            if joined.startswith(" ".join(words) + " "):
                tokens, changed = tokens[len(words):], True
                break
        else:
            if tokens[0] in _TITLE_WORDS:
                tokens, changed = tokens[1:], True
    return tokens


def _content_tokens(key: str) -> tuple[str, ...]:
    tokens = tuple(t for t in key.split() if t not in _CONNECTORS)
    return tokens or tuple(key.split())


def _initials(key: str) -> str:
    return "".join(token[0] for token in key.split() if token not in _CONNECTORS)


def _looks_like_acronym(surface: str) -> bool:
    letters = [ch for ch in surface if ch.isalpha()]
    return 2 <= len(letters) <= 8 and all(ch.isupper() for ch in letters) and " " not in surface.strip()


def _opens_with_acronym(surface: str) -> bool:
    """Whether the name's first word is an acronym: what :func:`_fuzzy_acronym` asks of its first side first."""
    words = surface.split()
    return bool(words) and _looks_like_acronym(words[0])


def _acronym_letters(surface: str) -> str:
    return "".join(ch for ch in unidecode(surface).lower() if ch.isalpha())


def _different_people(x: str, y: str, settings: EntitySettings = DEFAULTS) -> bool:
    """Two full names with the same last word and a clearly different other word ("Anna Meyer", "Paul Meyer")."""
    tx, ty = _content_tokens(x), _content_tokens(y)
    if len(tx) < 2 or len(tx) != len(ty) or tx[-1] != ty[-1] or tx == ty:
        return False
    for a, b in zip(tx[:-1], ty[:-1]):
        if a == b or (len(a) == 1 and b.startswith(a)) or (len(b) == 1 and a.startswith(b)):
            continue
        if _short_form(a, b, settings):
            continue
        if min(len(a), len(b)) >= settings.given_name_min_chars and fuzz.ratio(a, b) >= settings.given_name_ratio:
            continue
        return True
    return False


def _distinct_people(keys: Sequence[str], settings: EntitySettings = DEFAULTS) -> list[str]:
    """Keys grouped so that variants of one name ("john f kennedy", "john kennedy") count once."""
    groups: list[str] = []
    for key in keys:
        if not any(_same_person_form(key, other, settings) for other in groups):
            groups.append(key)
    return groups


def _same_person_form(x: str, y: str, settings: EntitySettings = DEFAULTS) -> bool:
    """ "john f kennedy" / "john kennedy", "fred larue" / "frederick larue": one person's name written two ways."""
    tx, ty = _content_tokens(x), _content_tokens(y)
    if tx[-1] != ty[-1]:
        return False
    short, long_ = (tx, ty) if len(tx) <= len(ty) else (ty, tx)
    return all(any(a == b or _short_form(a, b, settings) for b in long_[:-1]) for a in short[:-1])


def _short_form(a: str, b: str, settings: EntitySettings = DEFAULTS) -> bool:
    """A given name and its short form: "fred" / "frederick", "chris" / "christopher"."""
    short, long_ = sorted((a, b), key=len)
    return len(short) >= settings.short_form_min_chars and short != long_ and long_.startswith(short)


# --- 5. look-alikes ---------------------------------------------------------------------


def _metaphone(word: str) -> str:
    return jellyfish.metaphone(word) if word else ""


def _tokens_alike(a: str, b: str, settings: EntitySettings = DEFAULTS) -> Optional[str]:
    """"equal", "fuzzy" or "phonetic" when two words may be one name, else None."""
    if a == b:
        return "equal"
    if min(len(a), len(b)) >= settings.token_fuzzy_min_chars and fuzz.ratio(a, b) >= settings.token_fuzzy_ratio:
        return "fuzzy"
    if a[0] == b[0] and min(len(a), len(b)) >= settings.token_phonetic_min_chars and _metaphone(a) == _metaphone(b):
        return "phonetic"
    return None


def _look_alike(x: str, y: str, settings: EntitySettings = DEFAULTS) -> Optional[str]:
    """The rule by which two normalised names (seen apart from any aligned passage) look like one name."""
    if x == y:
        return None
    tx, ty = _content_tokens(x), _content_tokens(y)
    nx, ny = "".join(tx), "".join(ty)
    if not nx or not ny or nx[0] != ny[0]:
        return None
    if len(tx) == 1 and len(ty) == 1:
        ratio = fuzz.ratio(nx, ny)
        if min(len(nx), len(ny)) >= settings.single_fuzzy_min_chars and ratio >= settings.single_fuzzy_ratio:
            return "fuzzy"
        if min(len(nx), len(ny)) >= settings.single_phonetic_min_chars and ratio >= settings.single_phonetic_ratio \
                and _metaphone(nx) == _metaphone(ny):
            return "phonetic"
        return None
    if len(tx) == len(ty):
        kinds = [_tokens_alike(a, b, settings) for a, b in zip(tx, ty)]
        if None in kinds or fuzz.ratio(nx, ny) < settings.multi_word_ratio:
            return None
        return "phonetic" if "phonetic" in kinds else "fuzzy"
    if min(len(tx), len(ty)) == 1 and min(len(nx), len(ny)) >= settings.run_together_min_chars:
        # A run-together name ("Mateovillanueva") against the spaced one: as long as the whole of it,
        # not one of its words (that is a partial name, and "Jose" is not "San Jose").
        single, spaced = (tx[0], ty) if len(tx) == 1 else (ty[0], tx)
        if single in spaced or len(single) < settings.run_together_length_share * len("".join(spaced)):
            return None
        if fuzz.ratio(nx, ny) >= settings.run_together_ratio and \
                fuzz.ratio(_metaphone(nx), _metaphone(ny)) >= settings.run_together_ratio:
            return "run-together"
    return None


# --- 6. aligned passages ----------------------------------------------------------------


def _aligned_score(x: str, y: str, settings: EntitySettings = DEFAULTS) -> float:
    """How alike two names are, leniently: used only for names in passages aligned to each other."""
    tx, ty = _content_tokens(x), _content_tokens(y)
    nx, ny = "".join(tx), "".join(ty)
    if not nx or not ny:
        return 0.0
    spelling = fuzz.ratio(nx, ny) / 100
    sound = fuzz.ratio(_metaphone(nx), _metaphone(ny)) / 100
    matched = sum(any(_tokens_alike(a, b, settings) for b in ty) for a in tx)
    tokens = matched / max(len(tx), len(ty))
    starts = {t[0] for t in tx} & {t[0] for t in ty}
    return max(spelling, settings.aligned_sound_weight * sound, tokens) if starts else 0.0


# --- 7. names rendered differently on the two sides of a derivation ----------------------

# Generic words of institutions' names and the words translations render them with. Not an alias
# table: no particular name is in it, only the common nouns any name may be built from.
_WORD_CLASSES: tuple[frozenset[str], ...] = (
    frozenset({"ministry", "department", "office", "secretariat", "bureau", "agency", "administration",
               "directorate", "service"}),
    frozenset({"security", "safety", "protection", "defence", "defense"}),
    frozenset({"council", "board", "committee", "commission", "panel"}),
    frozenset({"corporation", "company", "system", "group", "network", "firm"}),
    frozenset({"interior", "internal", "home", "domestic"}),
    frozenset({"foreign", "external", "overseas", "international"}),
    frozenset({"kingdom", "country", "state", "nation", "realm"}),
    frozenset({"party", "union", "alliance", "league", "front", "coalition", "federation"}),
    frozenset({"court", "tribunal"}),
    frozenset({"army", "military", "forces", "force", "troops"}),
    frozenset({"national", "federal", "central"}),
    frozenset({"health", "medical", "healthcare"}),
    frozenset({"justice", "law", "legal", "judicial"}),
    frozenset({"finance", "treasury", "financial", "economy", "economic"}),
    frozenset({"institute", "institution", "center", "centre", "academy"}),
)
_WORD_CLASS_OF: dict[str, int] = {word: i for i, words in enumerate(_WORD_CLASSES) for word in words}


def _word_affinity(a: str, b: str, settings: EntitySettings = DEFAULTS) -> Optional[str]:
    """How two words of two renderings of one name may correspond: "same", "spelling", "part" or "class"."""
    if a == b:
        return "same"
    if min(len(a), len(b)) >= settings.token_fuzzy_min_chars and fuzz.ratio(a, b) >= settings.translated_word_ratio:
        return "spelling"
    short, long_ = sorted((a, b), key=len)
    if len(short) >= settings.translated_part_min_chars and short in long_:
        return "part"  # "coast" in "coastline": a compound translated word by word
    if a in _WORD_CLASS_OF and _WORD_CLASS_OF[a] == _WORD_CLASS_OF.get(b):
        return "class"
    return None


def _literal_translation(x: str, y: str, settings: EntitySettings = DEFAULTS) -> bool:
    """Two multi-word names whose words correspond one to one, at least one by its letters.

    "Office of Coastal Security" / "Ministry of Coast and Safety": office ~ ministry (class),
    coastal ~ coast (spelling), security ~ safety (class).
    """
    tx, ty = list(_content_tokens(x)), list(_content_tokens(y))
    if min(len(tx), len(ty)) < 2 or abs(len(tx) - len(ty)) > 1:
        return False
    short, long_ = (tx, ty) if len(tx) <= len(ty) else (ty, tx)
    kinds: list[str] = []
    free = list(long_)
    for word in short:
        match = next(((kind, other) for other in free if (kind := _word_affinity(word, other, settings))), None)
        if match is None:
            return False
        kinds.append(match[0])
        free.remove(match[1])
    return any(kind in ("same", "spelling", "part") for kind in kinds) and kinds.count("same") < len(kinds)


def _fuzzy_acronym(x_surface: str, y_key: str) -> bool:
    """An acronym (with any words after it) against an expansion whose initials differ in at most one letter.

    "VBS News" / "Valencia Broadcasting Company News": V-B-S against V-B-C, and "News" on both.
    Only used between names of aligned passages, where the two sides say the same thing.
    """
    if not _opens_with_acronym(x_surface):
        return False
    words = x_surface.split()
    letters = _acronym_letters(words[0])
    tail = [t for t in normalise(" ".join(words[1:])).split() if t]
    expansion = list(_content_tokens(y_key))
    if tail:
        if expansion[-len(tail):] != tail:
            return False
        expansion = expansion[:-len(tail)]
    initials = "".join(t[0] for t in expansion)
    if len(letters) != len(initials) or len(letters) < 2 or letters[0] != initials[0]:
        return False
    mismatches = sum(a != b for a, b in zip(letters, initials))
    return mismatches == 0 or (mismatches == 1 and len(letters) >= 3)
