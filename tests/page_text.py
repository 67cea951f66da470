"""What a person reads on a page: its text without markup, and the checks that no error code
and no API English sentence reach it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from lienthong.errors import ERROR_TABLE, ErrorCode


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "title") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The page's text as shown (tags and attributes dropped, spaces collapsed)."""
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts)).strip()


def assert_reads_vietnamese(html: str) -> str:
    """Fail when an error code or an English sentence of the error table is shown; the text."""
    text = visible_text(html)
    shown = [code.value for code in ErrorCode if re.search(rf"\b{code.value}\b", text)]
    assert not shown, f"error codes on the page: {shown}\n{text}"
    english = [sentence for _status, sentence in ERROR_TABLE.values() if sentence in text]
    assert not english, f"English sentences on the page: {english}\n{text}"
    assert '{"detail"' not in html and '{"error"' not in html, html[:300]
    return text
