# mypy: disable-error-code="no-untyped-call"
"""PAdES signatures on documents (Decree 30/2020/NĐ-CP Art. 22 and Appendix I) and their check
(Circular 41/2017/TT-BTTTT Art. 7; Decree 68/2024/NĐ-CP Arts. 30-32), with pyHanko.

Three signatures, in the order of Decree 30:

1. :func:`sign_pdf`: the competent person [người có thẩm quyền] signs the draft; visible blue
   signature image placed between the position and the name (Appendix I, II.9(a)).
2. :func:`apply_organisation_signature`: after numbering the clerk [văn thư] applies the
   organisation's signature. It is visible in several places (one signature field, several
   widget annotations): a red seal naming the agency, overlapping the left third of the
   competent person's signature image (Appendix I, II.9(b)); the number/notation [số, ký hiệu]
   and the place and date of issue [địa danh, ngày ... tháng ... năm ...] on page 1; the
   signer's position and name around the signature image. Only new signature fields and their
   widgets are added, so the competent signature stays valid (incremental update, modification
   level FORM_FILLING).
3. :func:`sign_attachment`: a separate attachment or appendix gets an invisible organisation
   signature, the number/notation and the signing time (ISO 8601, Vietnam time) printed at the
   top right of its first page (Appendix I, II.10(b)).

:func:`validate_pdf` (from :mod:`lienthong.trust.pdf_validation`) checks every signature of a
PDF and reports each check of Circular 41 Art. 7 separately. The images are vector drawings
(no image library, see :mod:`lienthong.trust.stamps`); the printed text is set in the embedded
Unicode font of :mod:`lienthong.fonts`, with its diacritics.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_private_key_from_pemder_data
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfSigningSession, PdfTBSDocument
from pyhanko.stamp import TextStamp
from pyhanko.stamp.base import BaseStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from lienthong.issuance.model import attachment_stamp_lines, date_line
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
from lienthong.trust.stamps import LEADER_STYLE, SealStampStyle, text_style

LEADER_FIELD = "ChuKyNguoiCoThamQuyen"
# The CMS signature container's room in the PDF: a signature, its attributes and a chain of
# up to about six certificates.
SIGNATURE_BYTES_RESERVED = 16 * 1024
ORGANISATION_FIELD = "ChuKyCoQuan"
ATTACHMENT_FIELD = "ChuKyCoQuanPhuLuc"

SEAL_SIZE = 90.0  # points, about the size of a 32 mm seal
# Where the issuance prints the number/notation and the place and date on page 1 (A4, points):
# under the agency's name (left) and under the national motto (right), Decree 30 Appendix I,
# ô số 3 and ô số 4; the drafts of :mod:`lienthong.issuance.draft` leave these boxes empty.
NUMBER_BOX = (40.0, 738.0, 260.0, 756.0)
DATE_BOX = (262.0, 738.0, 572.0, 756.0)
SIGNER_LINE_HEIGHT = 18.0
SIGNER_MARGIN = 45.0  # the position and name lines reach this far beyond the signature image


@dataclass(frozen=True)
class TextWidget:
    """A further visible part of a signature: ``text`` centred in ``box`` on ``page``."""

    page: int
    box: tuple[float, float, float, float]
    text: str
    bold: bool = False
    size: int = 13


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
                cert_registry=SimpleCertificateStore.from_certs([cert, *chain]),
            ),
        )


class _ClockedPdfSigner(signers.PdfSigner):
    """A PdfSigner whose signing time is given (the service's clock), not the system's, and
    whose new signature field may show in more places than one (``widgets``)."""

    def __init__(
        self, *args: Any, signing_time: datetime, widgets: Sequence[Any] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._signing_time = signing_time
        self._widgets = widgets

    def init_signing_session(
        self, pdf_out: Any, existing_fields_only: bool = False
    ) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only)
        if not self._widgets:
            session.system_time = self._signing_time
            return session
        return _WidgetsSession(
            self,
            session.pdf_out,
            session.cms_writer,
            session.sig_field,
            session.md_algorithm,
            session.timestamper,
            session.subfilter,
            system_time=self._signing_time,
            sv_spec=session.sv_spec,
            widgets=self._widgets,
        )


class _WidgetsSession(PdfSigningSession):
    """pyHanko draws the appearance of a field's single widget; the further widget
    annotations (already written, each with its appearance) join the field's /Kids and their
    pages' /Annots after that, before the document is digested."""

    def __init__(self, *args: Any, widgets: Sequence[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._widgets = widgets

    def prepare_tbs_document(self, *args: Any, **kwargs: Any) -> PdfTBSDocument:
        tbs = super().prepare_tbs_document(*args, **kwargs)
        writer = self.pdf_out
        field = self.sig_field
        name = str(field["/T"])
        field_ref = next(ref for _n, _v, ref in fields.enumerate_sig_fields(writer, with_name=name))
        kids = field["/Kids"]
        first = kids.raw_get(0)  # the widget pyHanko drew (the seal)
        first.get_object()[generic.NameObject("/Parent")] = field_ref
        for widget_ref, page_ref in self._widgets:
            widget_ref.get_object()[generic.NameObject("/Parent")] = field_ref
            kids.append(widget_ref)
            writer.register_annotation(page_ref, widget_ref)
        # The first widget is painted last, over the others on its page: the seal covers the
        # signer's lines as it does on paper (Appendix I, II.9(b): "trùm lên").
        annots = first.get_object()["/P"]["/Annots"]
        at = next(i for i in range(len(annots)) if annots.raw_get(i) == first)
        annots.append(annots.pop(at))
        return tbs


def _sign(
    pdf: bytes | IncrementalPdfFileWriter,
    identity: PdfIdentity,
    *,
    field_name: str,
    at: datetime,
    reason: str | None,
    box: tuple[float, float, float, float] | None,
    page: int,
    style: BaseStampStyle | None,
    widgets: Sequence[TextWidget] = (),
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
        combine_annotation=not widgets,
    )
    signer = _ClockedPdfSigner(
        meta,
        identity.signer,
        stamp_style=style,
        new_field_spec=spec,
        signing_time=at,
        widgets=[_text_widget(writer, widget) for widget in widgets],
    )
    try:
        # Room for the CMS container given up front: pyHanko otherwise signs once more, in
        # a dry run, only to measure it (half the cost of a signature).
        out = signer.sign_pdf(writer, bytes_reserved=SIGNATURE_BYTES_RESERVED)
    except SigningError as exc:
        raise ValueError(f"cannot sign: {exc}") from exc
    data: bytes = out.getvalue()
    return data


def _text_widget(writer: IncrementalPdfFileWriter, widget: TextWidget) -> tuple[Any, Any]:
    """A widget annotation (printed, locked) showing ``widget.text``; not yet on its page."""
    page_ref = writer.find_page_for_modification(widget.page)[0]
    x1, y1, x2, y2 = widget.box
    stamp = TextStamp(
        writer,
        text_style(size=widget.size, bold=widget.bold),
        text_params={"text": widget.text},
        box=layout.BoxConstraints(width=x2 - x1, height=y2 - y1),
    )
    annot = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Widget"),
            generic.NameObject("/F"): generic.NumberObject(0b10000100),  # print, locked
            generic.NameObject("/Rect"): generic.ArrayObject(
                [generic.FloatObject(v) for v in (x1, y1, x2, y2)]
            ),
            generic.NameObject("/P"): page_ref,
        }
    )
    stamp.apply_appearance(annot)
    return writer.add_object(annot), page_ref


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


@dataclass(frozen=True)
class PreparedSignature:
    """A competent person's signature prepared without the key (pyHanko's interrupted
    signing): ``pdf`` holds the signature field, its appearance and a placeholder where the
    CMS container goes; ``to_sign`` is the SHA-256 digest of the CMS signed attributes, the
    one hash a remote signing service signs (``signatures/signHash``). Plain bytes and ints:
    it can wait in a database while the signer approves on a phone."""

    pdf: bytes
    document_digest: bytes
    reserved_start: int
    reserved_end: int
    signed_attrs: bytes  # DER of the CMS signed attributes
    certificate: bytes  # DER of the signer's certificate
    chain: tuple[bytes, ...]  # DER, the issuing CAs

    @property
    def to_sign(self) -> bytes:
        return hashlib.sha256(self.signed_attrs).digest()


def prepare_signature(
    pdf: bytes,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate],
    *,
    at: datetime,
    box: tuple[float, float, float, float] = (380, 110, 530, 170),
    page: int = -1,
    reason: str = "Người có thẩm quyền ký ban hành",
) -> PreparedSignature:
    """The first half of :func:`sign_pdf` for a key the hub never holds: the same visible
    field and appearance, digested; :func:`finish_signature` embeds the signature value."""
    if page < 0:
        page = _page_count(pdf) + page
    cert = asn1_certificate(certificate)
    issuers = [asn1_certificate(c) for c in chain]
    external = signers.ExternalSigner(
        signing_cert=cert,
        cert_registry=SimpleCertificateStore.from_certs([cert, *issuers]),
        signature_value=256,
    )
    meta = signers.PdfSignatureMetadata(
        field_name=LEADER_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location="Việt Nam",
    )
    spec = fields.SigFieldSpec(
        sig_field_name=LEADER_FIELD,
        on_page=page,
        box=(round(box[0]), round(box[1]), round(box[2]), round(box[3])),
    )
    pdf_signer = _ClockedPdfSigner(
        meta, external, stamp_style=LEADER_STYLE, new_field_spec=spec, signing_time=at
    )

    async def prepare() -> PreparedSignature:
        digest, _tbs, output = await pdf_signer.async_digest_doc_for_signing(
            _writer(pdf), bytes_reserved=SIGNATURE_BYTES_RESERVED
        )
        attrs = await external.signed_attrs(digest.document_digest, "sha256", use_pades=True)
        output.seek(0)
        return PreparedSignature(
            pdf=output.read(),
            document_digest=digest.document_digest,
            reserved_start=digest.reserved_region_start,
            reserved_end=digest.reserved_region_end,
            signed_attrs=attrs.dump(),
            certificate=cert.dump(),
            chain=tuple(c.dump() for c in issuers),
        )

    try:
        return asyncio.run(prepare())
    except SigningError as exc:
        raise ValueError(f"cannot sign: {exc}") from exc


