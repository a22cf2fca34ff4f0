"""Text that is safe to print on one terminal line: what every message about user input goes through.

Titles, outlets, file names and reasons come from the input. Printed raw, an escape
sequence clears the screen or retitles the window, a newline forges an extra
``skipped`` line, and a 60 MB "first line" floods the terminal. ``one_line`` escapes
every character Python does not call printable (controls, newlines and tabs, format
characters such as bidirectional overrides, separators, lone surrogates) and clips.
"""

from __future__ import annotations

__all__ = ["MESSAGE_CHARS", "is_encodable", "one_line", "safe_text"]

# Longest reason or name printed in one message; enough for any path or parser message.
MESSAGE_CHARS = 300


def _escape(char: str) -> str:
    if char.isprintable():
        return char
    if char == "\n":
        return "\\n"
    if char == "\t":
        return "\\t"
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def safe_text(text: object) -> str:
    """``text`` with every non-printable character escaped (``\\x1b``, ``\\n``), not clipped: for table cells."""
    value = str(text)
    if value.isprintable():  # the common case, at C speed
        return value
    return "".join(map(_escape, value))


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

