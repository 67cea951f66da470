# mypy: disable-error-code="no-untyped-call"
"""The Unicode fonts embedded in every PDF the platform writes, as pyHanko font engines.

Vietnamese needs more than the 14 standard PDF fonts (WinAnsi has no ă, ơ, ư, đ nor the
stacked tone marks), so the text of reports, drafts and signature stamps is set in DejaVu
Serif (freely licensed, see ``LICENSE`` beside the font files; a serif face close to the
Times New Roman of Decree 30/2020/NĐ-CP Appendix I) and a subset of it is embedded.

The engine is pyHanko's own :class:`~pyhanko.pdf_utils.font.opentype.GlyphAccumulator`
(``pyHanko[opentype]``): HarfBuzz shapes the text, fontTools embeds the subset of the glyphs
used (a CIDFontType2 in FontFile2) with a ToUnicode map, so the text can be searched and
copied. It writes the font's widths (/W) and its TJ adjustments in the font's own units, which
PDF reads as thousandths of an em, so the font it is given is the shipped one scaled by
fontTools to 1000 units per em (:func:`font_program`). Give :func:`font_factory` to
``TextBoxStyle(font=...)`` (stamps) or call its ``create_font_engine`` on a writer (pages, see
:mod:`lienthong.fonts.canvas`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.writer import BasePdfFileWriter

FONT_DIR = Path(__file__).parent
REGULAR = "DejaVuSerif.ttf"
BOLD = "DejaVuSerif-Bold.ttf"
PDF_UNITS_PER_EM = 1000
_HINTING_TABLES = ("fpgm", "prep", "cvt ")  # TrueType hinting, in the original units


def font_path(*, bold: bool = False) -> Path:
    """The shipped font file (DejaVu Serif, or DejaVu Serif Bold)."""
    return FONT_DIR / (BOLD if bold else REGULAR)


@cache
def font_program(*, bold: bool = False) -> bytes:
    """The shipped font scaled to 1000 units per em by fontTools, without its hinting (whose
    instructions and control values are not scaled with it); made once per process."""
    font = TTFont(font_path(bold=bold))
    scale_upem(font, PDF_UNITS_PER_EM)
    for tag in (*_HINTING_TABLES, "FFTM"):  # FFTM: FontForge's timestamps, not subsettable
        if tag in font:
            del font[tag]
    glyphs = font["glyf"]
    for name in font.getGlyphOrder():
        glyphs[name].removeHinting()
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class ShippedFontFactory(FontEngineFactory):
    """pyHanko's glyph accumulator on :func:`font_program` (as pyHanko's
    ``GlyphAccumulatorFactory`` makes one on a font file): each engine it creates embeds its
    own subset when the PDF is written."""

    bold: bool = False

    def create_font_engine(
        self, writer: BasePdfFileWriter, obj_stream: Any = None
    ) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(
            writer, io.BytesIO(font_program(bold=self.bold)), 10, obj_stream=obj_stream
        )


def font_factory(*, bold: bool = False) -> ShippedFontFactory:
    """The font engine factory of the shipped regular (or bold) face."""
    return ShippedFontFactory(bold=bold)


__all__ = [
    "BOLD",
    "FONT_DIR",
    "REGULAR",
    "GlyphAccumulator",
    "ShippedFontFactory",
    "font_factory",
    "font_path",
    "font_program",
]
