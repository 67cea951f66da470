"""The folded form searches compare: no case, no diacritics, the same on every database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lienthong.exchange.model import document_search_text
from lienthong.text import fold, like_pattern


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Công văn", "cong van"),
        (
            "V/v kết nối, liên thông phần mềm quản lý văn bản",
            "v/v ket noi, lien thong phan mem quan ly van ban",
        ),
        ("ĐỀ NGHỊ ĐẦU TƯ", "de nghi dau tu"),
        ("Đà Nẵng", "da nang"),
        ("đường", "duong"),
        ("Ủy ban nhân dân tỉnh Nghệ An", "uy ban nhan dan tinh nghe an"),
        ("UBND tỉnh Thừa Thiên Huế", "ubnd tinh thua thien hue"),
        ("01/VPCP-TTĐT", "01/vpcp-ttdt"),
        ("Quyết định", "quyet dinh"),
        ("Hỏa tốc, thượng khẩn", "hoa toc, thuong khan"),
        ("ẵẳặẩẫậ ỡởợ ữửự", "aaaaaa ooo uuu"),
        ("  Văn   phòng\tChính\nphủ ", "van phong chinh phu"),
        ("cong van", "cong van"),
        ("", ""),
    ],
)
def test_folds_vietnamese_to_plain_lower_case(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_folds_the_decomposed_form_as_the_composed_one() -> None:
    # Some keyboards and PDFs produce NFD text: the same letters, the marks apart.
    assert fold("Nghe\u0323\u0302 An") == fold("Nghệ An") == "nghe an"


@given(st.text())
def test_folding_twice_changes_nothing(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(st.text())
def test_the_folded_text_has_no_upper_case_and_no_mark(text: str) -> None:
    folded = fold(text)
    assert folded == folded.lower()
    assert "đ" not in folded and "Đ" not in folded
    assert folded == folded.strip()


@given(st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạấầẩẫậắằẳẵặéèẻẽẹ ", max_size=40))
def test_a_text_contains_its_folded_part_once_both_are_folded(text: str) -> None:
    part = text[len(text) // 3 : 2 * len(text) // 3].strip()
    assert fold(part) in fold(text)


def test_a_like_pattern_escapes_the_wildcards_of_the_term() -> None:
    assert like_pattern("cong van") == "%cong van%"
    assert like_pattern("50%_a\\b") == "%50\\%\\_a\\\\b%"


def test_a_documents_search_text_holds_its_number_notation_type_and_subject() -> None:
    text = document_search_text("01", "VPCP-TTĐT", "Công văn", "V/v kết nối, liên thông")
    assert text == "01/vpcp-ttdt cong van v/v ket noi, lien thong"
    for query in ("01/VPCP", "01/VPCP-TTĐT", "VPCP", "cong van", "ket noi", "Kết Nối"):
        assert fold(query) in text, query
    assert document_search_text("7", "", None, None) == "7"
