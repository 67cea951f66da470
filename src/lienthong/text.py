"""Pure text rules shared by the domains: the folded form that searches compare.

Vietnamese is typed with and without its diacritics ("Công văn", "cong van"), and SQLite's
``lower`` folds only ASCII letters while PostgreSQL's folds every letter. So a searchable
column holds the folded text, written with its row, and a search folds the query the same way:
both databases then compare plain lower-case text with ``LIKE`` and answer alike.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "like_pattern"]

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """``text`` as searches compare it: lower case, without diacritics (``ộ`` -> ``o``,
    ``Đ``/``đ`` -> ``d``, which Unicode does not decompose), each run of white space as one
    space, none at either end. Idempotent: ``fold(fold(x)) == fold(x)``."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", bare.replace("đ", "d")).strip()


def like_pattern(term: str) -> str:
    """``%term%`` for ``LIKE ... ESCAPE '\\'``, the term's own ``%``, ``_`` and ``\\`` escaped."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
