"""Report PDFs (a unit's report, the reporting centre's consolidation) keep their diacritics."""

from __future__ import annotations

from lienthong.reporting.consolidation import Figure
from lienthong.reporting.export import consolidated_pdf
from lienthong.reporting.pdf import render_lines
from tests.support_pdf import embedded_font_files, pdf_text


def test_a_report_prints_vietnamese_with_its_diacritics() -> None:
    pdf = render_lines(["BÁO CÁO TỔNG HỢP", "Văn phòng Chính phủ", "Ưu tiên: Đà Nẵng, Huế"])
    assert pdf_text(pdf) == "BÁO CÁO TỔNG HỢP\nVăn phòng Chính phủ\nƯu tiên: Đà Nẵng, Huế\n"
    assert len(embedded_font_files(pdf)) == 2  # regular and bold, each a subset


def test_a_line_wider_than_the_page_is_wrapped_at_a_space() -> None:
    long = "Tổng sản phẩm trên địa bàn tăng trưởng so với cùng kỳ năm trước " * 3
    text = pdf_text(render_lines(["Tiêu đề", long.strip()]))
    lines = text.splitlines()[1:]
    assert len(lines) == 3
    assert " ".join(lines) == long.strip()


def test_the_consolidated_report_of_the_centre_prints_its_labels_with_diacritics() -> None:
    figure = Figure("KTXH.01", "Tổng sản phẩm", "tỷ đồng", 1234.5, None, None)
    text = pdf_text(
        consolidated_pdf("Báo cáo tổng hợp KTXH Quý 4/2026", "Văn phòng Chính phủ", [figure], {})
    )
    assert text.startswith("BÁO CÁO TỔNG HỢP KTXH QUÝ 4/2026\nVăn phòng Chính phủ\n")
    flat = " ".join(text.split())
    assert (
        "KTXH.01 Tổng sản phẩm (tỷ đồng): kỳ báo cáo 1.234,5 | lũy kế: - | cùng kỳ năm trước: - "
        "(lũy kế -) | kế hoạch: -"
    ) in flat
    assert "TÌNH HÌNH GỬI BÁO CÁO" in text and "Đúng hạn: 0" in text
