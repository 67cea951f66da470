# mypy: disable-error-code="no-untyped-call"
"""The report as a PDF for the unit head's PAdES signature, written with pyHanko's writer.

Standard Times-Roman font: Vietnamese text is folded to ASCII on the page (as the issuance
stamps do); the full text stays in the database and in the signature's /Reason.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import RawContent
from pyhanko.pdf_utils.writer import PdfFileWriter

from lienthong.issuance.model import fold_to_ascii

LINES_PER_PAGE = 48


def _escape(text: str) -> str:
    folded = fold_to_ascii(text)
    return folded.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def render_lines(lines: Sequence[str]) -> bytes:
    """A PDF of A4 pages with ``lines`` of text (the first one as a title)."""
    writer = PdfFileWriter()
    font = writer.add_object(
        generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Font"),
                generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
                generic.NameObject("/BaseFont"): generic.NameObject("/Times-Roman"),
            }
        )
    )
    pages = [lines[i : i + LINES_PER_PAGE] for i in range(0, max(len(lines), 1), LINES_PER_PAGE)]
    for number, chunk in enumerate(pages):
        ops = ["BT /F1 11 Tf 56 790 Td 15 TL"]
        for index, line in enumerate(chunk):
            size = 14 if number == 0 and index == 0 else 11
            ops.append(f"/F1 {size} Tf ({_escape(line)}) Tj T*")
        ops.append("ET")
        resources = generic.DictionaryObject(
            {
                generic.NameObject("/Font"): generic.DictionaryObject(
                    {generic.NameObject("/F1"): font}
                )
            }
        )
        page = generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Page"),
                generic.NameObject("/MediaBox"): generic.ArrayObject(
                    [generic.NumberObject(v) for v in (0, 0, 595, 842)]
                ),
                generic.NameObject("/Resources"): resources,
                generic.NameObject("/Contents"): writer.add_object(
                    generic.StreamObject(stream_data=RawContent("\n".join(ops).encode()).render())
                ),
            }
        )
        writer.insert_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
