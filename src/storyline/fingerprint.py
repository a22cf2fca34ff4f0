"""MinHash signatures over word shingles, computed in native code (numba).

A text's words are what Python's ``\\w+`` matches, lower-cased (str.lower, per code
point). The pipeline, in one compiled pass per document over its UTF-8 bytes:

1. tokens: each word hashed (FNV-1a over its lower-cased code points) while the bytes
   are scanned, so no Python string is made per word; JSON string escapes
   (``\\n``, ``\\u00e9``, surrogate pairs) can be decoded on the way, which lets the
   ``dedup`` command hash a JSON Lines record's text without decoding the line;
2. shingles: every run of ``SHINGLE_WORDS`` consecutive token hashes combined
   order-sensitively into one well-mixed 64-bit hash (fewer words: one shingle of all);
3. signature: a *fast similarity sketch* (Dahlgaard, Knudsen and Thorup, 2017), a
   one-permutation MinHash: in round ``r`` each shingle's hash sends two balls to
   random bins, each with a value whose high bits are ``r``; a bin keeps its smallest
   value, and rounds stop as soon as every bin holds one (after round 0 for nearly
   every text of a few hundred words). Rounds ``num_perm .. 2*num_perm-1`` send each
   shingle to every bin in turn, so no bin stays empty. A bin's value is the minimum
   of random priorities that depend only on the shingle, so two signatures agree in a
   bin with probability the Jaccard similarity of their shingle sets, as with
   ``num_perm`` independent permutations, at the cost of about one hash per shingle
   instead of ``num_perm``.

Signatures made before this scheme (per-permutation multiply-shift hashes) are not
comparable with these: re-prepare stored articles.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Sequence

import numpy as np
from numba import njit, prange

NUM_PERM = 128
SHINGLE_WORDS = 5
EMPTY_VALUE = 0xFFFFFFFF
MAX_NUM_PERM = 1 << 15

_U64 = np.uint64
_FNV_BASIS = _U64(0xCBF29CE484222325)
_FNV_PRIME = _U64(0x100000001B3)
_GOLDEN = _U64(0x9E3779B97F4A7C15)
_MIX1 = _U64(0xBF58476D1CE4E5B9)
_MIX2 = _U64(0x94D049BB133111EB)

_BACKSLASH = 92
_QUOTE = 34
# Byte classes for the tokenizer: the lower-cased byte for an ASCII word character, 0 for
# a separator, _SPECIAL for what needs decoding (UTF-8 lead and continuation bytes; in
# JSON string bodies, the backslash of an escape).
_SPECIAL = 255


def _ascii_table(json_escapes: bool) -> np.ndarray:
    table = np.full(256, _SPECIAL, dtype=np.uint8)
    for byte in range(128):
        char = chr(byte)
        table[byte] = ord(char.lower()) if (char.isalnum() or char == "_") else 0
    if json_escapes:
        # Inside a JSON string: escapes, the closing quote and (invalid) raw control characters.
        table[_BACKSLASH] = _SPECIAL
        table[_QUOTE] = _SPECIAL
        table[:0x20] = _SPECIAL
    return table


_ASCII_PLAIN = _ascii_table(json_escapes=False)
_ASCII_JSON = _ascii_table(json_escapes=True)


@lru_cache(maxsize=1)
def word_fold_table() -> np.ndarray:
    """For each code point below 0x10000: its lower case if ``\\w`` matches it, else 0.

    Built from Python's own ``re`` and ``str.lower`` so the native tokenizer agrees with
    ``re.findall(r"\\w+", text.lower())`` on every Basic Multilingual Plane character.
    Read-only: it is a constant, shared by every call.
    """
    import re

    every_code_point = np.arange(0x10000, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    is_word = np.ones(0x10000, dtype=bool)
    for run in re.finditer(r"\W+", every_code_point):
        is_word[run.start():run.end()] = False
    # The one BMP letter whose lower case is two code points (U+0130, I with dot above):
    # fold it to plain i, as a one-to-one table must.
    lowered = every_code_point.replace("\u0130", "i").lower()
    folded = np.frombuffer(lowered.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    table = np.where(is_word, folded, 0).astype(np.uint32)
    table.flags.writeable = False
    return table


# --- the native kernels --------------------------------------------------------------


@njit(cache=True, nogil=True, inline="always")
def _mix64(z):
    # splitmix64's finaliser: every input bit affects every output bit.
    z = (z ^ (z >> _U64(30))) * _MIX1
    z = (z ^ (z >> _U64(27))) * _MIX2
    return z ^ (z >> _U64(31))


@njit(cache=True, nogil=True)
def _utf8_code_point(buf, i, end):
    """(code point, byte length) of the UTF-8 sequence at ``buf[i]`` (a byte >= 0x80);
    length 0 when it is not valid UTF-8 (as strict as Python's decoder, but for surrogates)."""
    lead = np.int64(buf[i])
    if lead < 0xC2:
        return 0, 0
    if lead < 0xE0:
        if i + 1 >= end:
            return 0, 0
        b1 = np.int64(buf[i + 1])
        if (b1 & 0xC0) != 0x80:
            return 0, 0
        return ((lead & 0x1F) << 6) | (b1 & 0x3F), 2
    if lead < 0xF0:
        if i + 2 >= end:
            return 0, 0
        b1 = np.int64(buf[i + 1])
        b2 = np.int64(buf[i + 2])
        if (b1 & 0xC0) != 0x80 or (b2 & 0xC0) != 0x80:
            return 0, 0
        cp = ((lead & 0x0F) << 12) | ((b1 & 0x3F) << 6) | (b2 & 0x3F)
        if cp < 0x800:
            return 0, 0  # overlong (encoded surrogates are let through: str.encode("surrogatepass") makes them)
        return cp, 3
    if lead < 0xF5:
        if i + 3 >= end:
            return 0, 0
        b1 = np.int64(buf[i + 1])
        b2 = np.int64(buf[i + 2])
        b3 = np.int64(buf[i + 3])
        if (b1 & 0xC0) != 0x80 or (b2 & 0xC0) != 0x80 or (b3 & 0xC0) != 0x80:
            return 0, 0
        cp = ((lead & 0x07) << 18) | ((b1 & 0x3F) << 12) | ((b2 & 0x3F) << 6) | (b3 & 0x3F)
        if cp < 0x10000 or cp > 0x10FFFF:
            return 0, 0
        return cp, 4
    return 0, 0


@njit(cache=True, nogil=True)
def _hex4(buf, i, end):
    """The value of four hex digits at ``buf[i:i+4]``, or -1."""
    if i + 4 > end:
        return -1
    value = 0
    for k in range(4):
        c = np.int64(buf[i + k])
        if 48 <= c <= 57:
            digit = c - 48
        elif 97 <= c <= 102:
            digit = c - 87
        elif 65 <= c <= 70:
            digit = c - 55
        else:
            return -1
        value = value * 16 + digit
    return value


@njit(cache=True, nogil=True)
def _fold(cp, fold):
    """The lower-cased code point when it is a word character, else 0."""
    if cp < 0x10000:
        return np.int64(fold[cp])
    # Beyond the BMP: emoji and symbol blocks separate words, the rest
    # (historic scripts, CJK extensions) are letters without case.
    if 0x1F000 <= cp < 0x1FB00:
        return 0
    return cp


@njit(cache=True, nogil=True)
def _slow_character(buf, i, end, fold):
    """(word character or 0, bytes consumed) at a byte the ASCII table marks special: a
    UTF-8 sequence or, in a JSON string body, a backslash escape, a quote or a control
    character. Consumed is 0 for bytes that are not valid there and -1 at the quote that
    ends a JSON string."""
    b = np.int64(buf[i])
    if b >= 0x80:
        cp, length = _utf8_code_point(buf, i, end)
        if length == 0:
            return 0, 0
        return _fold(cp, fold), length
    if b == _QUOTE:
        return 0, -1
    if b != _BACKSLASH or i + 1 >= end:
        return 0, 0  # a raw control character, or a backslash with nothing after it
    e = np.int64(buf[i + 1])
    if e != 117:
        # \" \\ \/ \b \f \n \r \t: none of them is a word character.
        if e == 34 or e == 92 or e == 47 or e == 98 or e == 102 or e == 110 or e == 114 or e == 116:
            return 0, 2
        return 0, 0
    cp = _hex4(buf, i + 2, end)
    if cp < 0:
        return 0, 0
    used = 6
    if 0xD800 <= cp < 0xDC00 and i + 12 <= end and buf[i + 6] == _BACKSLASH and buf[i + 7] == 117:
        low = _hex4(buf, i + 8, end)
        if 0xDC00 <= low < 0xE000:
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00)
            used = 12
    return _fold(cp, fold), used


