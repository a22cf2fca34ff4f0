"""Text that is safe to print on one terminal line: what every message about user input goes through.

Titles, outlets, file names and reasons come from the input. Printed raw, an escape
sequence clears the screen or retitles the window, a newline forges an extra
``skipped`` line, and a 60 MB "first line" floods the terminal. ``one_line`` escapes
control and format characters (and lone surrogates, which cannot be encoded) and clips.
"""

from __future__ import annotations

import re

__all__ = ["MESSAGE_CHARS", "is_encodable", "one_line", "safe_text"]

# Longest reason or name printed in one message; enough for any path or parser message.
MESSAGE_CHARS = 300

# C0 and C1 controls (tab and newline included: one message is one line), DEL,
# bidirectional overrides and isolates (they reorder what follows), line and paragraph
# separators, and lone surrogates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    if char == "\n":
        return "\\n"
    if char == "\t":
        return "\\t"
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_text(text: object) -> str:
    """``text`` with every unsafe character escaped (``\\x1b``, ``\\n``), not clipped: for table cells."""
    return _UNSAFE.sub(_escape, str(text))


def one_line(text: object, limit: int = MESSAGE_CHARS) -> str:
    """``text`` as one printable line of at most about ``limit`` characters (clipped with an ellipsis)."""
    value = str(text)
    # Clip before escaping so a huge value costs only ``limit`` characters of work.
    clipped = len(value) > limit
    escaped = safe_text(value[:limit])
    if len(escaped) > limit:
        escaped, clipped = escaped[:limit], True
    return escaped + "…" if clipped else escaped


def is_encodable(text: str) -> bool:
    """Whether ``text`` is valid Unicode that UTF-8 (and so SQLite) can store: no lone surrogates."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True

