# mypy: disable-error-code="no-untyped-call"
"""The Unicode fonts embedded in every PDF the platform writes, as pyHanko font engines.

Vietnamese needs more than the 14 standard PDF fonts (WinAnsi has no ă, ơ, ư, đ nor the
stacked tone marks), so the text of reports, drafts and signature stamps is set in DejaVu
Serif (freely licensed, see ``LICENSE`` beside the font files; a serif face close to the
Times New Roman of Decree 30/2020/NĐ-CP Appendix I) and a subset of it is embedded.

:class:`EmbeddedFontFactory` is a :class:`pyhanko.pdf_utils.font.api.FontEngineFactory`:
give it to ``TextBoxStyle(font=...)`` (stamps) or call its ``create_font_engine`` on a writer
(pages, see :mod:`lienthong.fonts.canvas`). pyHanko's own ``GlyphAccumulatorFactory`` does
the same with fontTools and HarfBuzz, which are not dependencies of the platform; this engine
needs neither (see :mod:`lienthong.fonts.truetype`): Vietnamese needs no shaping beyond
precomposed letters, which the text is normalised to (NFC).
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.api import FontEngine, FontEngineFactory, ShapeResult
from pyhanko.pdf_utils.writer import BasePdfFileWriter

from lienthong.fonts.truetype import TrueTypeFont, load

FONT_DIR = Path(__file__).parent
REGULAR = "DejaVuSerif.ttf"
BOLD = "DejaVuSerif-Bold.ttf"

_name = generic.NameObject


@cache
def font(file_name: str = REGULAR) -> TrueTypeFont:
    """The shipped font ``file_name`` (read once per process, on first use)."""
    return load(FONT_DIR / file_name)


class EmbeddedFont(FontEngine):
    """A Type 0 font (Identity-H, CIDFontType2) whose subset is written when the PDF is:
    the glyphs of every string shaped before then, with a ToUnicode map so the text can be
    searched and copied. One engine serves every text of a writer (see the factory)."""

    def __init__(self, writer: BasePdfFileWriter, ttf: TrueTypeFont) -> None:
        super().__init__(writer, ttf.postscript_name, embedded_subset=True)
        self.ttf = ttf
        self.used: dict[int, str] = {}  # glyph id -> the text it stands for
        self.written = False
        self._ref = writer.allocate_placeholder()

    @property
    def uses_complex_positioning(self) -> bool:
        return False  # plain Tj: pyHanko's text box moves to the next line with T*

    def glyphs(self, text: str) -> list[tuple[bytes, float]]:
        """Each character of ``text`` (NFC) as its hex string for ``Tj`` and its advance in
        em; records the glyphs for the subset."""
        if self.written:
            raise RuntimeError("the font subset was already written")
        out: list[tuple[bytes, float]] = []
        for char in unicodedata.normalize("NFC", text):
            glyph = self.ttf.glyph_id(char)
            self.used.setdefault(glyph, char)
            out.append((b"<%04x>" % glyph, self.ttf.advance(glyph) / self.ttf.units_per_em))
        return out

    def width(self, text: str, size: float) -> float:
        """The width of ``text`` at ``size`` points."""
        return sum(advance for _hex, advance in self.glyphs(text)) * size

    def shape(self, txt: str) -> ShapeResult:
        glyphs = self.glyphs(txt)
        hexes = b"".join(h[1:-1] for h, _a in glyphs)
        return ShapeResult(
            graphics_ops=b"<" + hexes + b"> Tj",
            x_advance=sum(advance for _h, advance in glyphs),
            y_advance=0,
        )

    def as_resource(self) -> generic.IndirectObject:
        return self._ref

    def prepare_write(self) -> None:
        if self.written:
            return
        self.written = True
        ttf, writer = self.ttf, self.writer
        scale = 1000 / ttf.units_per_em
        base = f"{self.subset_prefix}+{ttf.postscript_name}"
        program = generic.StreamObject(
            {_name("/Length1"): generic.NumberObject(0)},
            stream_data=ttf.subset(set(self.used)),
        )
        program["/Length1"] = generic.NumberObject(len(program.data))
        program.compress()
        flags = (1 << 1) | (1 << 5)  # serif, non-symbolic
        descriptor = generic.DictionaryObject(
            {
                _name("/Type"): _name("/FontDescriptor"),
                _name("/FontName"): _name("/" + base),
                _name("/Flags"): generic.NumberObject(flags),
                _name("/FontBBox"): generic.ArrayObject(
                    [generic.NumberObject(round(v * scale)) for v in ttf.bbox]
                ),
                _name("/ItalicAngle"): generic.FloatObject(ttf.italic_angle),
                _name("/Ascent"): generic.NumberObject(round(ttf.ascent * scale)),
                _name("/Descent"): generic.NumberObject(round(ttf.descent * scale)),
                _name("/CapHeight"): generic.NumberObject(round(ttf.cap_height * scale)),
                _name("/StemV"): generic.NumberObject(140 if ttf.bold else 80),
                _name("/FontFile2"): writer.add_object(program),
            }
        )
        widths = generic.ArrayObject()
        for glyph in sorted(self.used):
            widths.append(generic.NumberObject(glyph))
            widths.append(
                generic.ArrayObject([generic.NumberObject(round(ttf.advance(glyph) * scale))])
            )
        cid_font = generic.DictionaryObject(
            {
                _name("/Type"): _name("/Font"),
                _name("/Subtype"): _name("/CIDFontType2"),
                _name("/BaseFont"): _name("/" + base),
                _name("/CIDSystemInfo"): generic.DictionaryObject(
                    {
                        _name("/Registry"): generic.pdf_string("Adobe"),
                        _name("/Ordering"): generic.pdf_string("Identity"),
                        _name("/Supplement"): generic.NumberObject(0),
                    }
                ),
                _name("/FontDescriptor"): writer.add_object(descriptor),
                _name("/DW"): generic.NumberObject(round(ttf.advance(0) * scale)),
                _name("/W"): widths,
                _name("/CIDToGIDMap"): _name("/Identity"),
            }
        )
        type0 = generic.DictionaryObject(
            {
                _name("/Type"): _name("/Font"),
                _name("/Subtype"): _name("/Type0"),
                _name("/BaseFont"): _name("/" + base),
                _name("/Encoding"): _name("/Identity-H"),
                _name("/DescendantFonts"): generic.ArrayObject([writer.add_object(cid_font)]),
                _name("/ToUnicode"): writer.add_object(self._to_unicode()),
            }
        )
        writer.add_object(type0, idnum=self._ref.idnum)

    def _to_unicode(self) -> generic.StreamObject:
        lines = [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
            "/CMapName /Adobe-Identity-UCS def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            "<0000> <FFFF>",
            "endcodespacerange",
        ]
        pairs = sorted(self.used.items())
        for start in range(0, len(pairs), 100):
            chunk = pairs[start : start + 100]
            lines.append(f"{len(chunk)} beginbfchar")
            for glyph, text in chunk:
                lines.append(f"<{glyph:04X}> <{text.encode('utf-16-be').hex().upper()}>")
            lines.append("endbfchar")
        lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
        stream = generic.StreamObject(stream_data="\n".join(lines).encode("ascii"))
        stream.compress()
        return stream


class EmbeddedFontFactory(FontEngineFactory):
    """pyHanko font engine factory for a shipped font (``bold`` for DejaVu Serif Bold).

    Every text box of one writer gets the same engine, so one subset is embedded per PDF
    revision whatever the number of stamps."""

    def __init__(self, *, bold: bool = False) -> None:
        self.file_name = BOLD if bold else REGULAR

    def create_font_engine(self, writer: BasePdfFileWriter, obj_stream: Any = None) -> EmbeddedFont:
        ttf = font(self.file_name)
        for engine in writer.get_subset_collection(ttf.postscript_name).subsets.values():
            if isinstance(engine, EmbeddedFont) and not engine.written:
                return engine
        return EmbeddedFont(writer, ttf)


__all__ = ["BOLD", "FONT_DIR", "REGULAR", "EmbeddedFont", "EmbeddedFontFactory", "font"]
