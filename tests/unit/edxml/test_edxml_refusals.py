"""Every way a package is refused, with its exact error code, and what the sink saw.

Contract: the parser opens the sink only for an attachment it is about to decode, closes every
writer it opened even when it refuses, and leaves the discarding of staged attachments to the
caller. Refusals that can be seen before an attachment starts leave the sink untouched.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from lienthong.edxml import (
    EdxmlError,
    Limits,
    MemorySink,
    build_document,
    make_document,
    parse_bytes,
)
from lienthong.errors import ErrorCode

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"


def refuse(
    data: bytes, code: ErrorCode, sink: MemorySink, limits: Limits | None = None
) -> EdxmlError:
    with pytest.raises(EdxmlError) as caught:
        parse_bytes(data, sink=sink, limits=limits or Limits())
    assert caught.value.code == code, caught.value
    assert sink.opened == sink.closed, "a writer was left open"
    return caught.value


def edit(data: bytes, pattern: str, replacement: str, count: int = 1) -> bytes:
    text, done = re.subn(pattern, replacement, data.decode(), count=count, flags=re.S)
    assert done, f"{pattern!r} not found"
    return text.encode()


def two_attachments() -> bytes:
    pkg, contents = make_document(
        sender="000.00.00.G22",
        recipients=["000.00.00.H41"],
        number="1",
        notation="VPCP",
        promulgation_date=date(2026, 1, 5),
        subject="Hai tệp",
        attachments={"a.pdf": b"first file", "b.pdf": b"second file"},
        zip_attachments=False,
    )
    data = build_document(pkg, contents)
    assert data is not None
    return data


# Forbidden XML -------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE edXML [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><Subject>&lol9;</Subject></edXML>"""


def test_refuses_a_billion_laughs_package(sink: MemorySink) -> None:
    refuse(BILLION_LAUGHS, ErrorCode.PACKAGE_FORBIDDEN_XML, sink)
    assert sink.opened == []


def test_refuses_an_external_entity_pointing_at_a_local_file(
    document_bytes: bytes, sink: MemorySink
) -> None:
    data = edit(
        document_bytes,
        r"<\?xml[^>]*>",
        '<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    )
    data = edit(data, r"<edXML:Subject>[^<]*", "<edXML:Subject>&xxe;")
    error = refuse(data, ErrorCode.PACKAGE_FORBIDDEN_XML, sink)
    assert "root:" not in str(error)
    assert sink.opened == []


def test_refuses_an_external_dtd(document_bytes: bytes, sink: MemorySink) -> None:
    data = edit(
        document_bytes,
        r"<\?xml[^>]*>",
        '<?xml version="1.0"?>\n<!DOCTYPE edXML SYSTEM "http://127.0.0.1:9/edxml.dtd">',
    )
    refuse(data, ErrorCode.PACKAGE_FORBIDDEN_XML, sink)


def test_refuses_a_parameter_entity_in_the_internal_subset(sink: MemorySink) -> None:
    data = (
        b'<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY % remote SYSTEM '
        b'"http://127.0.0.1:9/evil.dtd"> %remote;]><edXML xmlns="' + NS.encode() + b'"/>'
    )
    refuse(data, ErrorCode.PACKAGE_FORBIDDEN_XML, sink)


def test_refuses_a_plain_doctype_even_without_declarations(
    document_bytes: bytes, sink: MemorySink
) -> None:
    data = edit(document_bytes, r"(<\?xml[^>]*>)", r"\1<!-- a comment --><!DOCTYPE edXML>")
    refuse(data, ErrorCode.PACKAGE_FORBIDDEN_XML, sink)


def test_refuses_a_doctype_in_a_utf16_package(sink: MemorySink) -> None:
    text = f'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE edXML><edXML xmlns="{NS}"/>'
    refuse(text.encode("utf-16"), ErrorCode.PACKAGE_FORBIDDEN_XML, sink)


def test_refuses_a_reference_to_an_undeclared_entity(
    document_bytes: bytes, sink: MemorySink
) -> None:
    data = edit(document_bytes, r"<edXML:Subject>[^<]*", "<edXML:Subject>&nbsp;")
    refuse(data, ErrorCode.PACKAGE_FORBIDDEN_XML, sink)
    assert sink.opened == []


def test_reads_the_predefined_entities_and_character_references(document_bytes: bytes) -> None:
    data = edit(document_bytes, r"<edXML:Subject>[^<]*", "<edXML:Subject>A &amp; B &#x1EC7;")
    pkg = parse_bytes(data)
    assert pkg.header.subject == "A & B ệ"  # type: ignore[union-attr]


# Malformed ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"this is not XML",
        b'<?xml version="1.0"?><edXML xmlns="' + NS.encode() + b'"><a></b></edXML>',
        b'<edXML xmlns="' + NS.encode() + b'"><edXMLEnvelope>',
        b'<edXML xmlns="' + NS.encode() + b'"/><edXML xmlns="' + NS.encode() + b'"/>',
        b'<?xml version="1.0" encoding="UTF-8"?><edXML xmlns="' + NS.encode() + b'">\xff</edXML>',
    ],
    ids=["empty", "not-xml", "mismatched-tags", "truncated", "two-roots", "bad-utf8"],
)
def test_refuses_malformed_xml(data: bytes, sink: MemorySink) -> None:
    refuse(data, ErrorCode.PACKAGE_MALFORMED, sink)
    assert sink.opened == []


