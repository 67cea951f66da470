# mypy: disable-error-code="no-untyped-call"
"""A4 pages of placed text and lines, in the embedded fonts, written with pyHanko's writer."""

from __future__ import annotations

import io
import unicodedata
from enum import Enum

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import RawContent
from pyhanko.pdf_utils.writer import PdfFileWriter

from lienthong.fonts import GlyphAccumulator, font_factory

PAGE_WIDTH, PAGE_HEIGHT = 595.0, 842.0  # A4, points

_name = generic.NameObject


def text_width(engine: GlyphAccumulator, text: str, size: float) -> float:
    """The width of ``text`` (shaped by HarfBuzz) at ``size`` points."""
    shaped = engine.shape(unicodedata.normalize("NFC", text), with_actual_text=False)
    return float(shaped.x_advance) * size


def wrap(text: str, engine: GlyphAccumulator, size: float, width: float) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width`` points (a word longer than
    the line is cut); leading spaces (indentation) stay on the first line."""
    if text_width(engine, text, size) <= width:
        return [text]
    indent = text[: len(text) - len(text.lstrip(" "))]
    lines: list[str] = []
    current = indent
    for word in text.split():
        candidate = f"{current} {word}" if current.strip() else current + word
        if text_width(engine, candidate, size) <= width:
            current = candidate
            continue
        if current.strip():
            lines.append(current)
        current = indent + word
        while text_width(engine, current, size) > width and len(current) > len(indent) + 1:
            cut = len(current) - 1
            while cut > len(indent) + 1 and text_width(engine, current[:cut], size) > width:
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
        self._engines: dict[bool, GlyphAccumulator] = {}
        self._pages: list[list[bytes]] = [[]]

    def engine(self, *, bold: bool = False) -> GlyphAccumulator:
        """The page font's engine, created on first use (pyHanko cannot write a subset of no
        glyph, so a font never used is left out of the PDF)."""
        if bold not in self._engines:
            self._engines[bold] = font_factory(bold=bold).create_font_engine(self.writer)
        return self._engines[bold]

    @property
    def regular(self) -> GlyphAccumulator:
        return self.engine()

    @property
    def bold(self) -> GlyphAccumulator:
        return self.engine(bold=True)

    def width(self, text: str, size: float, *, bold: bool = False) -> float:
        return text_width(self.engine(bold=bold), text, size)

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
        engine = self.engine(bold=bold)
        text = unicodedata.normalize("NFC", text)
        if align is not Align.LEFT:
            shift = text_width(engine, text, size)
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
            {
                _name("/F2" if bold else "/F1"): engine.as_resource()
                for bold, engine in self._engines.items()
            }
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


__all__ = ["PAGE_HEIGHT", "PAGE_WIDTH", "Align", "Canvas", "text_width", "wrap"]
