"""Pure text rules shared by the domains: the folded form that searches compare, and numbers
written the Vietnamese way (``1.234.567,8``).

Vietnamese is typed with and without its diacritics ("Công văn", "cong van"), and SQLite's
``lower`` folds only ASCII letters while PostgreSQL's folds every letter. So a searchable
column holds the folded text, written with its row, and a search folds the query the same way:
both databases then compare plain lower-case text with ``LIKE`` and answer alike.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "like_pattern", "vn_figure", "vn_number"]

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


def vn_number(value: float | None, digits: int = 0) -> str:
    """``value`` with ``.`` between thousands and ``,`` before ``digits`` decimals."""
    if value is None:
        return ""
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def vn_figure(value: float | None, digits: int = 2) -> str:
    """A figure as a report shows it: at most ``digits`` decimals and none that are zero
    (``23.373.900``, ``98,5``, ``3,28``)."""
    text = vn_number(value, digits)
    return text.rstrip("0").rstrip(",") if "," in text else text
