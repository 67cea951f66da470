"""The report as a PDF for the unit head's PAdES signature, written with pyHanko's writer.

The text keeps its Vietnamese diacritics: it is set in the embedded DejaVu Serif of
:mod:`lienthong.fonts` (the first line, the title, in bold), and a line too long for the
page is wrapped at a space.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import RawContent
from pyhanko.pdf_utils.writer import PdfFileWriter

from lienthong.fonts import EmbeddedFont, EmbeddedFontFactory

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
MARGIN_LEFT, MARGIN_RIGHT, TOP = 56, 42, 790
LEADING = 15
LINES_PER_PAGE = 48
TITLE_SIZE, TEXT_SIZE = 13, 11

_name = generic.NameObject


def wrap(text: str, engine: EmbeddedFont, size: float, width: float) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width`` points (a word longer than
    the line is cut); leading spaces (indentation) stay on the first line."""
    if engine.width(text, size) <= width:
        return [text]
    indent = text[: len(text) - len(text.lstrip(" "))]
    lines: list[str] = []
    current = indent
    for word in text.split():
        candidate = f"{current} {word}" if current.strip() else current + word
        if engine.width(candidate, size) <= width:
            current = candidate
            continue
        if current.strip():
            lines.append(current)
        current = indent + word
        while engine.width(current, size) > width and len(current) > len(indent) + 1:
            cut = len(current) - 1
            while cut > len(indent) + 1 and engine.width(current[:cut], size) > width:
                cut -= 1
            lines.append(current[:cut])
            current = indent + current[cut:]
    if current.strip():
        lines.append(current)
    return lines


def render_lines(lines: Sequence[str]) -> bytes:
    """A PDF of A4 pages with ``lines`` of text (the first one as a title)."""
    writer = PdfFileWriter()
    regular = EmbeddedFontFactory().create_font_engine(writer)
    bold = EmbeddedFontFactory(bold=True).create_font_engine(writer)
    width = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    laid: list[tuple[EmbeddedFont, int, str]] = []
    for index, line in enumerate(lines):
        engine, size = (bold, TITLE_SIZE) if index == 0 else (regular, TEXT_SIZE)
        laid += [(engine, size, part) for part in wrap(line, engine, size, width)]
    pages = [laid[i : i + LINES_PER_PAGE] for i in range(0, max(len(laid), 1), LINES_PER_PAGE)]
    fonts = generic.DictionaryObject(
        {_name("/F1"): regular.as_resource(), _name("/F2"): bold.as_resource()}
    )
    for chunk in pages:
        ops = [f"BT {MARGIN_LEFT} {TOP} Td {LEADING} TL".encode()]
        for engine, size, text in chunk:
            name = "/F2" if engine is bold else "/F1"
            ops.append(f"{name} {size} Tf ".encode() + engine.shape(text).graphics_ops + b" T*")
        ops.append(b"ET")
        page = generic.DictionaryObject(
            {
                _name("/Type"): _name("/Page"),
                _name("/MediaBox"): generic.ArrayObject(
                    [generic.NumberObject(v) for v in (0, 0, PAGE_WIDTH, PAGE_HEIGHT)]
                ),
                _name("/Resources"): generic.DictionaryObject({_name("/Font"): fonts}),
                _name("/Contents"): writer.add_object(
                    generic.StreamObject(stream_data=RawContent(b"\n".join(ops)).render())
                ),
            }
        )
        writer.insert_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
