"""Writing edXML packages the way the official SDK samples are written.

Layout: root ``edXML`` in the default namespace; ``edXML:edXMLEnvelope`` declaring the ``edXML``
prefix, every element inside it prefixed; ``edXML:AttachmentEncoded`` after the envelope, with
each attachment's base64 on one line (no line breaks: some receivers decode with a strict base64
decoder). Header elements follow the order of section 3 of the exchange notes; ``Bussiness`` is
written inside ``TraceHeaderList`` after the ``TraceHeader`` elements. Optional values that are
``None`` are left out; ``""`` is written as an empty element, so that reading a built package
gives back the same object.

The builder never writes a ``Signature``: signing is the job of ``lienthong.trust``, on the
built bytes. ``signed`` is therefore ignored here.
"""

from __future__ import annotations

import binascii
import hashlib
import io
import mimetypes
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import BinaryIO

from lxml import etree

from lienthong.edxml.errors import field_missing
from lienthong.edxml.model import (
    NS,
    Attachment,
    Bussiness,
    BussinessDocType,
    BussinessDocumentInfo,
    Code,
    DocumentPackage,
    DocumentType,
    ManifestReference,
    MessageHeader,
    Organization,
    OtherInfo,
    PromulgationInfo,
    Receiver,
    ReplacementInfo,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    StatusPackage,
    TraceHeader,
    format_edxml_date,
    format_edxml_timestamp,
    make_document_id,
)
from lienthong.edxml.reading import check_bussiness_doc_type, check_organ_id, check_status_code

__all__ = ["build_document", "build_status", "make_document", "make_status"]

_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_NSMAP = {"edXML": NS}
_RAW_CHUNK = 3 * 16 * 1024  # a multiple of 3: each piece encodes without padding
# What the SDK writes in BussinessDocReason for each BussinessDocType (samples).
_DEFAULT_REASONS = {
    BussinessDocType.NEW: "Văn bản điện tử mới",
    BussinessDocType.REVOKE: "Thu hồi văn bản điện tử",
    BussinessDocType.UPDATE: "Cập nhật văn bản điện tử",
    BussinessDocType.REPLACE: "Thay thế văn bản điện tử",
}

_Element = etree._Element


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _add(parent: _Element, name: str, value: str | None = None) -> _Element:
    element = etree.SubElement(parent, _q(name))
    if value is not None:
        element.text = value
    return element


def _add_fields(parent: _Element, name: str, fields: Sequence[tuple[str, str | None]]) -> None:
    """``<name>`` with the children among ``fields`` whose value is not ``None``."""
    element = _add(parent, name)
    for child, value in fields:
        if value is not None:
            _add(element, child, value)


def _organization(parent: _Element, name: str, org: Organization) -> None:
    _add_fields(
        parent,
        name,
        [
            ("OrganId", org.organ_id),
            ("OrganizationInCharge", org.organization_in_charge),
            ("OrganName", org.organ_name),
            ("OrganAdd", org.organ_add),
            ("Email", org.email),
            ("Telephone", org.telephone),
            ("Fax", org.fax),
            ("Website", org.website),
        ],
    )


def _response_for(parent: _Element, item: ResponseFor) -> None:
    _add_fields(
        parent,
        "ResponseFor",
        [
            ("OrganId", item.organ_id),
            ("Code", item.code),
            ("PromulgationDate", item.promulgation_date),
            ("DocumentId", item.document_id),
        ],
    )


def _staff_info(parent: _Element, staff: StaffInfo | None) -> None:
    if staff is not None:
        _add_fields(
            parent,
            "StaffInfo",
            [
                ("Department", staff.department),
                ("Staff", staff.staff),
                ("Email", staff.email),
                ("Mobile", staff.mobile),
            ],
        )


def _list(parent: _Element, name: str, item: str, values: Sequence[str] | None) -> None:
    if values is not None:
        element = _add(parent, name)
        for value in values:
            _add(element, item, value)


