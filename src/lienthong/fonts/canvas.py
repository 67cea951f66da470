# mypy: disable-error-code="no-untyped-call"
"""A4 pages of placed text and lines, in the embedded fonts, written with pyHanko's writer."""

from __future__ import annotations

import io
from enum import Enum

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import RawContent
from pyhanko.pdf_utils.writer import PdfFileWriter

from lienthong.fonts import EmbeddedFont, EmbeddedFontFactory

PAGE_WIDTH, PAGE_HEIGHT = 595.0, 842.0  # A4, points

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


class Align(Enum):
    LEFT = "left"
    CENTRE = "centre"
    RIGHT = "right"


class Canvas:
    """Pages drawn one after the other: :meth:`text` and :meth:`line` draw on the current page,
    :meth:`new_page` starts the next one, :meth:`pdf` writes the document."""

    def __init__(self) -> None:
        self.writer = PdfFileWriter()
        self.regular: EmbeddedFont = EmbeddedFontFactory().create_font_engine(self.writer)
        self.bold: EmbeddedFont = EmbeddedFontFactory(bold=True).create_font_engine(self.writer)
        self._pages: list[list[bytes]] = [[]]

    def width(self, text: str, size: float, *, bold: bool = False) -> float:
        return (self.bold if bold else self.regular).width(text, size)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float = 13,
        bold: bool = False,
        align: Align = Align.LEFT,
    ) -> None:
        """``text`` on the baseline ``y``; ``x`` is its left end, centre or right end."""
        engine = self.bold if bold else self.regular
        if align is not Align.LEFT:
            shift = engine.width(text, size)
            x -= shift / 2 if align is Align.CENTRE else shift
        font = b"/F2" if bold else b"/F1"
        self._pages[-1].append(
            b"BT %s %.2f Tf %.2f %.2f Td %s ET"
            % (font, size, x, y, engine.shape(text).graphics_ops)
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, *, width: float = 0.6) -> None:
        self._pages[-1].append(b"%.2f w %.2f %.2f m %.2f %.2f l S" % (width, x1, y1, x2, y2))

    def new_page(self) -> None:
        self._pages.append([])

    def pdf(self) -> bytes:
        fonts = generic.DictionaryObject(
            {_name("/F1"): self.regular.as_resource(), _name("/F2"): self.bold.as_resource()}
        )
        for ops in self._pages:
            page = generic.DictionaryObject(
                {
                    _name("/Type"): _name("/Page"),
                    _name("/MediaBox"): generic.ArrayObject(
                        [generic.FloatObject(v) for v in (0, 0, PAGE_WIDTH, PAGE_HEIGHT)]
                    ),
                    _name("/Resources"): generic.DictionaryObject({_name("/Font"): fonts}),
                    _name("/Contents"): self.writer.add_object(
                        generic.StreamObject(stream_data=RawContent(b"\n".join(ops)).render())
                    ),
                }
            )
            self.writer.insert_page(page)
        out = io.BytesIO()
        self.writer.write(out)
        return out.getvalue()


__all__ = ["PAGE_HEIGHT", "PAGE_WIDTH", "Align", "Canvas", "wrap"]
