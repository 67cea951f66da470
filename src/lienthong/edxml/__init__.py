"""edXML (QCVN 102:2016/BTTTT): the packages agencies exchange, read safely and written back.

* :mod:`~lienthong.edxml.model`: the package as plain frozen values (pure, no I/O).
* :mod:`~lienthong.edxml.parser`: :func:`parse_package` streams a package, refusing unsafe or
  malformed input with :class:`EdxmlError`, and hands attachments to an :class:`AttachmentSink`.
* :mod:`~lienthong.edxml.builder`: :func:`build_document` / :func:`build_status` write packages;
  :func:`make_document` / :func:`make_status` assemble them from a few values.
"""

from lienthong.edxml.builder import build_document, build_status, make_document, make_status
from lienthong.edxml.errors import EdxmlError
from lienthong.edxml.model import (
    NS,
    Attachment,
    Bussiness,
    BussinessDocType,
    BussinessDocumentInfo,
    Code,
    DocumentPackage,
    DocumentType,
    Limits,
    ManifestReference,
    MessageHeader,
    Organization,
    OtherInfo,
    Package,
    Priority,
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
from lienthong.edxml.parser import (
    AttachmentSink,
    BinaryWriter,
    MemorySink,
    parse_bytes,
    parse_package,
)

__all__ = [
    "NS",
    "Attachment",
    "AttachmentSink",
    "BinaryWriter",
    "Bussiness",
    "BussinessDocType",
    "BussinessDocumentInfo",
    "Code",
    "DocumentPackage",
    "DocumentType",
    "EdxmlError",
    "Limits",
    "ManifestReference",
    "MemorySink",
    "MessageHeader",
    "Organization",
    "OtherInfo",
    "Package",
    "Priority",
    "PromulgationInfo",
    "Receiver",
    "ReceiverType",
    "ReplacementInfo",
    "ResponseFor",
    "SignerInfo",
    "StaffInfo",
    "StatusCode",
    "StatusPackage",
    "TraceHeader",
    "build_document",
    "build_status",
    "make_document",
    "make_status",
    "parse_bytes",
    "parse_package",
]