def _message_header(parent: _Element, header: MessageHeader) -> None:
    element = _add(parent, "MessageHeader")
    _organization(element, "From", header.from_)
    for org in header.to:
        _organization(element, "To", org)
    if header.document_id is not None:
        _add(element, "DocumentId", header.document_id)
    if header.code is not None:
        _add_fields(
            element,
            "Code",
            [("CodeNumber", header.code.code_number), ("CodeNotation", header.code.code_notation)],
        )
    if (promulgation := header.promulgation_info) is not None:
        _add_fields(
            element,
            "PromulgationInfo",
            [("Place", promulgation.place), ("PromulgationDate", promulgation.promulgation_date)],
        )
    if (kind := header.document_type) is not None:
        _add_fields(
            element,
            "DocumentType",
            [("Type", kind.type), ("TypeDetail", kind.type_detail), ("TypeName", kind.type_name)],
        )
    for name, value in (("Subject", header.subject), ("Content", header.content)):
        if value is not None:
            _add(element, name, value)
    if (signer := header.signer_info) is not None:
        _add_fields(
            element,
            "SignerInfo",
            [
                ("Competence", signer.competence),
                ("Position", signer.position),
                ("FullName", signer.full_name),
            ],
        )
    if header.due_date is not None:
        _add(element, "DueDate", header.due_date)
    if (other := header.other_info) is not None:
        _add_fields(
            element,
            "OtherInfo",
            [
                ("Priority", other.priority),
                ("SphereOfPromulgation", other.sphere_of_promulgation),
                ("TyperNotation", other.typer_notation),
                ("PromulgationAmount", other.promulgation_amount),
                ("PageAmount", other.page_amount),
                ("Direction", other.direction),
            ],
        )
        _list(element[-1], "Appendixes", "Appendix", other.appendixes)
    for item in header.response_for:
        _response_for(element, item)
    if header.steering_type is not None:
        _add(element, "SteeringType", header.steering_type)
    _list(element, "ToPlaces", "Place", header.to_places)


def _bussiness(parent: _Element, bussiness: Bussiness) -> None:
    element = _add(parent, "Bussiness")
    if bussiness.document_id is not None:
        _add(element, "DocumentId", bussiness.document_id)
    _add(element, "BussinessDocType", str(int(bussiness.bussiness_doc_type)))
    for name, value in (
        ("BussinessDocReason", bussiness.bussiness_doc_reason),
        ("Paper", bussiness.paper),
    ):
        if value is not None:
            _add(element, name, value)
    _staff_info(element, bussiness.staff_info)
    if (info := bussiness.document_info) is not None:
        _add_fields(
            element,
            "BussinessDocumentInfo",
            [("DocumentInfo", info.document_info), ("DocumentReceiver", info.document_receiver)],
        )
        if info.receivers:
            receivers = _add(element[-1], "ReceiverList")
            for receiver in info.receivers:
                _add_fields(
                    receivers,
                    "Receiver",
                    [
                        ("OrganId", receiver.organ_id),
                        ("ReceiverType", str(int(receiver.receiver_type))),
                    ],
                )
    if bussiness.replacements:
        replacements = _add(element, "ReplacementInfoList")
        for replacement in bussiness.replacements:
            item = _add(replacements, "ReplacementInfo")
            _add(item, "DocumentId", replacement.document_id)
            _list(item, "OrganIdList", "OrganId", replacement.organ_ids)


def _trace_header_list(
    parent: _Element, trace: Sequence[TraceHeader], bussiness: Bussiness | None
) -> None:
    if not trace and bussiness is None:
        return
    element = _add(parent, "TraceHeaderList")
    for hop in trace:
        _add_fields(
            element, "TraceHeader", [("OrganId", hop.organ_id), ("Timestamp", hop.timestamp)]
        )
    if bussiness is not None:
        _bussiness(element, bussiness)


def _document_envelope(pkg: DocumentPackage) -> _Element:
    envelope = etree.Element(_q("edXMLEnvelope"), nsmap=_NSMAP)
    header = _add(envelope, "edXMLHeader")
    _message_header(header, pkg.header)
    _trace_header_list(header, pkg.trace_headers, pkg.bussiness)
    manifest = _add(_add(envelope, "edXMLBody"), "edXMLManifest")
    manifest.set("version", "1.0")
    for ref in pkg.manifest:
        _add_fields(
            manifest,
            "Reference",
            [
                ("ContentId", ref.content_id),
                ("ContentType", ref.content_type),
                ("Description", ref.description),
                ("AttachmentName", ref.attachment_name),
            ],
        )
    etree.indent(envelope, space="  ", level=1)
    return envelope


def _status_envelope(pkg: StatusPackage) -> _Element:
    envelope = etree.Element(_q("edXMLEnvelope"), nsmap=_NSMAP)
    header = _add(envelope, "edXMLHeader")
    element = _add(header, "MessageHeader")
    _organization(element, "From", pkg.from_)
    _response_for(element, pkg.response_for)
    _staff_info(element, pkg.staff_info)
    _add(element, "StatusCode", pkg.status_code)
    for name, value in (("Description", pkg.description), ("Timestamp", pkg.timestamp)):
        if value is not None:
            _add(element, name, value)
    _trace_header_list(header, pkg.trace_headers, None)
    etree.indent(envelope, space="  ", level=1)
    return envelope