def finish_signature(prepared: PreparedSignature, signature_value: bytes) -> bytes:
    """The signed PDF: the CMS container (signed attributes, the remote ``signature_value``,
    the certificates) written into the placeholder of :func:`prepare_signature`."""
    cert = asn1_x509.Certificate.load(prepared.certificate)
    issuers = [asn1_x509.Certificate.load(c) for c in prepared.chain]
    external = signers.ExternalSigner(
        signing_cert=cert,
        cert_registry=SimpleCertificateStore.from_certs([cert, *issuers]),
        signature_value=signature_value,
    )
    digest = PreparedByteRangeDigest(
        prepared.document_digest, prepared.reserved_start, prepared.reserved_end
    )

    async def finish() -> bytes:
        attrs = cms.CMSAttributes.load(prepared.signed_attrs)
        container = await external.async_sign_prescribed_attributes("sha256", attrs)
        output = io.BytesIO(prepared.pdf)
        await PdfTBSDocument.async_finish_signing(output, digest, container)
        return output.getvalue()

    return asyncio.run(finish())


def organisation_name(identity: PdfIdentity) -> str:
    """The agency an organisation certificate belongs to: its O attribute (else its CN)."""
    subject = identity.credential.certificate.subject
    for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME):
        values = subject.get_attributes_for_oid(oid)
        if values:
            return str(values[0].value)
    return ""


