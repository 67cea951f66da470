"""The shipped Unicode font and its embedding: subsets that keep every Vietnamese letter."""

from __future__ import annotations

import io
import struct
import unicodedata

from pyhanko.pdf_utils.writer import PdfFileWriter

from lienthong.fonts import BOLD, FONT_DIR, REGULAR, EmbeddedFontFactory, font
from lienthong.fonts.canvas import Canvas
from tests.support_pdf import embedded_font_files, fonts_of, pdf_text

VIETNAMESE = "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"


def test_the_package_ships_both_fonts_and_their_licence() -> None:
    assert (FONT_DIR / REGULAR).is_file() and (FONT_DIR / BOLD).is_file()
    assert "Bitstream" in (FONT_DIR / "LICENSE").read_text(encoding="utf-8")


def test_every_vietnamese_letter_has_a_glyph_in_both_fonts() -> None:
    for name in (REGULAR, BOLD):
        ttf = font(name)
        for letter in VIETNAMESE + VIETNAMESE.lower():
            assert ttf.glyph_id(letter) != 0, (name, letter)


def test_a_subset_keeps_the_glyph_ids_and_only_the_outlines_used() -> None:
    ttf = font()
    used = {ttf.glyph_id(c) for c in "Văn phòng Chính phủ"}
    data = ttf.subset(used)
    assert len(data) < len(ttf.data) / 4
    (count,) = struct.unpack(">H", data[4:6])
    tables = {
        data[12 + 16 * i : 16 + 16 * i]: struct.unpack(">II", data[20 + 16 * i : 28 + 16 * i])
        for i in range(count)
    }
    assert {b"glyf", b"loca", b"head", b"hhea", b"hmtx", b"maxp", b"name"} <= set(tables)
    offset, _length = tables[b"loca"]
    loca = struct.unpack(
        f">{len(ttf.advances) + 1}I", data[offset : offset + 4 * (len(ttf.advances) + 1)]
    )
    for glyph in range(len(ttf.advances)):
        has_outline = loca[glyph + 1] > loca[glyph]
        if glyph in used and glyph != ttf.glyph_id(" "):
            assert has_outline, glyph
    assert not any(loca[g + 1] > loca[g] for g in (ttf.glyph_id("X"), ttf.glyph_id("Q")))
    # the whole file sums to the magic number (head.checkSumAdjustment is right)
    padded = data + b"\0" * (-len(data) % 4)
    assert sum(struct.unpack(f">{len(padded) // 4}I", padded)) & 0xFFFFFFFF == 0xB1B0AFBA


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


def test_decomposed_text_is_set_in_precomposed_letters() -> None:
    canvas = Canvas()
    canvas.text(56, 780, unicodedata.normalize("NFD", "Nghệ An"))
    assert pdf_text(canvas.pdf()) == "Nghệ An\n"


def test_one_subset_serves_every_text_box_of_a_writer() -> None:
    writer = PdfFileWriter()
    first = EmbeddedFontFactory().create_font_engine(writer)
    second = EmbeddedFontFactory().create_font_engine(writer)
    assert first is second
    first.shape("ư")
    writer.write(io.BytesIO())
    assert EmbeddedFontFactory().create_font_engine(writer) is not first  # written: a new one
