"""Stage: timeline, dated happenings from explicit and relative time expressions.

1. Find time expressions in each sentence of the story's articles with a small
   English regex grammar (explicit dates, months, years, weekdays, relative
   days and periods). A grammar rather than ``dateparser.search_dates``:
   that one reads the modal "may", "now" or "day" as dates.
2. Resolve each expression against its article's publication date. An
   undated article borrows the date of an explicitly dated article that
   carries the same aligned claim; otherwise the phrase is kept with no date.
   Nothing is guessed: a relative phrase with no anchor stays unresolved, and
   a vague range gets the coarsest precision that is still true (or none).
3. Group the expressions of different articles that resolve to the same date
   and say the same thing (similar sentences, or the same aligned claim) into
   one entry, and sort the entries by date.

Captions with a full sentence count as dated facts (a photo caption saying
"On January 13, 2025, people waited outside the office" is evidence of that
day); datelines and other lines that are little more than the date do not.
"""

from .expressions import TimeExpression, find_time_expressions, looks_ahead, resolve
from .settings import TimelineSettings
from .stage import DEFAULT_SIMILARITY, build_timeline, publication_date

__all__ = ["DEFAULT_SIMILARITY", "TimeExpression", "build_timeline", "find_time_expressions", "looks_ahead",
           "publication_date", "resolve", "TimelineSettings"]