def apply_organisation_signature(
    pdf: bytes,
    identity: PdfIdentity,
    *,
    at: datetime,
    number_notation: str,
    place_and_date: str | None = None,
    signer_position: str | None = None,
    signer_name: str | None = None,
    agency_name: str | None = None,
    number_box: tuple[float, float, float, float] = NUMBER_BOX,
    date_box: tuple[float, float, float, float] = DATE_BOX,
) -> bytes:
    """The organisation's PAdES signature after numbering (refused with ``ValueError`` when the
    PDF has no competent person's signature field). It shows:

    - the seal, naming ``agency_name`` (default: :func:`organisation_name`), overlapping the
      left third of the competent person's signature image;
    - on page 1, "Số: ``number_notation``" in ``number_box`` and ``place_and_date`` (default:
      "ngày ... tháng ... năm ..." of ``at``, Vietnam time) in ``date_box``;
    - ``signer_position`` (in capitals) above and ``signer_name`` below the signature image,
      when given.

    ``number_notation`` also goes into /Reason."""
    rect = _field_rect(pdf, LEADER_FIELD)
    if rect is None:
        raise ValueError("the PDF carries no competent person's signature field")
    page, (x1, y1, x2, y2) = rect
    third = x1 + (x2 - x1) / 3
    middle = (y1 + y2) / 2
    box = (third - SEAL_SIZE, middle - SEAL_SIZE / 2, third, middle + SEAL_SIZE / 2)
    widgets = [
        TextWidget(0, number_box, f"Số: {number_notation}"),
        TextWidget(0, date_box, place_and_date or date_line(None, at)),
    ]
    left, right = x1 - SIGNER_MARGIN, x2 + SIGNER_MARGIN
    if signer_position:
        top = (left, y2 + 2, right, y2 + 2 + SIGNER_LINE_HEIGHT)
        widgets.append(TextWidget(page, top, signer_position.upper(), bold=True))
    if signer_name:
        bottom = (left, y1 - 2 - SIGNER_LINE_HEIGHT, right, y1 - 2)
        widgets.append(TextWidget(page, bottom, signer_name, bold=True))
    return _sign(
        pdf,
        identity,
        field_name=ORGANISATION_FIELD,
        at=at,
        reason=f"Ban hành văn bản số {number_notation}",
        box=box,
        page=page,
        style=SealStampStyle(agency=agency_name or organisation_name(identity)),
        widgets=widgets,
    )


def sign_attachment(
    pdf: bytes, identity: PdfIdentity, *, at: datetime, number: int, notation: str
) -> bytes:
    """An attachment or appendix: number/notation and signing time printed at the top right of
    page 1 (10 pt, black), then an invisible organisation signature over it."""
    writer = _writer(pdf)
    page_obj = writer.find_page_for_modification(0)[0].get_object()
    media = [float(v) for v in page_obj["/MediaBox"]]
    line1, line2 = attachment_stamp_lines(number, notation, at)
    width, height = 170.0, 30.0
    stamp = TextStamp(
        writer,
        text_style(size=10),
        text_params={"text": f"{line1}\n{line2}"},
        box=layout.BoxConstraints(width=width, height=height),
    )
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
        found = reader.find_page_for_modification(index)[0]
        if getattr(found, "reference", found) == page_ref:
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
    "PreparedSignature",
    "SignatureReport",
    "TextWidget",
    "apply_organisation_signature",
    "finish_signature",
    "has_field",
    "organisation_name",
    "prepare_signature",
    "sign_attachment",
    "sign_pdf",
    "signatures",
    "validate_pdf",
    "validate_signature",
]
