"""PAdES signatures on documents (Decree 30/2020/NĐ-CP Art. 22 and Appendix I) and their check
(Circular 41/2017/TT-BTTTT Art. 7; Decree 68/2024/NĐ-CP Arts. 30-32), with pyHanko.

Three signatures, in the order of Decree 30:

1. :func:`sign_pdf`: the competent person [người có thẩm quyền] signs the draft; visible blue
   signature image placed between the position and the name (Appendix I, II.9(a)).
2. :func:`apply_organisation_signature`: after numbering the clerk [văn thư] applies the
   organisation's signature, a red seal image overlapping the left third of the competent
   person's signature image (Appendix I, II.9(b)). The number/notation travels in /Reason
   (and in the edXML header); the competent signature stays valid (incremental update).
3. :func:`sign_attachment`: a separate attachment or appendix gets an invisible organisation
   signature, the number/notation and the signing time (ISO 8601, Vietnam time) printed at the
   top right of its first page (Appendix I, II.10(b)).

:func:`validate_pdf` (from :mod:`lienthong.trust.pdf_validation`) checks every signature of a
PDF and reports each check of Circular 41 Art. 7 separately. The images are vector drawings
(no image library); the printed text uses the standard Times-Roman font, so its diacritics
are folded (see :func:`lienthong.issuance.model.fold_to_ascii`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.keys import load_private_key_from_pemder_data
from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.content import RawContent
from pyhanko.pdf_utils.font.basic import SimpleFontEngineFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.stamp import StaticStampStyle, TextStamp, TextStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from lienthong.issuance.model import attachment_stamp_lines, fold_to_ascii
from lienthong.trust.pdf_validation import (
    SIGNING_USAGE,
    PdfTrust,
    SignatureReport,
    asn1_certificate,
    signatures,
    validate_pdf,
    validate_signature,
)
from lienthong.trust.pki import Credential

LEADER_FIELD = "ChuKyNguoiCoThamQuyen"
# The CMS signature container's room in the PDF: a signature, its attributes and a chain of
# up to about six certificates.
SIGNATURE_BYTES_RESERVED = 16 * 1024
ORGANISATION_FIELD = "ChuKyCoQuan"
ATTACHMENT_FIELD = "ChuKyCoQuanPhuLuc"

SEAL_SIZE = 90.0  # points, about the size of a 32 mm seal

_BLUE_SIGNATURE = RawContent(
    b"q 0.05 0.2 0.75 RG 2.2 w 1 J 1 j "
    b"8 22 m 22 58 34 4 48 30 c 58 48 66 12 80 26 c 92 40 100 18 112 24 c "
    b"122 30 128 40 142 34 c S "
    b"30 14 m 70 20 110 12 140 16 c S Q",
    box=layout.BoxConstraints(150, 60),
)


def _circle(cx: float, cy: float, r: float) -> bytes:
    k = 0.5523 * r  # four cubic Béziers approximate a circle
    return (
        f"{cx + r} {cy} m {cx + r} {cy + k} {cx + k} {cy + r} {cx} {cy + r} c "
        f"{cx - k} {cy + r} {cx - r} {cy + k} {cx - r} {cy} c "
        f"{cx - r} {cy - k} {cx - k} {cy - r} {cx} {cy - r} c "
        f"{cx + k} {cy - r} {cx + r} {cy - k} {cx + r} {cy} c S "
    ).encode()


_RED_SEAL = RawContent(
    b"q 0.85 0.05 0.05 RG 0.85 0.05 0.05 rg 3 w "
    + _circle(50, 50, 47)
    + b"1.2 w "
    + _circle(50, 50, 38)
    + b"50 72 m 55.3 57.3 l 70.9 56.8 l 58.6 47.2 l 62.9 32.2 l 50 41 l 37.1 32.2 l "
    b"41.4 47.2 l 29.1 56.8 l 44.7 57.3 l f Q",
    box=layout.BoxConstraints(100, 100),
)

LEADER_STYLE = StaticStampStyle(background=_BLUE_SIGNATURE, border_width=0)
SEAL_STYLE = StaticStampStyle(background=_RED_SEAL, border_width=0, background_opacity=0.9)
ATTACHMENT_TEXT_STYLE = TextStampStyle(
    stamp_text="%(line1)s\n%(line2)s",
    border_width=0,
    text_box_style=TextBoxStyle(
        font=SimpleFontEngineFactory("Times-Roman", 0.5), font_size=10, border_width=0
    ),
)


class _ParsedKeySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner parses the DER private key again on every signature (with
    OpenSSL's RSA key check: ~37 ms, most of a PAdES signature's cost); this one parses it once
    and signs RSA PKCS#1 v1.5 with it (other mechanisms: pyHanko's own path)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._parsed: Any = None

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        if mechanism.signature_algo != "rsassa_pkcs1v15":
            return super().sign_raw(data, digest_algorithm)
        if self._parsed is None:
            self._parsed = serialization.load_der_private_key(
                self.signing_key.dump(), password=None
            )
        key = self._parsed
        assert isinstance(key, rsa.RSAPrivateKey)
        return key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))


@dataclass
class PdfIdentity:
    """A credential ready for pyHanko (the private key is parsed once, here)."""

    credential: Credential
    signer: signers.SimpleSigner

    @classmethod
    def from_credential(cls, credential: Credential) -> PdfIdentity:
        key = load_private_key_from_pemder_data(credential.key_pem, passphrase=None)
        cert = asn1_certificate(credential.certificate)
        chain = [asn1_certificate(c) for c in credential.chain]
        return cls(
            credential,
            _ParsedKeySigner(
                signing_cert=cert,
                signing_key=key,
                cert_registry=SimpleCertificateStore.from_certs([cert, *chain]),  # type: ignore[no-untyped-call]
            ),
        )


class _ClockedPdfSigner(signers.PdfSigner):
    """A PdfSigner whose signing time is given (the service's clock), not the system's."""

    def __init__(self, *args: Any, signing_time: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signing_time = signing_time

    def init_signing_session(
        self, pdf_out: Any, existing_fields_only: bool = False
    ) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self._signing_time
        return session


def _sign(
    pdf: bytes | IncrementalPdfFileWriter,
    identity: PdfIdentity,
    *,
    field_name: str,
    at: datetime,
    reason: str | None,
    box: tuple[float, float, float, float] | None,
    page: int,
    style: StaticStampStyle | None,
) -> bytes:
    writer = pdf if isinstance(pdf, IncrementalPdfFileWriter) else _writer(pdf)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location="Việt Nam",
    )
    spec = fields.SigFieldSpec(
        sig_field_name=field_name,
        on_page=page,
        box=None if box is None else (round(box[0]), round(box[1]), round(box[2]), round(box[3])),
    )
    signer = _ClockedPdfSigner(
        meta, identity.signer, stamp_style=style, new_field_spec=spec, signing_time=at
    )
    try:
        # Room for the CMS container given up front: pyHanko otherwise signs once more, in
        # a dry run, only to measure it (half the cost of a signature).
        out = signer.sign_pdf(writer, bytes_reserved=SIGNATURE_BYTES_RESERVED)
    except SigningError as exc:
        raise ValueError(f"cannot sign: {exc}") from exc
    data: bytes = out.getvalue()
    return data


def _writer(pdf: bytes) -> IncrementalPdfFileWriter:
    return IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)


def sign_pdf(
    pdf: bytes,
    identity: PdfIdentity,
    *,
    at: datetime,
    box: tuple[float, float, float, float] = (380, 110, 530, 170),
    page: int = -1,
    reason: str = "Người có thẩm quyền ký ban hành",
) -> bytes:
    """The competent person's PAdES signature, visible: a blue signature image in ``box``
    (PDF points, between the position and the name as the draft lays them out) on ``page``
    (-1: the last). Returns the signed PDF (an incremental update of ``pdf``)."""
    if page < 0:
        page = _page_count(pdf) + page
    return _sign(
        pdf,
        identity,
        field_name=LEADER_FIELD,
        at=at,
        reason=reason,
        box=box,
        page=page,
        style=LEADER_STYLE,
    )


def apply_organisation_signature(
    pdf: bytes, identity: PdfIdentity, *, at: datetime, number_notation: str
) -> bytes:
    """The organisation's PAdES signature after numbering: a red seal overlapping the left
    third of the competent person's signature image (found by its field; refused with
    ``ValueError`` when the PDF has none). ``number_notation`` goes into /Reason."""
    rect = _field_rect(pdf, LEADER_FIELD)
    if rect is None:
        raise ValueError("the PDF carries no competent person's signature field")
    page, (x1, y1, x2, y2) = rect
    third = x1 + (x2 - x1) / 3
    middle = (y1 + y2) / 2
    box = (third - SEAL_SIZE, middle - SEAL_SIZE / 2, third, middle + SEAL_SIZE / 2)
    return _sign(
        pdf,
        identity,
        field_name=ORGANISATION_FIELD,
        at=at,
        reason=f"Ban hành văn bản số {number_notation}",
        box=box,
        page=page,
        style=SEAL_STYLE,
    )


def sign_attachment(
    pdf: bytes, identity: PdfIdentity, *, at: datetime, number: int, notation: str
) -> bytes:
    """An attachment or appendix: number/notation and signing time printed at the top right of
    page 1 (Times-Roman 10, black), then an invisible organisation signature over it."""
    writer = _writer(pdf)
    page_obj = writer.find_page_for_modification(0)[0].get_object()  # type: ignore[no-untyped-call]
    media = [float(v) for v in page_obj["/MediaBox"]]
    line1, line2 = attachment_stamp_lines(number, notation, at)
    stamp = TextStamp(
        writer,
        ATTACHMENT_TEXT_STYLE,
        text_params={"line1": fold_to_ascii(line1), "line2": line2},
    )
    width, height = 150.0, 30.0
    stamp.apply(0, round(media[2] - width - 20), round(media[3] - height - 15))
    return _sign(
        writer,
        identity,
        field_name=ATTACHMENT_FIELD,
        at=at,
        reason=f"Văn bản kèm theo văn bản số {line1}",
        box=None,
        page=0,
        style=None,
    )


def _page_count(pdf: bytes) -> int:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return int(reader.root["/Pages"]["/Count"])


def _field_rect(pdf: bytes, name: str) -> tuple[int, tuple[float, float, float, float]] | None:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    for _name, _value, ref in fields.enumerate_sig_fields(reader, with_name=name):
        widget = ref.get_object()
        if "/Rect" not in widget:
            widget = widget["/Kids"][0].get_object()
        x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
        page_ref = widget.get_value_as_reference("/P") if "/P" in widget else None
        page = 0 if page_ref is None else _page_index(reader, page_ref)
        return page, (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
    return None


def _page_index(reader: PdfFileReader, page_ref: Any) -> int:
    count = int(reader.root["/Pages"]["/Count"])
    for index in range(count):
        if reader.find_page_for_modification(index)[1] == page_ref:  # type: ignore[no-untyped-call]
            return index
    return 0


def has_field(pdf: bytes, name: str) -> bool:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return any(True for _ in fields.enumerate_sig_fields(reader, with_name=name))


__all__ = [
    "ATTACHMENT_FIELD",
    "LEADER_FIELD",
    "ORGANISATION_FIELD",
    "SIGNING_USAGE",
    "PdfIdentity",
    "PdfTrust",
    "SignatureReport",
    "apply_organisation_signature",
    "has_field",
    "sign_attachment",
    "sign_pdf",
    "signatures",
    "validate_pdf",
    "validate_signature",
]