def test_refuses_a_package_cut_in_the_middle_of_an_attachment(
    document_bytes: bytes, sink: MemorySink
) -> None:
    cut = document_bytes.index(b"ContentTransferEncoded>") + 200
    refuse(document_bytes[:cut], ErrorCode.PACKAGE_MALFORMED, sink)
    assert sink.opened == ["cid:1"]  # the caller discards the partial file


def test_refuses_a_package_without_an_envelope(sink: MemorySink) -> None:
    error = refuse(
        f'<edXML xmlns="{NS}"><Other/></edXML>'.encode(), ErrorCode.PACKAGE_FIELD_MISSING, sink
    )
    assert error.detail == {"field": "edXMLEnvelope"}


# Namespace ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "root",
    [
        "<edXML>",
        '<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2015">',
        f'<Package xmlns="{NS}">',
    ],
    ids=["no-namespace", "other-namespace", "other-root"],
)
def test_refuses_a_root_that_is_not_edxml_in_its_namespace(
    document_bytes: bytes, root: str, sink: MemorySink
) -> None:
    data = edit(document_bytes, r"<edXML xmlns=[^>]*>", root)
    if "Package" in root:
        data = edit(data, r"</edXML>\s*$", "</Package>")
    refuse(data, ErrorCode.PACKAGE_WRONG_NAMESPACE, sink)
    assert sink.opened == []


# Missing and invalid fields ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "field"),
    [
        (r"<edXML:From>.*?</edXML:From>", "From"),
        (r"<edXML:To>.*?</edXML:To>\s*<edXML:To>.*?</edXML:To>", "To"),
        (r"<edXML:Code>.*?</edXML:Code>", "Code"),
        (r"<edXML:OrganId>000.00.00.G22</edXML:OrganId>", "From/OrganId"),
        (r"<edXML:CodeNumber>.*?</edXML:CodeNumber>", "Code/CodeNumber"),
        (r"<edXML:CodeNotation>.*?</edXML:CodeNotation>", "Code/CodeNotation"),
        (r"<edXML:OrganId>H01.151.01</edXML:OrganId>", "To/OrganId"),
        (r"<edXML:MessageHeader>.*?</edXML:MessageHeader>", "MessageHeader"),
    ],
)
def test_refuses_a_document_without_a_required_element(
    document_bytes: bytes, pattern: str, field: str, sink: MemorySink
) -> None:
    error = refuse(edit(document_bytes, pattern, ""), ErrorCode.PACKAGE_FIELD_MISSING, sink)
    assert error.detail["field"] == field


