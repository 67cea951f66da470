"""Exports opened in a spreadsheet program never run what a sender typed (formula injection).

Text that reached the hub from outside (a document's subject, an agency's or a person's name,
a report's text) may begin with ``=``, ``+``, ``-`` or ``@``: a spreadsheet program reads such a
CSV field, or an XLSX cell written as a formula, as a formula to compute (``=HYPERLINK(...)``,
``=cmd|'/c calc'!A0``). The hub's exports write no formula of their own, so:

* XLSX: every cell is written as a value; a text beginning with ``=`` is kept as text
  (:func:`xlsx_bytes`), shown exactly as it was typed;
* CSV: a text field beginning with one of those characters (or a tab or carriage return) is
  prefixed with an apostrophe (:func:`csv_field`), as OWASP recommends.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_field(value: Any) -> Any:
    """``value`` for a CSV export: text that a spreadsheet would compute gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def xlsx_bytes(book: Workbook) -> bytes:
    """The workbook saved, each cell that openpyxl took for a formula written as text."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
