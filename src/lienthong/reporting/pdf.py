"""The report as a PDF for the unit head's PAdES signature, written with pyHanko's writer.

The text keeps its Vietnamese diacritics: it is set in the embedded DejaVu Serif of
:mod:`lienthong.fonts` (the first line, the title, in bold), and a line too long for the
page is wrapped at a space.
"""

from __future__ import annotations

from collections.abc import Sequence

from lienthong.fonts.canvas import PAGE_WIDTH, Canvas, wrap

MARGIN_LEFT, MARGIN_RIGHT, TOP = 56, 42, 790
LEADING = 15
LINES_PER_PAGE = 48
TITLE_SIZE, TEXT_SIZE = 13, 11


def render_lines(lines: Sequence[str]) -> bytes:
    """A PDF of A4 pages with ``lines`` of text (the first one as a title, in bold)."""
    canvas = Canvas()
    width = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    laid: list[tuple[bool, int, str]] = []
    for index, line in enumerate(lines):
        bold, size = (True, TITLE_SIZE) if index == 0 else (False, TEXT_SIZE)
        engine = canvas.bold if bold else canvas.regular
        laid += [(bold, size, part) for part in wrap(line, engine, size, width)]
    for index, (bold, size, text) in enumerate(laid):
        if index and index % LINES_PER_PAGE == 0:
            canvas.new_page()
        y = TOP - LEADING * (index % LINES_PER_PAGE)
        if text:
            canvas.text(MARGIN_LEFT, y, text, size=size, bold=bold)
    return canvas.pdf()