def test_refuses_an_attachment_whose_content_id_comes_after_its_content(
    document_bytes: bytes, sink: MemorySink
) -> None:
    data = edit(
        document_bytes, r"(<edXML:ContentId>cid:1</edXML:ContentId>)(\s*)(<edXML:At)", r"\3"
    )
    data = edit(
        data, r"(</edXML:ContentTransferEncoded>)", r"\1<edXML:ContentId>cid:1</edXML:ContentId>"
    )
    error = refuse(data, ErrorCode.PACKAGE_FIELD_MISSING, sink)
    assert error.detail == {"field": "Attachment/ContentId"}
    assert sink.opened == []


@pytest.mark.parametrize(
    ("pattern", "replacement", "field"),
    [
        (r"<edXML:BussinessDocType>0<", "<edXML:BussinessDocType>4<", "Bussiness/BussinessDocType"),
        (r"<edXML:BussinessDocType>0<", "<edXML:BussinessDocType>x<", "Bussiness/BussinessDocType"),
        (r"000.00.00.G22</edXML:OrganId>", "G" * 36 + "</edXML:OrganId>", "From/OrganId"),
        (r"000.00.00.G22</edXML:OrganId>", "  </edXML:OrganId>", "From/OrganId"),
        (r"H01.151.01</edXML:OrganId>", "</edXML:OrganId>", "To/OrganId"),
    ],
)
def test_refuses_a_document_with_an_invalid_value(
    document_bytes: bytes, pattern: str, replacement: str, field: str, sink: MemorySink
) -> None:
    error = refuse(
        edit(document_bytes, pattern, replacement), ErrorCode.PACKAGE_FIELD_INVALID, sink
    )
    assert error.detail["field"] == field


def test_accepts_an_agency_identifier_of_exactly_35_characters(document_bytes: bytes) -> None:
    data = edit(document_bytes, r"000.00.00.G22</edXML:OrganId>", "G" * 35 + "</edXML:OrganId>")
    assert parse_bytes(data).sender == "G" * 35


STATUS = f"""<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="{NS}"><edXML:edXMLEnvelope xmlns:edXML="{NS}"><edXML:edXMLHeader>
<edXML:MessageHeader>
  <edXML:From><edXML:OrganId>000.00.00.H41</edXML:OrganId></edXML:From>
  <edXML:ResponseFor><edXML:OrganId>000.00.00.G22</edXML:OrganId>
    <edXML:DocumentId>000.00.00.G22,2026/11/02,7816/VPCP-TTĐT</edXML:DocumentId></edXML:ResponseFor>
  <edXML:StatusCode>03</edXML:StatusCode>
</edXML:MessageHeader></edXML:edXMLHeader></edXML:edXMLEnvelope></edXML>"""


def test_reads_a_minimal_status_package() -> None:
    pkg = parse_bytes(STATUS.encode())
    assert pkg.sender == "000.00.00.H41"


@pytest.mark.parametrize("code", ["00", "07", "3", "x", "１３"])
def test_refuses_a_status_code_outside_the_list(code: str, sink: MemorySink) -> None:
    error = refuse(
        STATUS.replace(">03<", f">{code}<").encode(), ErrorCode.PACKAGE_FIELD_INVALID, sink
    )
    assert error.detail["field"] == "StatusCode"


def test_reads_a_status_code_with_spaces_around_it() -> None:
    pkg = parse_bytes(STATUS.replace(">03<", "> 13\n<").encode())
    assert pkg.status_code == "13"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("pattern", "field"),
    [
        (r"<edXML:DocumentId>.*?</edXML:DocumentId>", "ResponseFor/DocumentId"),
        (r"<edXML:ResponseFor>.*?</edXML:ResponseFor>", "ResponseFor/DocumentId"),
        (r"<edXML:From>.*?</edXML:From>", "From"),
        (r"<edXML:OrganId>000.00.00.H41</edXML:OrganId>", "From/OrganId"),
        (r"<edXML:StatusCode>.*?</edXML:StatusCode>", "StatusCode"),
        (r"(<edXML:StatusCode>).*?(</edXML:StatusCode>)", "StatusCode"),
    ],
)
def test_refuses_a_status_without_a_required_element(
    pattern: str, field: str, sink: MemorySink
) -> None:
    replacement = r"\1\2" if "(" in pattern else ""
    data = edit(STATUS.encode(), pattern, replacement)
    error = refuse(data, ErrorCode.PACKAGE_FIELD_MISSING, sink)
    assert error.detail["field"] == field