@njit(cache=True, nogil=True)
def _tokens_into(buf, start, end, json_string, fold, out):
    """Hash the words of ``buf[start:end]`` into ``out`` (which must hold
    (end - start) // 2 + 2 values). Returns (word count, stop): the count is -1 when the
    bytes are not valid UTF-8; with ``json_string`` the span is read as the body of a
    JSON string, escapes decoded, up to its closing quote, whose index is ``stop``
    (``end`` when there is none; -1 count for a raw control character or a bad escape).

    The loop is branch-free for ASCII (a byte's class comes from a 256-entry table and
    a word's end is a conditional increment), because a branch at every word boundary
    would be mispredicted about once per word. Within a word the running hash is a
    rotate-and-xor (no multiply on the per-byte critical path); each word's hash is
    mixed once afterwards.
    """
    table = _ASCII_JSON if json_string else _ASCII_PLAIN
    count = 0
    h = _U64(0)
    was_word = 0
    i = start
    while i < end:
        c = np.int64(table[buf[i]])
        if c == _SPECIAL:
            c, used = _slow_character(buf, i, end, fold)
            if used == 0:
                return -1, i
            if used < 0:
                break
            i += used
        else:
            i += 1
        is_word = np.int64(c != 0)
        out[count] = h
        count += was_word & (1 - is_word)
        h = (((h << _U64(8)) | (h >> _U64(56))) ^ _U64(c)) & (_U64(0) - _U64(is_word))
        was_word = is_word
    if was_word:
        out[count] = h
        count += 1
    for k in range(count):
        out[k] = _mix64(out[k])
    return count, i


