"""From the outline the streaming parser collected to model values, with the standard's checks.

The parser (:mod:`lienthong.edxml.parser`) keeps every element of a package as a small
:class:`Node` except attachment contents (streamed to a sink) and the signature (skipped); the
outline is bounded by :class:`~lienthong.edxml.model.Limits`. This module reads it tolerantly
(section 3 of the exchange notes: ``From`` nested twice, missing ``OrganizationInCharge``,
unknown elements ignored) and refuses what a hub cannot route.

Absent and empty are kept apart: an absent element reads as ``None``, an empty one as ``""``;
text is stripped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lienthong.edxml.errors import EdxmlError, field_invalid, field_missing, manifest_mismatch
from lienthong.edxml.model import (
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
    ReceiverType,
    ReplacementInfo,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    StatusCode,
    StatusPackage,
    TraceHeader,
)
from lienthong.errors import ErrorCode

# QCVN 102:2016 amendment 1:2022 (Circular 01/2022/TT-BTTTT): identifiers up to 35 characters.
MAX_ORGAN_ID_LENGTH = 35
STATUS_CODES = frozenset(code.value for code in StatusCode)


@dataclass(slots=True, eq=False)
class Node:
    """One element of the outline: its local name (``Business*`` read as ``Bussiness*``)."""

    name: str
    children: list[Node] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    # Attachment elements only: size and SHA-256 of the decoded ContentTransferEncoded.
    digest: tuple[int, str] | None = None

    @property
    def text(self) -> str:
        return "".join(self.parts).strip()

    def child(self, name: str) -> Node | None:
        for node in self.children:
            if node.name == name:
                return node
        return None

    def all(self, name: str) -> list[Node]:
        return [node for node in self.children if node.name == name]

    def value(self, name: str) -> str | None:
        """The stripped text of the first child ``name``; ``None`` when there is none."""
        node = self.child(name)
        return None if node is None else node.text


def check_organ_id(value: str | None, path: str) -> str:
    """An agency identifier: present, not empty, at most 35 characters. Returns it stripped."""
    if value is None:
        raise field_missing(path)
    value = value.strip()
    if not value:
        raise field_invalid(path, value, "an agency identifier cannot be empty")
    if len(value) > MAX_ORGAN_ID_LENGTH:
        raise field_invalid(path, value, f"longer than {MAX_ORGAN_ID_LENGTH} characters")
    return value


def check_status_code(value: str | None) -> str:
    if not value:
        raise field_missing("StatusCode")
    if value not in STATUS_CODES:
        raise field_invalid("StatusCode", value, "not one of " + ", ".join(sorted(STATUS_CODES)))
    return value


def check_bussiness_doc_type(value: str | int | None) -> BussinessDocType:
    try:
        return BussinessDocType(int(value if value is not None else 0))
    except ValueError:
        raise field_invalid("Bussiness/BussinessDocType", str(value), "not 0, 1, 2 or 3") from None


def _required(node: Node, name: str, path: str) -> str:
    value = node.value(name)
    if not value:
        raise field_missing(path)
    return value


def _organization(node: Node, path: str) -> Organization:
    # Some senders wrap the agency twice: <From><From><OrganId>...</OrganId></From></From>.
    while (inner := node.child(node.name)) is not None:
        node = inner
    return Organization(
        organ_id=check_organ_id(node.value("OrganId"), f"{path}/OrganId"),
        organization_in_charge=node.value("OrganizationInCharge"),
        organ_name=node.value("OrganName"),
        organ_add=node.value("OrganAdd"),
        email=node.value("Email"),
        telephone=node.value("Telephone"),
        fax=node.value("Fax"),
        website=node.value("Website"),
    )


def _staff_info(node: Node | None) -> StaffInfo | None:
    if node is None:
        return None
    return StaffInfo(
        department=node.value("Department"),
        staff=node.value("Staff"),
        email=node.value("Email"),
        mobile=node.value("Mobile"),
    )


def _response_for(node: Node) -> ResponseFor:
    return ResponseFor(
        organ_id=node.value("OrganId"),
        code=node.value("Code"),
        promulgation_date=node.value("PromulgationDate"),
        document_id=node.value("DocumentId"),
    )


def _texts(node: Node | None, name: str) -> tuple[str, ...] | None:
    return None if node is None else tuple(item.text for item in node.all(name))


def _trace_headers(header: Node) -> tuple[TraceHeader, ...]:
    trace_list = header.child("TraceHeaderList")
    if trace_list is None:
        return ()
    return tuple(
        # Trace headers are informative (one per hop); a blank one is kept, not refused.
        TraceHeader(organ_id=item.value("OrganId") or "", timestamp=item.value("Timestamp") or "")
        for item in trace_list.all("TraceHeader")
    )


def _message_header(node: Node) -> MessageHeader:
    from_node = node.child("From")
    if from_node is None:
        raise field_missing("From")
    to_nodes = node.all("To")
    if not to_nodes:
        raise field_missing("To")
    code = node.child("Code")
    if code is None:
        raise field_missing("Code")
    promulgation = node.child("PromulgationInfo")
    document_type = node.child("DocumentType")
    signer = node.child("SignerInfo")
    other = node.child("OtherInfo")
    return MessageHeader(
        from_=_organization(from_node, "From"),
        to=tuple(_organization(to, "To") for to in to_nodes),
        document_id=node.value("DocumentId"),
        code=Code(
            code_number=_required(code, "CodeNumber", "Code/CodeNumber"),
            code_notation=_required(code, "CodeNotation", "Code/CodeNotation"),
        ),
        promulgation_info=None
        if promulgation is None
        else PromulgationInfo(
            place=promulgation.value("Place"),
            promulgation_date=promulgation.value("PromulgationDate"),
        ),
        document_type=None
        if document_type is None
        else DocumentType(
            type=document_type.value("Type"),
            type_detail=document_type.value("TypeDetail"),
            type_name=document_type.value("TypeName"),
        ),
        subject=node.value("Subject"),
        content=node.value("Content"),
        signer_info=None
        if signer is None
        else SignerInfo(
            competence=signer.value("Competence"),
            position=signer.value("Position"),
            full_name=signer.value("FullName"),
        ),
        due_date=node.value("DueDate"),
        other_info=None
        if other is None
        else OtherInfo(
            priority=other.value("Priority"),
            sphere_of_promulgation=other.value("SphereOfPromulgation"),
            typer_notation=other.value("TyperNotation"),
            promulgation_amount=other.value("PromulgationAmount"),
            page_amount=other.value("PageAmount"),
            direction=other.value("Direction"),
            appendixes=_texts(other.child("Appendixes"), "Appendix"),
        ),
        response_for=tuple(_response_for(item) for item in node.all("ResponseFor")),
        steering_type=node.value("SteeringType"),
        to_places=_texts(node.child("ToPlaces"), "Place"),
    )


def _receiver(node: Node) -> Receiver:
    organ_id = check_organ_id(node.value("OrganId"), "Receiver/OrganId")
    raw = node.value("ReceiverType")
    if raw is None:
        raise field_missing("Receiver/ReceiverType")
    try:
        receiver_type = ReceiverType(int(raw))
    except ValueError:
        raise field_invalid("Receiver/ReceiverType", raw, "not 0 or 1") from None
    return Receiver(organ_id=organ_id, receiver_type=receiver_type)


def _replacement(node: Node) -> ReplacementInfo:
    organ_ids = node.child("OrganIdList")
    return ReplacementInfo(
        document_id=_required(node, "DocumentId", "ReplacementInfo/DocumentId"),
        organ_ids=_texts(organ_ids, "OrganId") or (),
    )


def _bussiness(header: Node, message_header: Node) -> Bussiness | None:
    trace_list = header.child("TraceHeaderList")
    # Written inside TraceHeaderList by the SDK; some senders put it next to it.
    for parent in (trace_list, header, message_header):
        node = None if parent is None else parent.child("Bussiness")
        if node is not None:
            break
    else:
        return None
    info = node.child("BussinessDocumentInfo")
    receiver_list = None if info is None else info.child("ReceiverList")
    replacements = node.child("ReplacementInfoList")
    return Bussiness(
        bussiness_doc_type=check_bussiness_doc_type(node.value("BussinessDocType")),
        document_id=node.value("DocumentId"),
        bussiness_doc_reason=node.value("BussinessDocReason"),
        paper=node.value("Paper"),
        staff_info=_staff_info(node.child("StaffInfo")),
        document_info=None
        if info is None
        else BussinessDocumentInfo(
            document_info=info.value("DocumentInfo"),
            document_receiver=info.value("DocumentReceiver"),
            receivers=()
            if receiver_list is None
            else tuple(_receiver(item) for item in receiver_list.all("Receiver")),
        ),
        replacements=()
        if replacements is None
        else tuple(_replacement(item) for item in replacements.all("ReplacementInfo")),
    )


def _manifest(envelope: Node) -> tuple[ManifestReference, ...]:
    body = envelope.child("edXMLBody")
    manifest = (body or envelope).child("edXMLManifest")
    if manifest is None:
        return ()
    return tuple(
        ManifestReference(
            content_id=_required(item, "ContentId", "Reference/ContentId"),
            content_type=item.value("ContentType"),
            description=item.value("Description"),
            attachment_name=file_name(item.value("AttachmentName"), "Reference/AttachmentName"),
        )
        for item in manifest.all("Reference")
    )


def file_name(value: str | None, path: str) -> str | None:
    """An attachment's name as it travels: a file name, never a path (no ``/`` or ``\\``, not
    ``.`` or ``..``) and no control character, since recipients save files under it."""
    if value is None:
        return None
    if "/" in value or "\\" in value or value.strip() in (".", ".."):
        raise field_invalid(path, value, "a file name, not a path")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise field_invalid(path, value, "a control character")
    return value


def attachment_nodes(root: Node) -> list[Node]:
    envelope = root.child("edXMLEnvelope")
    nodes: list[Node] = []
    for parent in (root, envelope):
        if parent is not None:
            for encoded in parent.all("AttachmentEncoded"):
                nodes.extend(encoded.all("Attachment"))
    return nodes


def _attachment(node: Node) -> Attachment:
    content_id = _required(node, "ContentId", "Attachment/ContentId")
    if node.digest is None:
        raise field_missing("Attachment/ContentTransferEncoded")
    size, sha256 = node.digest
    return Attachment(
        content_id=content_id,
        attachment_name=file_name(node.value("AttachmentName"), "Attachment/AttachmentName"),
        description=node.value("Description"),
        content_type=node.value("ContentType"),
        size=size,
        sha256=sha256,
    )


def check_manifest(
    manifest: tuple[ManifestReference, ...], attachments: tuple[Attachment, ...]
) -> None:
    """References and attachments must match one to one by ContentId, without duplicates."""
    for kind, ids in (
        ("Reference", [ref.content_id for ref in manifest]),
        ("Attachment", [att.content_id for att in attachments]),
    ):
        seen: set[str] = set()
        for content_id in ids:
            if content_id in seen:
                raise manifest_mismatch(
                    f"Two {kind} elements carry ContentId {content_id}.",
                    duplicate=content_id,
                )
            seen.add(content_id)
    referenced = {ref.content_id for ref in manifest}
    attached = {att.content_id for att in attachments}
    if referenced != attached:
        raise manifest_mismatch(
            "The manifest and the attachments do not match one to one by ContentId.",
            missing=sorted(referenced - attached),
            extra=sorted(attached - referenced),
        )


def read_package(root: Node, *, signed: bool) -> DocumentPackage | StatusPackage:
    """The package the outline describes: a status package when ``MessageHeader`` has a
    ``StatusCode``, else a document package. Raises :class:`EdxmlError` on a refusal.

    A header with ``ResponseFor`` but neither ``To`` nor ``Code`` is read as a status package
    whose ``StatusCode`` is missing, which says more to its sender than "To is missing".
    """
    envelope = root.child("edXMLEnvelope")
    if envelope is None:
        raise field_missing("edXMLEnvelope")
    header = envelope.child("edXMLHeader")
    if header is None:
        raise field_missing("edXMLHeader")
    message_header = header.child("MessageHeader")
    if message_header is None:
        raise field_missing("MessageHeader")
    looks_like_status = (
        message_header.child("ResponseFor") is not None
        and message_header.child("To") is None
        and message_header.child("Code") is None
    )
    if message_header.child("StatusCode") is not None or looks_like_status:
        status = _status(message_header, header, signed=signed)
        if attachment_nodes(root) or _manifest(envelope):
            raise EdxmlError(
                "A status package carries no attachments.",
                code=ErrorCode.PACKAGE_FIELD_INVALID,
                detail={"field": "AttachmentEncoded"},
            )
        return status
    message = _message_header(message_header)
    attachments = tuple(_attachment(node) for node in attachment_nodes(root))
    manifest = _manifest(envelope)
    check_manifest(manifest, attachments)
    return DocumentPackage(
        header=message,
        trace_headers=_trace_headers(header),
        bussiness=_bussiness(header, message_header),
        manifest=manifest,
        attachments=attachments,
        signed=signed,
    )


def _status(node: Node, header: Node, *, signed: bool) -> StatusPackage:
    from_node = node.child("From")
    if from_node is None:
        raise field_missing("From")
    response_for = node.child("ResponseFor")
    if response_for is None or not response_for.value("DocumentId"):
        raise field_missing("ResponseFor/DocumentId")
    return StatusPackage(
        from_=_organization(from_node, "From"),
        response_for=_response_for(response_for),
        status_code=check_status_code(node.value("StatusCode")),
        staff_info=_staff_info(node.child("StaffInfo")),
        description=node.value("Description"),
        timestamp=node.value("Timestamp"),
        trace_headers=_trace_headers(header),
        signed=signed,
    )