def test_refuses_a_status_package_that_carries_attachments(
    document_bytes: bytes, sink: MemorySink
) -> None:
    attachments = re.search(
        rb"<edXML:AttachmentEncoded.*</edXML:AttachmentEncoded>", document_bytes, re.S
    )
    assert attachments is not None
    data = STATUS.encode().replace(b"</edXML>", attachments.group(0) + b"</edXML>")
    error = refuse(data, ErrorCode.PACKAGE_FIELD_INVALID, sink)
    assert error.detail["field"] == "AttachmentEncoded"


# Broken base64 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "replacement"),
    [
        (r"(ContentTransferEncoded>)(\w{8})", r"\1!!!!\2"),  # outside the alphabet
        (r"(ContentTransferEncoded>)(\w{8})", r"\1ệệệệ\2"),  # not even ASCII
        (r"=*(</edXML:ContentTransferEncoded>)", r"A\1"),  # truncated last group
        (r"(ContentTransferEncoded>)(\w{8})", r"\1QQ==\2"),  # data after padding
        (r"(ContentTransferEncoded>)(\w{8})", r"\1====\2"),  # padding first
        (r"=*(</edXML:ContentTransferEncoded>)", r"=====\1"),  # excess padding
    ],
    ids=["alphabet", "non-ascii", "truncated", "after-padding", "leading-padding", "excess"],
)
def test_refuses_an_attachment_that_is_not_valid_base64(
    document_bytes: bytes, pattern: str, replacement: str, sink: MemorySink
) -> None:
    error = refuse(
        edit(document_bytes, pattern, replacement), ErrorCode.ATTACHMENT_ENCODING_INVALID, sink
    )
    assert error.detail == {"content_id": "cid:1"}
    assert sink.opened == ["cid:1"]  # opened, closed, and left to the caller to discard


def test_refuses_padding_in_the_middle_of_a_long_attachment(sink: MemorySink) -> None:
    first, second = b"x" * 100_000, b"y" * 100_000
    import base64

    pkg, contents = make_document(
        sender="000.00.00.G22",
        recipients=["000.00.00.H41"],
        number="1",
        notation="A",
        promulgation_date=date(2026, 1, 1),
        subject="s",
        attachments={"a.bin": first},
        zip_attachments=False,
    )
    data = build_document(pkg, contents)
    assert data is not None
    padded = base64.b64encode(first + b"z").decode()  # ends with "=="
    data = edit(
        data,
        r"(ContentTransferEncoded>)[^<]*",
        r"\g<1>" + padded + base64.b64encode(second).decode(),
    )
    refuse(data, ErrorCode.ATTACHMENT_ENCODING_INVALID, sink)


def test_refuses_elements_inside_the_attachment_contents(
    document_bytes: bytes, sink: MemorySink
) -> None:
    data = edit(document_bytes, r"(ContentTransferEncoded>)(\w{8})", r"\1\2<b/>")
    refuse(data, ErrorCode.PACKAGE_MALFORMED, sink)


# Manifest ------------------------------------------------------------------------------------


def test_refuses_an_attachment_that_is_not_in_the_manifest(sink: MemorySink) -> None:
    data = edit(
        two_attachments(), r"<edXML:Reference>\s*<edXML:ContentId>cid:2<.*?</edXML:Reference>", ""
    )
    error = refuse(data, ErrorCode.MANIFEST_MISMATCH, sink)
    assert error.detail["extra"] == ["cid:2"]
    assert sink.opened == ["cid:1"]  # cid:2 was refused before its contents were read


