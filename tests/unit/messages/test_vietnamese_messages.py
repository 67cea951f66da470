"""Every error code of the closed list has the Vietnamese sentence that pages show."""

from __future__ import annotations

import re

from lienthong.errors import ERROR_TABLE, ErrorCode
from lienthong.messages import VIETNAMESE, vietnamese

# Letters only Vietnamese has among the Latin scripts a sentence here could be written in.
VIETNAMESE_LETTERS = re.compile(
    r"[ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ]"
)


def test_every_error_code_has_a_vietnamese_sentence() -> None:
    missing = [str(code) for code in ErrorCode if code not in VIETNAMESE]
    assert not missing, f"add a Vietnamese sentence to lienthong/messages.py for {missing}"
    assert set(VIETNAMESE) == set(ErrorCode)


def test_the_sentences_are_vietnamese_and_name_no_code() -> None:
    for code in ErrorCode:
        sentence = vietnamese(code)
        assert sentence != ERROR_TABLE[code][1], code
        assert VIETNAMESE_LETTERS.search(sentence.lower()), (code, sentence)
        assert not re.search(r"\b[A-Z]+_[A-Z_]+\b", sentence), (code, sentence)
        assert sentence[0].isupper() and sentence.endswith((".", ")")), (code, sentence)
