"""The official SDK samples: each one reads as the package it is, and survives a rewrite."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from pathlib import Path

import pytest

from lienthong.edxml import (
    BussinessDocType,
    DocumentPackage,
    MemorySink,
    Receiver,
    StatusPackage,
    build_document,
    build_status,
    parse_bytes,
    parse_package,
)

DOCUMENT_SAMPLES = {
    "edoc_new.edxml": BussinessDocType.NEW,
    "edoc_revocation.edxml": BussinessDocType.REVOKE,
    "edoc_update.edxml": BussinessDocType.UPDATE,
}
STATUS_SAMPLES = {
    "status_inbox_01.edxml": "01",
    "status_rejection_02.edxml": "02",
    "status_acceptance_03.edxml": "03",
    "status_processing_05.edxml": "05",
    "status_finish_06.edxml": "06",
}


def _decoded_attachments(raw: bytes) -> dict[str, bytes]:
    """ContentId -> decoded bytes, found with regular expressions: independent of the parser."""
    found = {}
    for block in re.findall(rb"<Attachment>(.*?)</Attachment>", raw, re.S):
        content_id = re.search(rb"<ContentId>(.*?)</ContentId>", block)
        encoded = re.search(rb"ContentTransferEncoded[^>]*>(.*?)</", block, re.S)
        assert content_id and encoded
        found[content_id.group(1).decode()] = base64.b64decode(encoded.group(1), validate=False)
    return found


def test_every_sample_is_in_the_samples_folder(samples_dir: Path) -> None:
    names = {path.name for path in samples_dir.glob("*.edxml")}
    assert names == set(DOCUMENT_SAMPLES) | set(STATUS_SAMPLES)


@pytest.mark.parametrize(("name", "doc_type"), DOCUMENT_SAMPLES.items())
def test_reads_each_document_sample_with_its_type_and_attachment(
    samples_dir: Path, name: str, doc_type: BussinessDocType
) -> None:
    raw = (samples_dir / name).read_bytes()
    sink = MemorySink()
    with (samples_dir / name).open("rb") as source:
        pkg = parse_package(source, sink=sink)

    assert isinstance(pkg, DocumentPackage)
    assert pkg.bussiness_doc_type == doc_type
    assert pkg.header.document_id == "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
    assert pkg.header.code is not None
    assert pkg.header.code.code_notation == "VPCP-TTĐT"
    assert pkg.signed
    expected = _decoded_attachments(raw)
    assert list(expected) == ["cid:209"]
    assert sink.contents == expected
    assert sink.opened == sink.closed == ["cid:209"]
    (attachment,) = pkg.attachments
    assert attachment.size == len(expected["cid:209"]) == 270823
    assert attachment.sha256 == hashlib.sha256(expected["cid:209"]).hexdigest()
    assert attachment.content_type == "application/zip"
    assert attachment.attachment_name == "1896_QD-TTg_m_294779.doc"
    assert [ref.content_id for ref in pkg.manifest] == ["cid:209"]


def test_reads_the_new_document_sample_addressed_to_a_2020_style_identifier(
    samples_dir: Path,
) -> None:
    pkg = parse_bytes((samples_dir / "edoc_new.edxml").read_bytes())

    assert isinstance(pkg, DocumentPackage)
    assert pkg.sender == "000.00.00.A80"
    assert pkg.recipients == ("28.22.H17",)
    assert pkg.header.code is not None
    assert pkg.header.code.code_number == "74fass22"
    assert pkg.header.promulgation_info is not None
    assert pkg.header.promulgation_info.promulgation_date == "2019/01/16"
    assert [hop.organ_id for hop in pkg.trace_headers] == ["000.00.00.G22"]


def test_reads_the_revocation_sample_with_its_response_for(samples_dir: Path) -> None:
    pkg = parse_bytes((samples_dir / "edoc_revocation.edxml").read_bytes())

    assert isinstance(pkg, DocumentPackage)
    assert pkg.sender == "000.00.00.G22"
    assert pkg.recipients == ("000.00.00.H41", "000.00.00.H14", "000.00.00.G17")
    assert pkg.header.code is not None
    assert pkg.header.code.code_number == "7816"
    (response_for,) = pkg.header.response_for
    assert response_for.document_id == "000.00.04.G14,2012/08/06,267/VPCP-TTĐT"
    assert response_for.code == "267/VPCP-TTĐT"
    assert pkg.bussiness is not None
    assert pkg.bussiness.document_id is None
    assert pkg.target_document_id == "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"


def test_reads_the_update_sample_with_its_receiver_list(samples_dir: Path) -> None:
    pkg = parse_bytes((samples_dir / "edoc_update.edxml").read_bytes())

    assert isinstance(pkg, DocumentPackage)
    assert pkg.bussiness is not None
    assert pkg.target_document_id == "000.00.00.G22,2014/02/30,7806/VPCP-TTĐT"
    assert pkg.bussiness.document_info is not None
    assert pkg.bussiness.document_info.receivers == (
        Receiver("000.00.00.H41", 0),
        Receiver("000.00.00.H14", 1),
    )
    assert pkg.bussiness.staff_info is not None
    assert pkg.bussiness.staff_info.staff == "Nguyễn Thị Ngọc Trâm"
    assert pkg.header.other_info is not None
    assert pkg.header.other_info.appendixes == (
        "Công văn về việc kết nối, liên thông phần mềm quản lý văn bản",
    )
    assert pkg.header.to_places == ("Cac bo va co quan ngang bo", "Uy ban nhan dan cac tinh, TP")


@pytest.mark.parametrize(("name", "status_code"), STATUS_SAMPLES.items())
def test_reads_each_status_sample(samples_dir: Path, name: str, status_code: str) -> None:
    sink = MemorySink()
    pkg = parse_bytes((samples_dir / name).read_bytes(), sink=sink)

    assert isinstance(pkg, StatusPackage)
    assert pkg.status_code == status_code
    assert pkg.sender == "000.00.00.H41"
    assert pkg.response_for.organ_id == "000.00.00.G22"
    assert pkg.response_for.document_id == "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
    assert pkg.staff_info is not None
    assert pkg.staff_info.mobile == "84912000001"
    assert pkg.timestamp == "2015/09/20 11:08:36"
    assert pkg.description
    assert not pkg.signed
    assert sink.opened == []


@pytest.mark.parametrize("name", sorted(DOCUMENT_SAMPLES) + sorted(STATUS_SAMPLES))
def test_a_sample_read_written_and_read_again_is_the_same_package(
    samples_dir: Path, name: str
) -> None:
    sink = MemorySink()
    pkg = parse_bytes((samples_dir / name).read_bytes(), sink=sink)

    if isinstance(pkg, StatusPackage):
        rebuilt = build_status(pkg)
    else:
        built = build_document(pkg, sink.contents)
        assert built is not None
        rebuilt = built
    again_sink = MemorySink()
    again = parse_bytes(rebuilt, sink=again_sink)

    # The builder writes no signature (lienthong.trust signs the built bytes).
    assert again == dataclasses.replace(pkg, signed=False)
    assert again_sink.contents == sink.contents
