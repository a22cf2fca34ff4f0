"""Quotations: quoted passages in curly or straight marks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from ..model import Span

QUOTE_PAIRS = re.compile(r"“([^“”\n]+)”|\"([^\"\n]+)\"")


@dataclass(frozen=True)
class QuoteSpan:
    """Quoted words (inside the marks) and who said them."""

    span: Span
    text: str
    speaker_text: Optional[str] = None
    speaker_span: Optional[Span] = None


def find_quotes(text: str, start: int = 0, end: Optional[int] = None) -> list[QuoteSpan]:
    """Quoted passages in ``text[start:end]`` (curly or straight marks), without their speaker."""
    end = len(text) if end is None else end
    quotes = []
    for match in QUOTE_PAIRS.finditer(text, start, end):
        group = 1 if match.group(1) is not None else 2
        qs, qe = match.span(group)
        inner = text[qs:qe]
        # Trim the punctuation that closes the quote inside the marks ("... the end," Lee said).
        stripped = inner.rstrip(" ,;:")
        lead = len(inner) - len(inner.lstrip())
        quotes.append(QuoteSpan(span=(qs + lead, qs + len(stripped)), text=stripped.strip()))
    return quotes