def _base64_pieces(data: bytes) -> Iterator[str]:
    view = memoryview(data)
    for start in range(0, len(view), _RAW_CHUNK):
        yield binascii.b2a_base64(view[start : start + _RAW_CHUNK], newline=False).decode("ascii")


def _check_contents(attachments: Sequence[Attachment], contents: Mapping[str, bytes]) -> None:
    for att in attachments:
        data = contents.get(att.content_id)
        if data is None:
            raise ValueError(f"no contents given for attachment {att.content_id}")
        # An empty sha256 means "not computed yet"; a filled one must describe the contents.
        if att.sha256 and (att.size != len(data) or att.sha256 != hashlib.sha256(data).hexdigest()):
            raise ValueError(
                f"size or sha256 of attachment {att.content_id} differs from its contents"
            )


def _write_document(pkg: DocumentPackage, contents: Mapping[str, bytes], out: BinaryIO) -> None:
    out.write(_DECLARATION)
    with etree.xmlfile(out, encoding="UTF-8") as xf, xf.element(_q("edXML"), nsmap={None: NS}):
        xf.write("\n  ")
        xf.write(_document_envelope(pkg))
        if pkg.attachments:
            xf.write("\n  ")
            with xf.element(_q("AttachmentEncoded"), nsmap=_NSMAP):
                for att in pkg.attachments:
                    xf.write("\n    ")
                    with xf.element(_q("Attachment")):
                        for name, value in (
                            ("ContentId", att.content_id),
                            ("AttachmentName", att.attachment_name),
                            ("Description", att.description),
                            ("ContentType", att.content_type),
                        ):
                            if value is not None:
                                xf.write("\n      ")
                                with xf.element(_q(name)):
                                    xf.write(value)
                        xf.write("\n      ")
                        with xf.element(_q("ContentTransferEncoded")):
                            for piece in _base64_pieces(contents[att.content_id]):
                                xf.write(piece)
                        xf.write("\n    ")
                xf.write("\n  ")
        xf.write("\n")


def build_document(
    pkg: DocumentPackage, contents: Mapping[str, bytes], out: BinaryIO | None = None
) -> bytes | None:
    """Write ``pkg`` as edXML; ``contents`` maps each attachment's ContentId to its bytes (as
    they travel: zipped when the SDK's convention is followed).

    With ``out``, the package is written there incrementally (base64 in 48 KiB pieces) and
    ``None`` is returned; without, the package is returned as bytes. Raises ``ValueError`` when
    an attachment has no contents, or contents that contradict its ``size``/``sha256``.
    The manifest is written as given: :func:`~lienthong.edxml.parser.parse_package` is the gate.
    """
    _check_contents(pkg.attachments, contents)
    if out is not None:
        _write_document(pkg, contents, out)
        return None
    buffer = io.BytesIO()
    _write_document(pkg, contents, buffer)
    return buffer.getvalue()


def build_status(pkg: StatusPackage) -> bytes:
    """Write a status package as edXML bytes."""
    buffer = io.BytesIO()
    buffer.write(_DECLARATION)
    with etree.xmlfile(buffer, encoding="UTF-8") as xf, xf.element(_q("edXML"), nsmap={None: NS}):
        xf.write("\n  ")
        xf.write(_status_envelope(pkg))
        xf.write("\n")
    return buffer.getvalue()


def _as_organization(value: Organization | str, path: str) -> Organization:
    org = value if isinstance(value, Organization) else Organization(organ_id=value)
    check_organ_id(org.organ_id, path)
    return org


def _zip_one(name: str, data: bytes, day: date) -> bytes:
    """``name`` alone in a zip, as the SDK sends files; the same input gives the same bytes."""
    buffer = io.BytesIO()
    info = zipfile.ZipInfo(
        name, date_time=max((day.year, day.month, day.day, 0, 0, 0), (1980, 1, 1, 0, 0, 0))
    )
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(info, data)
    return buffer.getvalue()


