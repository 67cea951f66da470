"""What real senders write that the standard does not quite say, read without complaint."""

from __future__ import annotations

import base64
import hashlib
import io
import re

import pytest

from lienthong.edxml import DocumentPackage, EdxmlError, MemorySink, parse_bytes, parse_package
from lienthong.errors import ErrorCode

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DSIG = "http://www.w3.org/2000/09/xmldsig#"


def edit(data: bytes, pattern: str, replacement: str) -> bytes:
    text, done = re.subn(pattern, replacement, data.decode(), flags=re.S)
    assert done, f"{pattern!r} not found"
    return text.encode()


def document(data: bytes, sink: MemorySink | None = None) -> DocumentPackage:
    pkg = parse_bytes(data, sink=sink)
    assert isinstance(pkg, DocumentPackage)
    return pkg


def test_reads_business_spelled_with_one_s(document_bytes: bytes) -> None:
    data = edit(document_bytes, r"(</?edXML:)Bussiness", r"\1Business")
    pkg = document(data)
    assert pkg.bussiness is not None
    assert pkg.bussiness.bussiness_doc_reason == "Văn bản điện tử mới"
    assert pkg == document(document_bytes)


def test_reads_from_nested_twice(document_bytes: bytes) -> None:
    data = edit(
        document_bytes,
        r"<edXML:From>(.*?)</edXML:From>",
        r"<edXML:From><From>\1</From></edXML:From>",
    )
    assert document(data).sender == "000.00.00.G22"


def test_reads_an_agency_without_organization_in_charge(document_bytes: bytes) -> None:
    data = edit(
        document_bytes,
        r"<edXML:From>",
        "<edXML:From><edXML:OrganName>Văn phòng Chính phủ</edXML:OrganName>",
    )
    pkg = document(data)
    assert pkg.header.from_.organization_in_charge is None
    assert pkg.header.from_.organ_name == "Văn phòng Chính phủ"


def test_ignores_unknown_elements_in_any_namespace(document_bytes: bytes) -> None:
    data = edit(
        document_bytes,
        r"<edXML:Subject>",
        '<edXML:Extra><Deep a="1">x</Deep></edXML:Extra><o:Other xmlns:o="urn:other">'
        "<o:Subject>not this one</o:Subject></o:Other><edXML:Subject>",
    )
    assert document(data) == document(document_bytes)


def test_reads_elements_prefixed_or_in_the_default_namespace_alike(document_bytes: bytes) -> None:
    unprefixed = re.sub(rb"<(/?)edXML:", rb"<\1", document_bytes)
    assert b"edXML:" not in unprefixed.replace(b"xmlns:edXML", b"")
    assert document(unprefixed) == document(document_bytes)


def test_reads_a_signature_in_the_xmldsig_namespace_as_signed(document_bytes: bytes) -> None:
    signature = (
        f'<ds:Signature xmlns:ds="{DSIG}"><ds:SignedInfo><ds:Reference URI="">'
        "<ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo>"
        "<ds:SignatureValue>not base64 at all!</ds:SignatureValue></ds:Signature>"
    )
    data = edit(document_bytes, r"(</edXML:TraceHeaderList>)", r"\1" + signature)
    pkg = document(data)
    assert pkg.signed
    assert not document(document_bytes).signed


def test_reads_attachment_contents_wrapped_in_lines_across_chunks(document_bytes: bytes) -> None:
    payload = bytes(range(256)) * 1200  # 300 KiB: several 64 KiB chunks
    encoded = base64.encodebytes(payload).decode().replace("\n", "\r\n\t ")
    data = edit(document_bytes, r"(ContentTransferEncoded>)[^<]*", r"\g<1>" + encoded)
    sink = MemorySink()
    pkg = parse_package(io.BufferedReader(io.BytesIO(data), buffer_size=1000), sink=sink)
    assert isinstance(pkg, DocumentPackage)
    assert sink.contents["cid:1"] == payload
    assert pkg.attachments[0].size == len(payload)
    assert pkg.attachments[0].sha256 == hashlib.sha256(payload).hexdigest()


def test_reads_an_empty_attachment(document_bytes: bytes) -> None:
    sink = MemorySink()
    data = edit(document_bytes, r"(ContentTransferEncoded>)[^<]*", r"\1")
    pkg = document(data, sink)
    assert sink.contents == {"cid:1": b""}
    assert pkg.attachments[0].size == 0
    assert pkg.attachments[0].sha256 == hashlib.sha256(b"").hexdigest()


def test_without_a_sink_attachments_are_still_checked_and_hashed(document_bytes: bytes) -> None:
    sink = MemorySink()
    assert document(document_bytes) == document(document_bytes, sink)
    assert (
        document(document_bytes).attachments[0].sha256
        == hashlib.sha256(sink.contents["cid:1"]).hexdigest()
    )


def test_keeps_an_empty_element_apart_from_an_absent_one(document_bytes: bytes) -> None:
    data = edit(
        document_bytes, r"<edXML:Subject>[^<]*</edXML:Subject>", "<edXML:Subject>  </edXML:Subject>"
    )
    assert document(data).header.subject == ""
    data = edit(document_bytes, r"<edXML:Subject>[^<]*</edXML:Subject>", "")
    assert document(data).header.subject is None


def test_strips_whitespace_around_values(document_bytes: bytes) -> None:
    data = edit(
        document_bytes, r"<edXML:OrganId>000.00.00.G22<", "<edXML:OrganId>\n\t 000.00.00.G22 \n<"
    )
    assert document(data).sender == "000.00.00.G22"


def test_reads_comments_and_cdata_in_values(document_bytes: bytes) -> None:
    data = edit(
        document_bytes,
        r"<edXML:Subject>[^<]*",
        "<edXML:Subject>V/v <!-- note --><![CDATA[a <b> & c]]>",
    )
    assert document(data).header.subject == "V/v a <b> & c"


class _EndlessSource:
    """A first chunk, then elements forever: parsing must stop at the first refusal."""

    def __init__(self, first: bytes) -> None:
        self.first: bytes | None = first
        self.reads = 0

    def read(self, size: int = -1) -> bytes:
        self.reads += 1
        if self.first is not None:
            first, self.first = self.first, None
            return first
        return b"<x/>" * (size // 4)


def test_stops_reading_at_the_first_refusal() -> None:
    source = _EndlessSource(b'<edXML xmlns="urn:wrong">')
    with pytest.raises(EdxmlError) as caught:
        parse_package(source)  # type: ignore[arg-type]
    assert caught.value.code == ErrorCode.PACKAGE_WRONG_NAMESPACE
    assert source.reads == 1
