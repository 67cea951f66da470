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

from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.writer import BasePdfFileWriter

FONT_DIR = Path(__file__).parent
REGULAR = "DejaVuSerif.ttf"
BOLD = "DejaVuSerif-Bold.ttf"
PDF_UNITS_PER_EM = 1000
# The characters kept from the shipped fonts (a fifth of DejaVu's glyphs): Latin with every
# Vietnamese letter and tone mark, the Greek letters (symbols in technical texts), punctuation,
# the euro, №, arrows, the common mathematical signs and bullets.
# Every PDF written embeds a subset of these, and the time each embedding takes grows with the
# font's glyph count (pyHanko keeps glyph ids), so the font carries only what official
# documents use; a character outside it shows as the font's empty box.
REPERTOIRE = (
    (0x0020, 0x017F),  # Basic Latin, Latin-1, Latin Extended-A (ă đ ĩ ũ, European names)
    (0x01A0, 0x01B0),  # Latin Extended-B's Ơ ơ Ư ư (and the few letters between)
    (0x02C6, 0x02DD),  # spacing accents
    (0x0300, 0x0323),  # combining marks: the Vietnamese tone marks among them
    (0x0391, 0x03C9),  # the Greek letters
    (0x1EA0, 0x1EF9),  # Latin Extended Additional: the Vietnamese precomposed letters
    (0x2010, 0x2044),  # punctuation (– — ‘ ’ “ ” • … ‰ ′ ″ ‹ › ⁄)
    (0x20AC, 0x20AC),  # € (DejaVu has no ₫: documents write “đồng”)
    (0x2116, 0x2116),  # №
    (0x2122, 0x2122),  # ™
    (0x2190, 0x2193),  # arrows
    (0x2212, 0x2212),  # minus sign
    (0x2248, 0x2248),  # ≈
    (0x2260, 0x2265),  # ≠ ≤ ≥
    (0x25A0, 0x25A1),  # ■ □
    (0x25CB, 0x25CF),  # ○ ●
)
_LAYOUT_TABLES = ("GDEF", "GSUB", "GPOS")  # shaping: HarfBuzz reads them, the PDF does not


def font_path(*, bold: bool = False) -> Path:
    """The shipped font file (DejaVu Serif, or DejaVu Serif Bold)."""
    return FONT_DIR / (BOLD if bold else REGULAR)


@cache
def font_program(*, bold: bool = False) -> bytes:
    """The shipped font cut to :data:`REPERTOIRE` and scaled to 1000 units per em by
    fontTools, without its hinting (whose instructions and control values would not be scaled
    with it); made once per process."""
    font = TTFont(font_path(bold=bold))
    if "FFTM" in font:  # FontForge's timestamps, not subsettable
        del font["FFTM"]
    options = subset.Options()
    options.layout_features = ["*"]  # HarfBuzz places the stacked Vietnamese marks with them
    options.layout_closure = False  # no alternates reached only by substitution
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False  # drops fpgm, prep, cvt and each glyph's instructions
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for low, high in REPERTOIRE for c in range(low, high + 1)])
    subsetter.subset(font)
    scale_upem(font, PDF_UNITS_PER_EM)
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
        return _Accumulator(
            writer, io.BytesIO(font_program(bold=self.bold)), 10, obj_stream=obj_stream
        )


class _Accumulator(GlyphAccumulator):
    """pyHanko's glyph accumulator, minus the cost of reading layout tables it then drops.

    HarfBuzz shapes from the font's bytes; the fontTools copy is only subset and embedded, and
    pyHanko's subset drops GDEF, GSUB and GPOS. fontTools still decompiles them first (about
    0.1 s a font, seven fonts a signed document), so they are removed unread beforehand: the
    embedded subset is the same."""

    def _extract_subset(self, options: Any = None) -> None:
        if options is None:
            for tag in _LAYOUT_TABLES:
                if tag in self.tt:
                    del self.tt[tag]
        super()._extract_subset(options)


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
