"""Writing packages: the samples' layout, the standard's order, attachments as they travel."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest

from lienthong.edxml import (
    Attachment,
    BussinessDocType,
    DocumentPackage,
    EdxmlError,
    MemorySink,
    Organization,
    Receiver,
    SignerInfo,
    StaffInfo,
    StatusPackage,
    TraceHeader,
    build_document,
    build_status,
    make_document,
    make_status,
    parse_bytes,
    parse_package,
)
from lienthong.errors import ErrorCode

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
FILES = {"Công văn 7816.pdf": b"%PDF-1.7 body", "phụ lục.docx": b"PK docx", "trống.txt": b""}


def sample_document(**overrides: object) -> tuple[DocumentPackage, dict[str, bytes]]:
    arguments: dict[str, object] = {
        "sender": Organization("000.00.00.G22", organ_name="Văn phòng Chính phủ"),
        "recipients": ["000.00.00.H41", "H01.151.01"],
        "number": "7816",
        "notation": "VPCP-TTĐT",
        "promulgation_date": date(2026, 11, 2),
        "subject": "V/v kết nối, liên thông phần mềm quản lý văn bản",
        "attachments": FILES,
    }
    arguments.update(overrides)
    return make_document(**arguments)  # type: ignore[arg-type]


def built(pkg: DocumentPackage, contents: dict[str, bytes]) -> bytes:
    data = build_document(pkg, contents)
    assert data is not None
    return data


def test_make_document_zips_each_file_and_describes_the_zip() -> None:
    pkg, contents = sample_document()

    assert [att.content_id for att in pkg.attachments] == ["cid:1", "cid:2", "cid:3"]
    assert [ref.content_id for ref in pkg.manifest] == ["cid:1", "cid:2", "cid:3"]
    for att, (name, raw) in zip(pkg.attachments, FILES.items(), strict=True):
        data = contents[att.content_id]
        assert att.content_type == "application/zip"
        assert att.attachment_name == att.description == name
        assert att.size == len(data)
        assert att.sha256 == hashlib.sha256(data).hexdigest()
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert archive.namelist() == [name]
            assert archive.read(name) == raw


def test_make_document_gives_the_same_bytes_for_the_same_input() -> None:
    assert built(*sample_document()) == built(*sample_document())


def test_make_document_can_send_files_unzipped_with_their_own_type() -> None:
    pkg, contents = sample_document(zip_attachments=False)

    assert [att.content_type for att in pkg.attachments] == [
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "text/plain",
    ]
    assert list(contents.values()) == list(FILES.values())


def test_make_document_fills_the_standard_header() -> None:
    pkg, _ = sample_document(
        priority=2,
        due_date=date(2026, 11, 30),
        signer=SignerInfo("KT. BỘ TRƯỞNG", "Thứ trưởng", "Nguyễn Văn A"),
        trace=[TraceHeader("000.00.00.G22", "2026/11/02 08:00:00")],
    )

    assert pkg.header.document_id == "000.00.00.G22,2026/11/02,7816/VPCP-TTĐT"
    assert pkg.header.code is not None
    assert (pkg.header.code.code_number, pkg.header.code.code_notation) == ("7816", "VPCP-TTĐT")
    assert pkg.header.promulgation_info is not None
    assert pkg.header.promulgation_info.promulgation_date == "2026/11/02"
    assert pkg.header.due_date == "2026/11/30"
    assert pkg.header.other_info is not None
    assert pkg.header.other_info.priority == "2"
    assert pkg.header.document_type is not None
    assert pkg.header.document_type.type_name == "Công văn"
    assert pkg.recipients == ("000.00.00.H41", "H01.151.01")
    assert pkg.bussiness_doc_type == BussinessDocType.NEW
    assert parse_bytes(built(pkg, _)) == pkg


def test_make_document_builds_an_update_with_its_receivers() -> None:
    receivers = [Receiver("000.00.00.H41", 0), Receiver("000.00.00.H14", 1)]
    pkg, contents = sample_document(
        bussiness_doc_type=2,
        target_document_id="000.00.00.G22,2026/10/01,7000/VPCP-TTĐT",
        receivers=receivers,
        attachments={},
    )

    assert pkg.bussiness_doc_type == BussinessDocType.UPDATE
    assert pkg.target_document_id == "000.00.00.G22,2026/10/01,7000/VPCP-TTĐT"
    assert pkg.bussiness is not None
    assert pkg.bussiness.document_info is not None
    assert pkg.bussiness.document_info.receivers == tuple(receivers)
    assert parse_bytes(built(pkg, contents)) == pkg


@pytest.mark.parametrize(
    "overrides",
    [
        {"sender": "G" * 36},
        {"recipients": ["000.00.00.H41", ""]},
        {"bussiness_doc_type": 5},
        {"receivers": [Receiver("X" * 40, 1)]},
    ],
)
def test_make_document_refuses_what_a_hub_would_refuse(overrides: dict[str, object]) -> None:
    with pytest.raises(EdxmlError) as caught:
        sample_document(**overrides)
    assert caught.value.code == ErrorCode.PACKAGE_FIELD_INVALID


def test_make_document_needs_a_recipient() -> None:
    with pytest.raises(ValueError, match="recipient"):
        sample_document(recipients=[])


def test_writes_the_samples_layout() -> None:
    text = built(
        *sample_document(trace=[TraceHeader("000.00.00.G22", "2026/11/02 08:00:00")])
    ).decode()

    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="' + NS + '">')
    assert f'<edXML:edXMLEnvelope xmlns:edXML="{NS}">' in text
    assert f'</edXML:edXMLEnvelope>\n  <edXML:AttachmentEncoded xmlns:edXML="{NS}">' in text
    assert '<edXML:edXMLManifest version="1.0">' in text
    assert re.search(
        r"</edXML:TraceHeader>\s*<edXML:Bussiness>.*</edXML:TraceHeaderList>", text, re.S
    )
    assert "Business" not in text
    assert "Signature" not in text
    # Base64 on one line: strict decoders (Java's Base64.getDecoder) refuse line breaks.
    for encoded in re.findall(r"<edXML:ContentTransferEncoded>([^<]*)<", text):
        assert "\n" not in encoded


def test_writes_the_header_in_the_order_of_the_standard() -> None:
    pkg, contents = sample_document(
        due_date=date(2026, 11, 30), signer=SignerInfo(full_name="Nguyễn Văn A")
    )
    text = built(pkg, contents).decode()
    header = text[text.index("<edXML:MessageHeader>") : text.index("</edXML:MessageHeader>")]
    top = re.findall(r"\n        <edXML:(\w+)", header)

    assert top == [
        "From",
        "To",
        "To",
        "DocumentId",
        "Code",
        "PromulgationInfo",
        "DocumentType",
        "Subject",
        "SignerInfo",
        "DueDate",
        "OtherInfo",
    ]


def test_leaves_out_optional_values_that_are_none_and_keeps_empty_ones() -> None:
    pkg, contents = sample_document()
    text = built(pkg, contents).decode()
    assert "<edXML:Content>" not in text
    assert "<edXML:SteeringType>" not in text

    status = make_status(
        sender="000.00.00.H41",
        document_id="000.00.00.G22,2026/11/02,7816/VPCP-TTĐT",
        original_sender="000.00.00.G22",
        status_code="01",
    )
    assert "<edXML:Description></edXML:Description>" in build_status(status).decode()


def test_streams_to_a_file_the_same_bytes_it_returns(tmp_path: Path) -> None:
    pkg, contents = sample_document(attachments={"big.bin": bytes(range(256)) * 4000})
    target = tmp_path / "package.edxml"
    with target.open("wb") as out:
        assert build_document(pkg, contents, out) is None

    assert target.read_bytes() == built(pkg, contents)
    sink = MemorySink()
    with target.open("rb") as source:
        assert parse_package(source, sink=sink) == pkg
    assert sink.contents == contents


def test_refuses_to_build_without_the_contents_of_an_attachment() -> None:
    pkg, contents = sample_document()
    del contents["cid:2"]
    with pytest.raises(ValueError, match="cid:2"):
        build_document(pkg, contents)


def test_refuses_to_build_contents_that_contradict_their_hash() -> None:
    pkg, contents = sample_document()
    contents["cid:1"] = b"something else"
    with pytest.raises(ValueError, match="cid:1"):
        build_document(pkg, contents)


def test_builds_attachments_whose_hash_is_not_computed_yet() -> None:
    pkg, _ = sample_document(attachments={"a.txt": b"abc"}, zip_attachments=False)
    pkg = DocumentPackage(
        header=pkg.header, manifest=pkg.manifest, attachments=(Attachment("cid:1"),)
    )
    again = parse_bytes(built(pkg, {"cid:1": b"abc"}))

    assert isinstance(again, DocumentPackage)
    assert again.attachments == (
        Attachment("cid:1", size=3, sha256=hashlib.sha256(b"abc").hexdigest()),
    )


def test_make_status_writes_a_status_the_parser_reads_back() -> None:
    status = make_status(
        sender=Organization("000.00.00.H41", organ_name="UBND Tỉnh Nghệ An"),
        document_id="000.00.00.G22,2026/11/02,7816/VPCP-TTĐT",
        original_sender="000.00.00.G22",
        status_code="02",
        description="Từ chối: sai địa chỉ",
        timestamp=datetime(2026, 11, 22, 9, 30, 5),
        staff=StaffInfo(department="Văn thư", staff="Trần Thị B"),
        code="7816/VPCP-TTĐT",
        promulgation_date="2026/11/02",
    )

    assert status.timestamp == "2026/11/22 09:30:05"
    again = parse_bytes(build_status(status))
    assert isinstance(again, StatusPackage)
    assert again == status


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"status_code": "07"}, ErrorCode.PACKAGE_FIELD_INVALID),
        ({"sender": ""}, ErrorCode.PACKAGE_FIELD_INVALID),
        ({"document_id": ""}, ErrorCode.PACKAGE_FIELD_MISSING),
    ],
)
def test_make_status_refuses_what_a_hub_would_refuse(
    overrides: dict[str, str], code: ErrorCode
) -> None:
    arguments = {
        "sender": "000.00.00.H41",
        "document_id": "000.00.00.G22,2026/11/02,7816/VPCP-TTĐT",
        "original_sender": "000.00.00.G22",
        "status_code": "03",
    } | overrides
    with pytest.raises(EdxmlError) as caught:
        make_status(**arguments)  # type: ignore[arg-type]
    assert caught.value.code == code