@njit(cache=True, nogil=True)
def _shingles_in_place(tokens, count, width):
    """Replace ``tokens[:count]`` by the hashes of its runs of ``width`` tokens (all of
    them when fewer); returns how many. In place: shingle i only reads tokens >= i."""
    if count == 0:
        return 0
    if width > count:
        width = count
    shingles = count - width + 1
    for i in range(shingles):
        acc = _U64(width)
        for k in range(width):
            # Rotate between words so "a b" and "b a" differ.
            acc = ((acc << _U64(23)) | (acc >> _U64(41))) ^ tokens[i + k]
        tokens[i] = _mix64(acc * _GOLDEN)
    return shingles


@njit(cache=True, nogil=True)
def _sketch_into(shingles, count, num_perm, value_shift, out):
    """The fast similarity sketch of ``shingles[:count]`` into ``out[:num_perm]`` (uint32).

    Each 64-bit hash makes two balls, each a 16-bit bin draw and a 16-bit value, so one
    hash per shingle fills all bins of a 4 KB text in round 0 but about 2% of the time.
    A bin's value is (round << value_shift) | 16 random bits: two different shingles tie
    in a bin with probability 2**-16, which moves an estimate by about that much.
    """
    for k in range(num_perm):
        out[k] = EMPTY_VALUE
    if count == 0:
        return
    n_bins = _U64(num_perm)
    low16 = _U64(0xFFFF)
    for rnd in range(2 * num_perm):
        prefix = _U64(rnd) << _U64(value_shift)
        salt = _U64(rnd) * _GOLDEN
        for i in range(count):
            s = shingles[i]
            h = s if rnd == 0 else _mix64(s ^ salt)
            if rnd < num_perm:
                slot = (((h >> _U64(48)) & low16) * n_bins) >> _U64(16)
                out[slot] = min(out[slot], np.uint32(prefix | ((h >> _U64(32)) & low16)))
                slot = (((h >> _U64(16)) & low16) * n_bins) >> _U64(16)
                out[slot] = min(out[slot], np.uint32(prefix | (h & low16)))
            else:
                # Later rounds walk each shingle through every bin once, from its round-0 bin.
                slot = ((((s >> _U64(48)) & low16) * n_bins >> _U64(16)) + _U64(rnd)) % n_bins
                out[slot] = min(out[slot], np.uint32(prefix | (h & low16)))
        filled = True
        for k in range(num_perm):
            if out[k] == EMPTY_VALUE:
                filled = False
                break
        if filled:
            return


