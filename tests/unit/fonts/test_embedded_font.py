"""The shipped Unicode font and its embedding: subsets that keep every Vietnamese letter."""

from __future__ import annotations

import io
import unicodedata

from fontTools.ttLib import TTFont
from pyhanko.pdf_utils.reader import PdfFileReader

from lienthong.fonts import BOLD, FONT_DIR, REGULAR, font_path, font_program
from lienthong.fonts.canvas import Canvas
from tests.support_pdf import embedded_font_files, fonts_of, pdf_text

VIETNAMESE = "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"


def _embedded_programs(pdf: bytes) -> list[TTFont]:
    """The font programs (FontFile2) embedded in ``pdf``, read back with fontTools."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    programs = []
    for font in fonts_of(pdf):
        for descendant in font.get("/DescendantFonts", []):
            descriptor = descendant.get_object()["/FontDescriptor"].get_object()
            data = descriptor["/FontFile2"].get_object().data
            programs.append(TTFont(io.BytesIO(data)))
    assert reader is not None
    return programs


def test_the_package_ships_both_fonts_and_their_licence() -> None:
    assert (FONT_DIR / REGULAR).is_file() and (FONT_DIR / BOLD).is_file()
    assert "Bitstream" in (FONT_DIR / "LICENSE").read_text(encoding="utf-8")


def test_every_vietnamese_letter_has_a_glyph_in_both_fonts() -> None:
    for bold in (False, True):
        cmap = TTFont(font_path(bold=bold))["cmap"].getBestCmap()
        for letter in VIETNAMESE + VIETNAMESE.lower():
            assert ord(letter) in cmap, (bold, letter)


def _program(*, bold: bool = False) -> TTFont:
    return TTFont(io.BytesIO(font_program(bold=bold)))


def test_the_font_program_keeps_every_vietnamese_letter_and_the_signs_of_official_texts() -> None:
    nfd_marks = "\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b"  # tones, ^, ˘, horn
    signs = "“Số 12/2026/NĐ-CP” – 5 ≤ x ≥ 3 ≠ 4 № € α β Ω • … ‰ ■ ● → Ł ç ñ ü ß"
    for bold in (False, True):
        cmap = _program(bold=bold)["cmap"].getBestCmap()
        for char in VIETNAMESE + VIETNAMESE.lower() + nfd_marks + signs:
            assert ord(char) in cmap, (bold, char, hex(ord(char)))


def test_the_font_program_is_cut_to_what_official_documents_use() -> None:
    # every PDF's embedding costs time in proportion to the font's glyphs (ids are kept)
    for bold in (False, True):
        program, full = _program(bold=bold), TTFont(font_path(bold=bold))
        assert len(program.getGlyphOrder()) < len(full.getGlyphOrder()) / 4
        cmap = program["cmap"].getBestCmap()
        assert ord("Ж") not in cmap and ord("─") not in cmap  # Cyrillic, box drawing: cut
        assert program["head"].unitsPerEm == 1000
        assert "GPOS" in program and "GSUB" in program  # HarfBuzz shapes the marks with them


def test_the_embedded_subset_keeps_the_outlines_used_and_only_those() -> None:
    canvas = Canvas()
    canvas.text(56, 760, "Văn phòng Chính phủ")
    (program,) = _embedded_programs(canvas.pdf())
    full = _program()
    cmap, glyph_ids = full["cmap"].getBestCmap(), full.getReverseGlyphMap()
    names, glyphs = program.getGlyphOrder(), program["glyf"]

    def outline(char: str) -> int:
        return int(glyphs[names[glyph_ids[cmap[ord(char)]]]].numberOfContours)

    for char in "Vănphòng Chíủ".replace(" ", ""):
        assert outline(char) != 0, char
    for char in "XQ":
        assert outline(char) == 0, char
    # the glyph ids are kept (the PDF's CIDs are the font's glyph ids)
    assert all(names[glyph_ids[cmap[ord(c)]]] == cmap[ord(c)] for c in "Vănphòng")


def test_a_page_keeps_its_diacritics_and_embeds_the_font() -> None:
    canvas = Canvas()
    canvas.text(56, 780, "BÁO CÁO TỔNG HỢP", bold=True)
    canvas.text(56, 760, "Văn phòng Chính phủ")
    pdf = canvas.pdf()
    assert pdf_text(pdf) == "BÁO CÁO TỔNG HỢP\nVăn phòng Chính phủ\n"
    assert sorted(name.split("+")[1] for name in embedded_font_files(pdf)) == [
        "DejaVuSerif",
        "DejaVuSerif-Bold",
    ]
    assert all(f.get("/BaseFont") != "/Times-Roman" for f in fonts_of(pdf))
    assert len(pdf) < (FONT_DIR / REGULAR).stat().st_size / 2  # subsets, not the whole fonts


def test_decomposed_text_is_set_in_precomposed_letters() -> None:
    canvas = Canvas()
    canvas.text(56, 780, unicodedata.normalize("NFD", "Nghệ An"))
    assert pdf_text(canvas.pdf()) == "Nghệ An\n"


def test_a_measured_width_matches_the_fonts_advances() -> None:
    canvas = Canvas()
    full = TTFont(font_path())
    cmap, metrics = full["cmap"].getBestCmap(), full["hmtx"].metrics
    units = full["head"].unitsPerEm
    expected = sum(metrics[cmap[ord(c)]][0] for c in "ơ ư") / units * 10
    assert abs(canvas.width("ơ ư", 10) - expected) < 0.01


def test_the_pdf_widths_are_the_fonts_advances_in_thousandths_of_an_em() -> None:
    canvas = Canvas()
    canvas.text(56, 780, "Ươm")
    (font,) = [f for f in fonts_of(canvas.pdf()) if "/DescendantFonts" in f]
    widths = font["/DescendantFonts"][0].get_object()["/W"]
    pdf_widths: dict[int, int] = {}
    for index in range(0, len(widths), 2):  # pairs: first CID, [widths of the CIDs from it]
        first = int(widths[index])
        pdf_widths.update({first + i: int(w) for i, w in enumerate(widths[index + 1])})
    full, program = TTFont(font_path()), _program()
    cmap, metrics = full["cmap"].getBestCmap(), full["hmtx"].metrics
    units = full["head"].unitsPerEm  # 2048: a viewer would set the text twice as wide
    for char in "Ươm":
        glyph = program.getGlyphID(program["cmap"].getBestCmap()[ord(char)])
        assert abs(pdf_widths[glyph] - metrics[cmap[ord(char)]][0] * 1000 / units) <= 1, char