def test_refuses_a_manifest_reference_without_its_attachment(sink: MemorySink) -> None:
    data = edit(
        two_attachments(), r"<edXML:Attachment>\s*<edXML:ContentId>cid:2<.*?</edXML:Attachment>", ""
    )
    error = refuse(data, ErrorCode.MANIFEST_MISMATCH, sink)
    assert error.detail["missing"] == ["cid:2"]


def test_refuses_two_attachments_with_the_same_content_id(sink: MemorySink) -> None:
    data = edit(
        two_attachments(),
        r"(<edXML:Attachment>\s*<edXML:ContentId>)cid:2<",
        r"\1cid:1<",
    )
    error = refuse(data, ErrorCode.MANIFEST_MISMATCH, sink)
    assert error.detail["duplicate"] == "cid:1"
    assert sink.opened == ["cid:1"]


def test_refuses_two_manifest_references_with_the_same_content_id(sink: MemorySink) -> None:
    data = edit(two_attachments(), r"(<edXML:Reference>\s*<edXML:ContentId>)cid:2<", r"\1cid:1<")
    error = refuse(data, ErrorCode.MANIFEST_MISMATCH, sink)
    assert error.detail["duplicate"] == "cid:1"
    assert sink.opened == []


def test_refuses_attachments_when_the_manifest_is_absent(sink: MemorySink) -> None:
    data = edit(two_attachments(), r"<edXML:edXMLBody>.*?</edXML:edXMLBody>", "")
    error = refuse(data, ErrorCode.MANIFEST_MISMATCH, sink)
    assert error.detail["extra"] == ["cid:1", "cid:2"]


# Limits --------------------------------------------------------------------------------------


def test_refuses_a_package_over_the_byte_limit(document_bytes: bytes, sink: MemorySink) -> None:
    refuse(
        document_bytes, ErrorCode.PACKAGE_TOO_LARGE, sink, Limits(max_bytes=len(document_bytes) - 1)
    )
    assert sink.opened == []  # the small package fits in one chunk: refused before parsing
    assert parse_bytes(document_bytes, limits=Limits(max_bytes=len(document_bytes)))


def test_refuses_a_package_over_the_byte_limit_while_reading(sink: MemorySink) -> None:
    data = two_attachments()
    data = edit(data, r"(ContentTransferEncoded>)", r"\1" + "QUJD" * 50_000)
    refuse(data, ErrorCode.PACKAGE_TOO_LARGE, sink, Limits(max_bytes=100_000))


def test_refuses_text_over_the_text_limit(document_bytes: bytes, sink: MemorySink) -> None:
    data = edit(document_bytes, r"<edXML:Subject>", "<edXML:Subject>" + "ă" * 5000)
    refuse(data, ErrorCode.PACKAGE_TOO_LARGE, sink, Limits(max_text_bytes=8000))
    assert sink.opened == []


def test_attachment_contents_do_not_count_as_text(document_bytes: bytes) -> None:
    assert parse_bytes(document_bytes, limits=Limits(max_text_bytes=4000))


def test_refuses_more_attachments_than_the_limit(sink: MemorySink) -> None:
    refuse(two_attachments(), ErrorCode.PACKAGE_TOO_LARGE, sink, Limits(max_attachments=1))
    assert sink.opened == ["cid:1"]
    assert parse_bytes(two_attachments(), limits=Limits(max_attachments=2))


def test_refuses_elements_nested_deeper_than_the_limit(
    document_bytes: bytes, sink: MemorySink
) -> None:
    data = edit(document_bytes, r"<edXML:Subject>", "<x>" * 40 + "</x>" * 40 + "<edXML:Subject>")
    refuse(data, ErrorCode.PACKAGE_TOO_LARGE, sink)


def test_refuses_more_elements_than_the_limit(document_bytes: bytes, sink: MemorySink) -> None:
    data = edit(document_bytes, r"<edXML:Subject>", "<x/>" * 200 + "<edXML:Subject>")
    refuse(data, ErrorCode.PACKAGE_TOO_LARGE, sink, Limits(max_elements=150))
