"""Draft PDFs for tests: written with pyHanko's own writer (no file on disk, no mock)."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import RawContent
from pyhanko.pdf_utils.writer import PdfFileWriter

from lienthong.trust.pdf import PdfTrust
from lienthong.trust.pki import DemoPKI


def draft_pdf(pages: int = 1, *, filler_bytes: int = 0, text: str = "Cong van") -> bytes:
    """A PDF 1.7 of A4 pages with a line of text; ``filler_bytes`` of extra page content
    (drawing operators) make it as large as a benchmark needs."""
    writer = PdfFileWriter()
    font = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Font"),
            generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
            generic.NameObject("/BaseFont"): generic.NameObject("/Times-Roman"),
        }
    )
    font_ref = writer.add_object(font)
    for index in range(pages):
        ops = f"BT /F1 14 Tf 72 760 Td ({text} - trang {index + 1}) Tj ET\n".encode()
        if filler_bytes and index == 0:
            line = b"0.9 g 10 10 1 1 re f\n"
            ops += line * (filler_bytes // len(line))
        resources = generic.DictionaryObject(
            {
                generic.NameObject("/Font"): generic.DictionaryObject(
                    {generic.NameObject("/F1"): font_ref}
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
                    generic.StreamObject(stream_data=RawContent(ops).render())
                ),
            }
        )
        writer.insert_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PKI_AGENCIES = [
    ("000.00.00.G22", "Văn phòng Chính phủ"),
    ("000.00.00.H41", "Ủy ban nhân dân tỉnh Nghệ An"),
]
PKI_SIGNERS = [
    ("000.00.00.G22", "Trần Văn Sơn", "Bộ trưởng, Chủ nhiệm"),
    ("000.00.00.H41", "Nguyễn Đức Trung", "Chủ tịch"),
]


def make_pki(out_dir: Path, now: datetime) -> DemoPKI:
    """The demo PKI of the PDF and issuance tests (no responder: revocation data is cached)."""
    return DemoPKI.create(
        out_dir,
        agencies=PKI_AGENCIES,
        signers=PKI_SIGNERS,
        hubs=[],
        ocsp_url="http://127.0.0.1:9/ocsp",
        crl_url="http://127.0.0.1:9/crl",
        now=now,
    )


def pdf_trust(pki: DemoPKI, now: datetime) -> PdfTrust:
    """Trust roots, the intermediate, and a CRL fetched once (the cached revocation data)."""
    return PdfTrust.from_certs(
        pki.trust_roots(), [pki.intermediate.certificate], crls=[pki.crl(now)]
    )