def make_document(
    *,
    sender: Organization | str,
    recipients: Sequence[Organization | str],
    number: str,
    notation: str,
    promulgation_date: date,
    subject: str,
    attachments: Mapping[str, bytes] = {},  # read only: a shared default is harmless
    zip_attachments: bool = True,
    bussiness_doc_type: int = 0,
    target_document_id: str | None = None,
    receivers: Sequence[Receiver] = (),
    replacements: Sequence[ReplacementInfo] = (),
    priority: int = 0,
    document_id: str | None = None,
    due_date: date | None = None,
    type_name: str = "Công văn",
    signer: SignerInfo | None = None,
    trace: Sequence[TraceHeader] = (),
) -> tuple[DocumentPackage, dict[str, bytes]]:
    """A document package and its contents map (ContentId -> bytes as they travel).

    ``attachments`` maps file names to raw bytes. Each becomes ``cid:1``, ``cid:2``, ... in
    order; zipped alone (``application/zip``, the SDK's way) unless ``zip_attachments`` is false,
    then typed from its name. ``Attachment.size``/``sha256`` describe the bytes that travel.
    ``DocumentId`` defaults to the standard form; ``Bussiness`` is always written, with the
    SDK's reason for the type. ``DocumentType`` carries only ``TypeName`` (the code list of
    ``Type`` is not known). Raises :class:`~lienthong.edxml.errors.EdxmlError` for an invalid
    agency identifier or ``bussiness_doc_type``; ``ValueError`` without recipients.
    """
    if not recipients:
        raise ValueError("a document needs at least one recipient")
    from_ = _as_organization(sender, "From/OrganId")
    to = tuple(_as_organization(org, "To/OrganId") for org in recipients)
    doc_type = check_bussiness_doc_type(bussiness_doc_type)
    for receiver in receivers:
        check_organ_id(receiver.organ_id, "Receiver/OrganId")
    manifest: list[ManifestReference] = []
    described: list[Attachment] = []
    contents: dict[str, bytes] = {}
    for index, (name, raw) in enumerate(attachments.items(), start=1):
        content_id = f"cid:{index}"
        if zip_attachments:
            data, content_type = _zip_one(name, raw, promulgation_date), "application/zip"
        else:
            data = raw
            content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        contents[content_id] = data
        manifest.append(ManifestReference(content_id, content_type, name, name))
        described.append(
            Attachment(
                content_id=content_id,
                attachment_name=name,
                description=name,
                content_type=content_type,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
            )
        )
    header = MessageHeader(
        from_=from_,
        to=to,
        document_id=document_id
        or make_document_id(from_.organ_id, promulgation_date, number, notation),
        code=Code(code_number=number, code_notation=notation),
        promulgation_info=PromulgationInfo(promulgation_date=format_edxml_date(promulgation_date)),
        document_type=DocumentType(type_name=type_name),
        subject=subject,
        signer_info=signer,
        due_date=None if due_date is None else format_edxml_date(due_date),
        other_info=OtherInfo(priority=str(priority)),
    )
    bussiness = Bussiness(
        bussiness_doc_type=doc_type,
        document_id=target_document_id,
        bussiness_doc_reason=_DEFAULT_REASONS[doc_type],
        paper="0",
        document_info=BussinessDocumentInfo(
            document_info="0", document_receiver="1", receivers=tuple(receivers)
        )
        if receivers
        else None,
        replacements=tuple(replacements),
    )
    pkg = DocumentPackage(
        header=header,
        trace_headers=tuple(trace),
        bussiness=bussiness,
        manifest=tuple(manifest),
        attachments=tuple(described),
    )
    return pkg, contents


def make_status(
    *,
    sender: Organization | str,
    document_id: str,
    original_sender: str,
    status_code: str,
    description: str = "",
    timestamp: datetime | None = None,
    staff: StaffInfo | None = None,
    code: str | None = None,
    promulgation_date: str | None = None,
) -> StatusPackage:
    """A status package about ``document_id`` sent by ``original_sender`` (``ResponseFor``).

    ``code`` is the document's ``{number}/{notation}``; ``timestamp`` (local Vietnam time) is
    written ``yyyy/MM/dd HH:mm:ss`` when given. Raises
    :class:`~lienthong.edxml.errors.EdxmlError` for an unknown status code or an invalid agency
    identifier.
    """
    if not document_id:
        raise field_missing("ResponseFor/DocumentId")
    return StatusPackage(
        from_=_as_organization(sender, "From/OrganId"),
        response_for=ResponseFor(
            organ_id=check_organ_id(original_sender, "ResponseFor/OrganId"),
            code=code,
            promulgation_date=promulgation_date,
            document_id=document_id,
        ),
        status_code=check_status_code(str(status_code)),
        staff_info=staff,
        description=description,
        timestamp=None if timestamp is None else format_edxml_timestamp(timestamp),
    )
