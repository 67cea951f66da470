"""The demo's drafts: Decree 30 Appendix I layout, the places the issuance fills left empty."""

from __future__ import annotations

import io

from pyhanko.pdf_utils.reader import PdfFileReader

from lienthong.issuance.draft import render_draft
from tests.support_pdf import embedded_font_files, pdf_text


def test_a_draft_has_the_heading_summary_body_and_recipients_with_diacritics() -> None:
    text = pdf_text(
        render_draft(
            "Ủy ban nhân dân tỉnh Nghệ An",
            type_name="Quyết định",
            subject="Về việc ban hành Quy chế quản lý văn bản điện tử",
            addressees=["Văn phòng Chính phủ"],
            body=["Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ."],
        )
    )
    lines = text.splitlines()
    assert lines[:4] == [
        "ỦY BAN NHÂN DÂN TỈNH",
        "NGHỆ AN",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    ]
    assert lines[4:6] == ["QUYẾT ĐỊNH", "Về việc ban hành Quy chế quản lý văn bản điện tử"]
    assert "Kính gửi: Văn phòng Chính phủ." in lines
    assert "Nơi nhận:" in lines and "- Lưu: VT." in lines
    # number, date, position and name come with the issuance, not with the draft
    assert "Số:" not in text and "ngày" not in text.replace("ngày 05 tháng 3", "")


def test_a_letter_puts_its_summary_under_the_number_and_embeds_its_fonts() -> None:
    pdf = render_draft(
        "Văn phòng Chính phủ", type_name="Công văn", subject="V/v triển khai liên thông"
    )
    assert pdf_text(pdf).splitlines()[3:4] == ["V/v triển khai liên thông"]
    assert len(embedded_font_files(pdf)) == 2


def test_a_long_body_goes_on_to_further_pages() -> None:
    pdf = render_draft(
        "Văn phòng Chính phủ",
        type_name="Công văn",
        subject="V/v thử nghiệm",
        body=["Nội dung văn bản dài, xuống dòng nhiều lần."] * 40,
    )
    assert pdf_text(pdf).count("Nội dung văn bản dài") == 40
    assert int(PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Count"]) == 2