@njit(cache=True, nogil=True)
def _signature_of_span(buf, start, end, json_escapes, fold, num_perm, width, value_shift, scratch, out):
    """Tokens, shingles and sketch of one byte span; returns the token count (-1: bad bytes)."""
    tokens, _ = _tokens_into(buf, start, end, json_escapes, fold, scratch)
    if tokens < 0:
        for k in range(num_perm):
            out[k] = EMPTY_VALUE
        return tokens
    signature_of_tokens(scratch, tokens, num_perm, width, value_shift, out)
    return tokens


@njit(cache=True, nogil=True)
def signature_of_tokens(tokens, count, num_perm, width, value_shift, out):
    """Shingles and sketch of the token hashes ``tokens[:count]`` (overwritten) into ``out``."""
    shingles = _shingles_in_place(tokens, count, width)
    _sketch_into(tokens, shingles, num_perm, value_shift, out)


@njit(cache=True, nogil=True, parallel=True)
def _signatures_of_spans(buf, starts, ends, json_escapes, fold, num_perm, width, value_shift, out, token_counts):
    """Signatures of many spans of one buffer, in parallel over blocks of spans."""
    n = starts.shape[0]
    if n == 0:
        return
    blocks = min(n, 64)
    for block in prange(blocks):
        lo = block * n // blocks
        hi = (block + 1) * n // blocks
        longest = 0
        for d in range(lo, hi):
            longest = max(longest, ends[d] - starts[d])
        scratch = np.empty(longest // 2 + 2, dtype=np.uint64)
        for d in range(lo, hi):
            token_counts[d] = _signature_of_span(buf, starts[d], ends[d], json_escapes, fold, num_perm, width,
                                                 value_shift, scratch, out[d])


@njit(cache=True, nogil=True)
def _tokens_array(buf, fold):
    scratch = np.empty(buf.shape[0] // 2 + 2, dtype=np.uint64)
    count, _ = _tokens_into(buf, 0, buf.shape[0], False, fold, scratch)
    return scratch[:max(count, 0)].copy()


@njit(cache=True, nogil=True)
def _shingles_array(tokens, width):
    scratch = tokens.copy()
    count = _shingles_in_place(scratch, tokens.shape[0], width)
    return scratch[:count]


# --- the public functions -------------------------------------------------------------


def value_shift_for(num_perm: int) -> int:
    """Bits left for the random part of a bin's value once the round number is stored above it."""
    check_num_perm(num_perm)
    round_bits = max(1, math.ceil(math.log2(2 * num_perm)))
    return 32 - round_bits


def check_num_perm(num_perm: int) -> None:
    if not 1 <= num_perm <= MAX_NUM_PERM:
        raise ValueError(f"num_perm must be between 1 and {MAX_NUM_PERM}, got {num_perm}")


def _utf8(text: str) -> np.ndarray:
    # surrogatepass: a lone surrogate (possible in JSON input) hashes like any other letter-less character.
    return np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)


def token_hashes(text: str) -> np.ndarray:
    """64-bit hashes of the text's words (``\\w+``, lower-cased), in order."""
    return _tokens_array(_utf8(text), word_fold_table())


def shingle_hashes(tokens: np.ndarray, width: int = SHINGLE_WORDS) -> np.ndarray:
    """The distinct 64-bit hashes of every run of ``width`` consecutive tokens (one run of
    all tokens when the text is shorter), sorted."""
    if width < 1:
        raise ValueError(f"shingle width must be at least 1, got {width}")
    return np.unique(_shingles_array(np.ascontiguousarray(tokens, dtype=np.uint64), width))


def minhash(text: str, num_perm: int = NUM_PERM) -> np.ndarray:
    """A uint32 MinHash signature of the text's word shingles; all 0xFFFFFFFF for a text with no words."""
    data = _utf8(text)
    out = np.empty(num_perm, dtype=np.uint32)
    # One text: the serial kernel, without starting a parallel region for it.
    _signature_of_span(data, 0, len(data), False, word_fold_table(), num_perm, SHINGLE_WORDS,
                       value_shift_for(num_perm), np.empty(len(data) // 2 + 2, dtype=np.uint64), out)
    return out


def signatures(texts: Sequence[str], num_perm: int = NUM_PERM) -> np.ndarray:
    """MinHash signatures of many texts at once, one uint32 row each (computed in parallel)."""
    encoded = [text.encode("utf-8", "surrogatepass") for text in texts]
    lengths = np.fromiter((len(data) for data in encoded), dtype=np.int64, count=len(encoded))
    ends = np.cumsum(lengths)
    buffer = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    out = np.empty((len(encoded), num_perm), dtype=np.uint32)
    signatures_of_spans(buffer, ends - lengths, ends, out, json_escapes=False)
    return out


def signatures_of_spans(buffer: np.ndarray, starts: np.ndarray, ends: np.ndarray, out: np.ndarray, *,
                        json_escapes: bool = False, width: int = SHINGLE_WORDS) -> np.ndarray:
    """Signatures of the byte spans ``buffer[starts[i]:ends[i]]`` (UTF-8; with ``json_escapes``
    the bodies of JSON strings) into ``out`` (uint32, one row per span, ``num_perm`` columns).

    Returns each span's word count: 0 for a span without words (its row is all
    0xFFFFFFFF), -1 for one that is not valid UTF-8 or JSON string text.
    """
    num_perm = out.shape[1]
    counts = np.empty(len(starts), dtype=np.int64)
    _signatures_of_spans(buffer, np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64),
                         json_escapes, word_fold_table(), num_perm, width, value_shift_for(num_perm), out, counts)
    return counts


# --- JSON Lines records, parsed natively ---------------------------------------------
# These kernels live here, next to the tokenizer they call, on purpose: numba's cache
# checks only the source file of the function it loads, so a kernel in another module
# would keep running an old copy of the tokenizer after this file changed.

JSONL_OK, JSONL_BLANK, JSONL_FALLBACK = 0, 1, 2

_OK, _BLANK, _FALLBACK = JSONL_OK, JSONL_BLANK, JSONL_FALLBACK
# What a text key holds in a record (the last occurrence of the key counts, as in a dict).
_ABSENT, _NONEMPTY_STRING, _EMPTY, _OTHER = 0, 1, 2, 3
# What a non-string value is.
_BAD, _INTEGER, _NUMBER, _LITERAL, _NULL, _EMPTY_CONTAINER, _CONTAINER = 0, 1, 2, 3, 4, 5, 6


@njit(cache=True, nogil=True, inline="always")
def _skip_ws(buf, i, end):
    while i < end:
        b = buf[i]
        if b == 32 or b == 10 or b == 13 or b == 9:
            i += 1
        else:
            break
    return i


@njit(cache=True, nogil=True)
def _string_end(buf, i, end):
    """(index after the closing quote, whether it holds an escape) of the JSON string at
    ``buf[i]`` (a quote); (-1, False) when it is not valid JSON text."""
    i += 1
    escaped = False
    while i < end:
        b = buf[i]
        if b == 34:
            return i + 1, escaped
        if b == 92:
            escaped = True
            if i + 1 >= end:
                return -1, False
            e = buf[i + 1]
            if e == 117:
                if _hex4(buf, i + 2, end) < 0:
                    return -1, False
                i += 6
            elif e == 34 or e == 92 or e == 47 or e == 98 or e == 102 or e == 110 or e == 114 or e == 116:
                i += 2
            else:
                return -1, False
        elif b < 0x20:
            return -1, False
        elif b < 0x80:
            i += 1
        else:
            _, length = _utf8_code_point(buf, i, end)
            if length == 0:
                return -1, False
            i += length
    return -1, False


@njit(cache=True, nogil=True)
def _number_end(buf, i, end):
    """(end, _INTEGER or _NUMBER) of a JSON number at ``buf[i]``; (-1, _BAD) if none."""
    if buf[i] == 45:  # -
        i += 1
    if i >= end:
        return -1, _BAD
    if buf[i] == 48:  # a lone 0
        i += 1
    elif 49 <= buf[i] <= 57:
        while i < end and 48 <= buf[i] <= 57:
            i += 1
    else:
        return -1, _BAD
    kind = _INTEGER
    if i < end and buf[i] == 46:  # .
        i += 1
        start = i
        while i < end and 48 <= buf[i] <= 57:
            i += 1
        if i == start:
            return -1, _BAD
        kind = _NUMBER
    if i < end and (buf[i] == 101 or buf[i] == 69):  # e E
        i += 1
        if i < end and (buf[i] == 43 or buf[i] == 45):
            i += 1
        start = i
        while i < end and 48 <= buf[i] <= 57:
            i += 1
        if i == start:
            return -1, _BAD
        kind = _NUMBER
    return i, kind


@njit(cache=True, nogil=True)
def _literal_end(buf, i, end):
    b = buf[i]
    if b == 116 and i + 4 <= end and buf[i + 1] == 114 and buf[i + 2] == 117 and buf[i + 3] == 101:
        return i + 4, _LITERAL
    if (b == 102 and i + 5 <= end and buf[i + 1] == 97 and buf[i + 2] == 108 and buf[i + 3] == 115
            and buf[i + 4] == 101):
        return i + 5, _LITERAL
    if b == 110 and i + 4 <= end and buf[i + 1] == 117 and buf[i + 2] == 108 and buf[i + 3] == 108:
        return i + 4, _NULL
    return -1, _BAD


@njit(cache=True, nogil=True)
def _scalar_end(buf, i, end):
    b = buf[i]
    if b == 34:
        stop, _ = _string_end(buf, i, end)
        return stop, _LITERAL
    if b == 45 or 48 <= b <= 57:
        return _number_end(buf, i, end)
    return _literal_end(buf, i, end)


@njit(cache=True, nogil=True)
def _value_end(buf, i, end):
    """(end, kind) of the JSON value (not a string) at ``buf[i]``; nesting up to 60 levels
    is followed with a bit stack (1 = object), deeper values are left to Python."""
    b = buf[i]
    if b != 123 and b != 91:
        return _scalar_end(buf, i, end)
    stack = np.uint64(0)
    depth = 0
    outer_empty = True
    # States: 0 just opened, 1 expect a key, 2 expect a value, 3 after a value.
    state = 0
    stack = (stack << np.uint64(1)) | np.uint64(1 if b == 123 else 0)
    depth = 1
    i += 1
    while True:
        i = _skip_ws(buf, i, end)
        if i >= end:
            return -1, _BAD
        b = buf[i]
        in_object = (stack & np.uint64(1)) == np.uint64(1)
        if state == 0:
            if (in_object and b == 125) or (not in_object and b == 93):
                i += 1
                depth -= 1
                stack >>= np.uint64(1)
                if depth == 0:
                    return i, _EMPTY_CONTAINER
                state = 3
                continue
            if depth == 1:
                outer_empty = False
            state = 1 if in_object else 2
            continue
        if state == 1:
            if b != 34:
                return -1, _BAD
            i, _ = _string_end(buf, i, end)
            if i < 0:
                return -1, _BAD
            i = _skip_ws(buf, i, end)
            if i >= end or buf[i] != 58:  # :
                return -1, _BAD
            i += 1
            state = 2
            continue
        if state == 2:
            if b == 123 or b == 91:
                if depth >= 60:
                    return -1, _BAD
                stack = (stack << np.uint64(1)) | np.uint64(1 if b == 123 else 0)
                depth += 1
                i += 1
                state = 0
                continue
            i, kind = _scalar_end(buf, i, end)
            if i < 0:
                return -1, _BAD
            state = 3
            continue
        # state 3: after a value
        if b == 44:  # ,
            i += 1
            state = 1 if in_object else 2
            continue
        if (in_object and b == 125) or (not in_object and b == 93):
            i += 1
            depth -= 1
            stack >>= np.uint64(1)
            if depth == 0:
                return i, (_EMPTY_CONTAINER if outer_empty else _CONTAINER)
            continue
        return -1, _BAD


@njit(cache=True, nogil=True)
def _text_key_index(buf, start, end, keys, offsets):
    length = end - start
    for k in range(offsets.shape[0] - 1):
        if offsets[k + 1] - offsets[k] != length:
            continue
        same = True
        for t in range(length):
            c = buf[start + t]
            if 65 <= c <= 90:
                c += 32
            if c != keys[offsets[k] + t]:
                same = False
                break
        if same:
            return k
    return -1


@njit(cache=True, nogil=True)
def _record_signature(buf, start, end, keys, offsets, fold, num_perm, width, value_shift, scratch, kinds,
                      value_starts, out):
    """Parse one JSON Lines record and, when it is a plain article object, write the
    signature of its text to ``out``. Returns (status, id start, id end): _OK, _BLANK, or
    _FALLBACK for anything Python should look at (bad JSON, a text that is not a plain
    string, an id that needs decoding, no words)."""
    i = _skip_ws(buf, start, end)
    if i >= end:
        return _BLANK, -1, -1
    if buf[i] != 123:
        return _FALLBACK, -1, -1
    kinds[:] = _ABSENT
    id_start = -1
    id_end = -1
    id_needs_python = False
    inline_start = -1
    inline_count = 0
    i = _skip_ws(buf, i + 1, end)
    if i < end and buf[i] == 125:
        return _FALLBACK, -1, -1
    while True:
        if i >= end or buf[i] != 34:
            return _FALLBACK, -1, -1
        key_stop, key_escaped = _string_end(buf, i, end)
        if key_stop < 0 or key_escaped:
            return _FALLBACK, -1, -1
        key_start = i + 1
        key_end = key_stop - 1
        i = _skip_ws(buf, key_stop, end)
        if i >= end or buf[i] != 58:
            return _FALLBACK, -1, -1
        i = _skip_ws(buf, i + 1, end)
        if i >= end:
            return _FALLBACK, -1, -1
        which = _text_key_index(buf, key_start, key_end, keys, offsets)
        is_id = key_end - key_start == 2 and buf[key_start] == 105 and buf[key_start + 1] == 100
        if buf[i] == 34:
            value_start = i
            if which >= 0 and inline_start < 0 and i + 1 < end and buf[i + 1] != 34:
                # The first non-empty text seen is tokenised while it is scanned: in the usual
                # record it is the one chosen, and its bytes are read once.
                count, stop = _tokens_into(buf, i + 1, end, True, fold, scratch)
                if count < 0 or stop >= end:
                    return _FALLBACK, -1, -1
                inline_start = i
                inline_count = count
                value_stop = stop + 1
                escaped = True
            else:
                value_stop, escaped = _string_end(buf, i, end)
                if value_stop < 0:
                    return _FALLBACK, -1, -1
            if which >= 0:
                kinds[which] = _NONEMPTY_STRING if value_stop - value_start > 2 else _EMPTY
                value_starts[which] = value_start
            if is_id:
                id_start, id_end, id_needs_python = -1, -1, False
                if escaped:
                    id_needs_python = True
                else:
                    a = value_start + 1
                    b = value_stop - 1
                    while a < b and buf[a] == 32:
                        a += 1
                    while b > a and buf[b - 1] == 32:
                        b -= 1
                    if a < b and (buf[a] >= 0x80 or buf[b - 1] >= 0x80):
                        id_needs_python = True  # str.strip() also strips non-ASCII spaces
                    elif a < b:
                        id_start, id_end = a, b
        else:
            value_start = i
            value_stop, kind = _value_end(buf, i, end)
            if value_stop < 0:
                return _FALLBACK, -1, -1
            if which >= 0:
                kinds[which] = _EMPTY if (kind == _NULL or kind == _EMPTY_CONTAINER) else _OTHER
            if is_id:
                id_start, id_end, id_needs_python = -1, -1, False
                if kind == _NUMBER or (kind == _INTEGER and buf[value_start] == 45 and buf[value_start + 1] == 48):
                    id_needs_python = True  # Python prints 1.50 as 1.5 and -0 as 0
                elif kind == _INTEGER:
                    id_start, id_end = value_start, value_stop
        i = _skip_ws(buf, value_stop, end)
        if i >= end:
            return _FALLBACK, -1, -1
        if buf[i] == 44:
            i = _skip_ws(buf, i + 1, end)
            continue
        if buf[i] == 125:
            i = _skip_ws(buf, i + 1, end)
            break
        return _FALLBACK, -1, -1
    if i != end or id_needs_python:
        return _FALLBACK, -1, -1
    chosen = -1
    for k in range(kinds.shape[0]):
        if kinds[k] == _NONEMPTY_STRING:
            chosen = k
            break
        if kinds[k] == _OTHER:
            return _FALLBACK, -1, -1
    if chosen < 0:
        return _FALLBACK, -1, -1
    if value_starts[chosen] == inline_start:
        count = inline_count
    else:
        count, _ = _tokens_into(buf, value_starts[chosen] + 1, end, True, fold, scratch)
    if count <= 0:
        return _FALLBACK, -1, -1
    signature_of_tokens(scratch, count, num_perm, width, value_shift, out)
    return _OK, id_start, id_end


@njit(cache=True, nogil=True, parallel=True)
def _jsonl_signatures_kernel(buf, starts, ends, keys, offsets, fold, num_perm, width, value_shift, out, status,
                      id_starts, id_ends):
    n = starts.shape[0]
    if n == 0:
        return
    blocks = min(n, 64)
    for block in prange(blocks):
        lo = block * n // blocks
        hi = (block + 1) * n // blocks
        longest = 0
        for d in range(lo, hi):
            longest = max(longest, ends[d] - starts[d])
        scratch = np.empty(longest // 2 + 2, dtype=np.uint64)
        kinds = np.empty(offsets.shape[0] - 1, dtype=np.int64)
        value_starts = np.empty(offsets.shape[0] - 1, dtype=np.int64)
        for d in range(lo, hi):
            state, id_start, id_end = _record_signature(buf, starts[d], ends[d], keys, offsets, fold, num_perm,
                                                        width, value_shift, scratch, kinds, value_starts, out[d])
            status[d] = state
            id_starts[d] = id_start
            id_ends[d] = id_end


def jsonl_signatures(buffer: np.ndarray, starts: np.ndarray, ends: np.ndarray, text_keys: Sequence[str],
                     out: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Signatures of the text of JSON Lines records ``buffer[starts[i]:ends[i]]`` into ``out``.

    ``text_keys``: the keys that may hold the text, in order of preference, matched
    case-insensitively (the last occurrence of a key counts, as in a dict). Returns
    (status, id start, id end) per line: ``JSONL_OK`` with the byte span of a plain ``id``
    (a string without escapes, stripped of spaces, or an integer; -1 when there is none),
    ``JSONL_BLANK`` for a blank line, ``JSONL_FALLBACK`` for a line to hand to Python: not
    valid JSON, not an object, no text, a text or id that is not plain, or no words.
    """
    encoded = [key.lower().encode("ascii") for key in text_keys]
    keys = np.frombuffer(b"".join(encoded), dtype=np.uint8).copy()
    offsets = np.cumsum([0] + [len(key) for key in encoded]).astype(np.int64)
    count = len(starts)
    status = np.empty(count, dtype=np.int64)
    id_starts = np.empty(count, dtype=np.int64)
    id_ends = np.empty(count, dtype=np.int64)
    num_perm = out.shape[1]
    _jsonl_signatures_kernel(buffer, np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64), keys,
                             offsets, word_fold_table(), num_perm, SHINGLE_WORDS, value_shift_for(num_perm), out,
                             status, id_starts, id_ends)
    return status, id_starts, id_ends


def estimated_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    return float(np.mean(sig_a == sig_b))


def estimate_std(jaccard: float, num_perm: int = NUM_PERM) -> float:
    """Standard deviation of a signature's Jaccard estimate (binomial; the sketch's bins
    are drawn without replacement, so for long texts it is a little lower)."""
    return math.sqrt(max(jaccard * (1.0 - jaccard), 0.0) / num_perm)


def candidate_probability(jaccard: float, bands: int, rows: int) -> float:
    """The chance that LSH with ``bands`` x ``rows`` makes a pair of this Jaccard a candidate."""
    return 1.0 - (1.0 - jaccard ** rows) ** bands


def lsh_bands(threshold: float, num_perm: int = NUM_PERM, *, recall: float = 0.99) -> tuple[int, int]:
    """Bands and rows for finding pairs whose Jaccard similarity is at least ``threshold``.

    Candidates are verified against their estimated similarity afterwards, so an extra
    candidate costs one comparison while a missed one is lost for good. The layout must
    therefore make a candidate, with probability ``recall``, of every pair that
    verification keeps with high probability: pairs two standard deviations of the
    estimate above the threshold (0.588 for 0.5 with 128 values, so every pair of
    Jaccard 0.6 or more is found with probability 0.99 or more). Among the layouts that
    do, the one with the fewest candidates below the threshold (the area under its
    S-curve there) wins; when none does, one row per band, the most sensitive layout.
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"similarity threshold must be between 0 and 1 (exclusive), got {threshold}")
    if not 0.0 < recall < 1.0:
        raise ValueError(f"recall must be between 0 and 1 (exclusive), got {recall}")
    check_num_perm(num_perm)
    must_find = min(1.0, threshold + 2.0 * estimate_std(threshold, num_perm))
    below = np.linspace(0.0, threshold, 101)
    best, best_cost = (num_perm, 1), float("inf")
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if candidate_probability(must_find, bands, rows) < recall:
            continue
        curve = 1.0 - (1.0 - below ** rows) ** bands
        cost = float(np.trapezoid(curve, below))
        if cost < best_cost:
            best, best_cost = (bands, rows), cost
    return best
