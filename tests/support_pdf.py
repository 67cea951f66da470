"""Draft PDFs for tests: written with pyHanko's own writer (no file on disk, no mock)."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import RawContent
from pyhanko.pdf_utils.reader import PdfFileReader
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


# -- reading the text a viewer shows ------------------------------------------------------

_TOKEN = re.compile(
    rb"/[^\s/\[\]<>()%]+|<[0-9A-Fa-f\s]*>|\((?:\\.|[^\\)])*\)|\[|\]|[A-Za-z\*'\"]+|[-+.\d]+",
    re.DOTALL,
)


def _cmap(font: generic.DictionaryObject) -> dict[bytes, str] | None:
    """The code -> text map of a font's /ToUnicode CMap (bfchar and bfrange entries)."""
    if "/ToUnicode" not in font:
        return None
    data = font["/ToUnicode"].data
    out: dict[bytes, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.DOTALL):
        for code, text in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[bytes.fromhex(code.decode())] = bytes.fromhex(text.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.DOTALL):
        for lo, hi, target in re.findall(
            rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]+>|\[[^\]]*\])", block
        ):
            start, width = int(lo, 16), len(lo) // 2
            count = int(hi, 16) - start + 1
            if target.startswith(b"["):  # one destination string per code
                texts = [
                    bytes.fromhex(t.decode()).decode("utf-16-be")
                    for t in re.findall(rb"<([0-9A-Fa-f]+)>", target)
                ]
            else:  # consecutive code points from the first one
                first = int(target[1:-1], 16)
                texts = [chr(first + offset) for offset in range(count)]
            for offset, text in enumerate(texts[:count]):
                out[(start + offset).to_bytes(width, "big")] = text
    return out


def _string_bytes(token: bytes) -> bytes:
    if token.startswith(b"<"):
        return bytes.fromhex(re.sub(rb"\s", b"", token[1:-1]).decode())
    body = token[1:-1]
    body = re.sub(rb"\\([0-7]{1,3})", lambda m: bytes([int(m.group(1), 8)]), body)
    return re.sub(rb"\\(.)", rb"\1", body)


def _decode(raw: bytes, cmap: dict[bytes, str] | None) -> str:
    if cmap is None:
        return raw.decode("latin-1")
    width = len(next(iter(cmap))) if cmap else 2
    return "".join(cmap.get(raw[i : i + width], "\ufffd") for i in range(0, len(raw), width))


def _stream_text(data: bytes, resources: generic.PdfObject) -> str:
    resources = resources.get_object()
    fonts = resources.get("/Font", generic.DictionaryObject()).get_object()
    xobjects = resources.get("/XObject", generic.DictionaryObject()).get_object()
    cmaps: dict[str, dict[bytes, str] | None] = {}
    out: list[str] = []
    operands: list[bytes] = []
    cmap: dict[bytes, str] | None = None
    shown = False  # some text was shown since BT
    for token in _TOKEN.findall(data):
        if token[:1] in b"/<([]" or token[:1].isdigit() or token[:1] in b"-+.":
            operands.append(token)
            continue
        op = token
        if op == b"Tf" and len(operands) >= 2:
            name = operands[-2].decode()
            if name not in cmaps:
                cmaps[name] = _cmap(fonts[name].get_object()) if name in fonts else None
            cmap = cmaps[name]
        elif op == b"BT":
            shown = False
        elif op in (b"Tj", b"'", b'"', b"TJ"):
            for operand in operands:
                if operand[:1] in b"<(":
                    out.append(_decode(_string_bytes(operand), cmap))
            shown = True
        elif op in (b"T*", b"ET") or (
            # a move down after some text: the next line (pyHanko's text boxes break lines so)
            op in (b"Td", b"TD") and shown and operands and float(operands[-1]) != 0
        ):
            out.append("\n")
        elif op == b"Do" and operands:
            name = operands[-1].decode()
            if name in xobjects:
                form = xobjects[name].get_object()
                out.append(_stream_text(form.data, form.get("/Resources", resources)))
        operands = []
    return "".join(out)


def pdf_text(pdf: bytes) -> str:
    """The text a viewer shows, page after page: each page's content (and the form XObjects it
    draws) and the normal appearance of each of its annotations (signature widgets), decoded
    through each font's /ToUnicode map. Lines end with a newline."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    out: list[str] = []
    for index in range(int(reader.root["/Pages"]["/Count"])):
        page = reader.find_page_for_modification(index)[0].get_object()
        resources = page.get("/Resources", generic.DictionaryObject())
        contents = page["/Contents"]
        streams = contents if isinstance(contents, generic.ArrayObject) else [contents]
        out.append(_stream_text(b"\n".join(s.get_object().data for s in streams), resources))
        for annot in page.get("/Annots", generic.ArrayObject()).get_object():
            appearance = annot.get_object().get("/AP")
            if appearance is not None:
                normal = appearance.get_object()["/N"].get_object()
                out.append(_stream_text(normal.data, normal.get("/Resources", resources)))
    return "".join(out)


def fonts_of(pdf: bytes) -> list[generic.DictionaryObject]:
    """Every font dictionary of the file (each revision's objects)."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    found = []
    for revision in range(reader.xrefs.total_revisions):
        for ref in reader.xrefs.explicit_refs_in_revision(revision):
            obj = reader.get_object(ref)
            if isinstance(obj, generic.DictionaryObject) and obj.get("/Type") == "/Font":
                found.append(obj)
    return found


def embedded_font_files(pdf: bytes) -> list[str]:
    """The /BaseFont (subset prefix + PostScript name) of each TrueType descendant font whose
    program is embedded (FontFile2); a standard font such as Times-Roman is not listed."""
    names = []
    for font in fonts_of(pdf):
        for ref in font.get("/DescendantFonts", generic.ArrayObject()):
            descendant = ref.get_object()
            descriptor = descendant["/FontDescriptor"]
            if "/FontFile2" in descriptor and len(descriptor["/FontFile2"].data) > 1000:
                names.append(str(descendant["/BaseFont"]).lstrip("/"))
    return names
