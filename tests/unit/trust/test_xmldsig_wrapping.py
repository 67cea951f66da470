"""Package signatures: shape rules against signature wrapping, legacy SHA-1, big packages."""

from __future__ import annotations

import os

import pytest
from lxml import etree

from lienthong.edxml import NS, parse_bytes
from lienthong.errors import ErrorCode
from lienthong.trust.pki import DemoPKI
from lienthong.trust.xmldsig import (
    DSIG_NS,
    PackageSigner,
    SignatureCheckError,
    verify_package_signature,
)
from tests.support import GOV_OFFICE, NGHE_AN, unsigned_document_bytes

E = f"{{{NS}}}"
DS = f"{{{DSIG_NS}}}"


@pytest.fixture(scope="module")
def signed(demo_pki: DemoPKI) -> bytes:
    return PackageSigner(demo_pki.signer(GOV_OFFICE)).sign(
        unsigned_document_bytes(GOV_OFFICE, [NGHE_AN])
    )


def tree(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def out(root: etree._Element) -> bytes:
    result: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return result


def problem(data: bytes) -> SignatureCheckError:
    with pytest.raises(SignatureCheckError) as caught:
        verify_package_signature(data, allow_sha1=True)
    return caught.value


def test_verifies_a_signed_package_and_returns_what_was_signed(signed: bytes) -> None:
    verified = verify_package_signature(signed, allow_sha1=False)
    assert not verified.legacy_sha1
    assert verified.signature_method.endswith("rsa-sha256")
    assert parse_bytes(verified.signed_data) == parse_bytes(signed).__class__(
        **{**parse_bytes(signed).__dict__, "signed": False}
    )


def test_places_the_signature_in_the_header_like_the_published_samples(signed: bytes) -> None:
    signature = tree(signed).find(f".//{DS}Signature")
    assert signature is not None
    parent = signature.getparent()
    assert parent is not None and parent.tag == f"{E}edXMLHeader"
    reference = signature.find(f"{DS}SignedInfo/{DS}Reference")
    assert reference is not None and reference.get("URI") == ""


def test_refuses_an_unsigned_package() -> None:
    assert (
        problem(unsigned_document_bytes(GOV_OFFICE, [NGHE_AN])).code is ErrorCode.SIGNATURE_MISSING
    )


def test_refuses_an_extra_unsigned_sender_added_next_to_the_signed_one(signed: bytes) -> None:
    root = tree(signed)
    header = root.find(f".//{E}MessageHeader")
    assert header is not None
    extra = etree.SubElement(header, f"{E}From")
    etree.SubElement(extra, f"{E}OrganId").text = "000.00.00.H14"
    error = problem(out(root))
    assert (error.code, error.check) == (ErrorCode.SIGNATURE_INVALID, "integrity")


def test_refuses_a_second_signature(signed: bytes) -> None:
    root = tree(signed)
    signature = root.find(f".//{DS}Signature")
    assert signature is not None
    body = root.find(f".//{E}edXMLHeader")
    assert body is not None
    body.append(etree.fromstring(etree.tostring(signature)))
    assert problem(out(root)).code is ErrorCode.SIGNATURE_INVALID


def test_refuses_a_signature_moved_out_of_the_header(signed: bytes) -> None:
    root = tree(signed)
    signature = root.find(f".//{DS}Signature")
    body = root.find(f".//{E}edXMLBody")
    assert signature is not None and body is not None
    body.append(signature)
    assert problem(out(root)).code is ErrorCode.SIGNATURE_INVALID


def test_content_smuggled_inside_the_signature_is_never_read_as_the_package(
    signed: bytes,
) -> None:
    root = tree(signed)
    signature = root.find(f".//{DS}Signature")
    assert signature is not None
    holder = etree.SubElement(signature, f"{DS}Object")
    fake = etree.SubElement(holder, f"{E}MessageHeader")
    sender = etree.SubElement(etree.SubElement(fake, f"{E}From"), f"{E}OrganId")
    sender.text = "000.00.00.H14"
    wrapped = out(root)
    # Whether or not signxml accepts the extra Object, the hub reads the signed sender only.
    assert parse_bytes(wrapped).sender == GOV_OFFICE
    try:
        verified = verify_package_signature(wrapped, allow_sha1=True)
    except SignatureCheckError as exc:
        assert exc.code is ErrorCode.SIGNATURE_INVALID
    else:
        assert parse_bytes(verified.signed_data).sender == GOV_OFFICE


def test_refuses_a_signature_outside_the_xmldsig_namespace(samples_dir: object) -> None:
    from pathlib import Path

    data = (Path(str(samples_dir)) / "edoc_new.edxml").read_bytes()
    found = problem(data)
    assert found.code is ErrorCode.SIGNATURE_NOT_XMLDSIG
    assert "edXML namespace" in found.message


def test_verifies_legacy_rsa_sha1_only_when_allowed(demo_pki: DemoPKI) -> None:
    data = PackageSigner(demo_pki.signer(GOV_OFFICE), legacy_sha1=True).sign(
        unsigned_document_bytes(GOV_OFFICE, [NGHE_AN])
    )
    assert verify_package_signature(data, allow_sha1=True).legacy_sha1
    with pytest.raises(SignatureCheckError) as caught:
        verify_package_signature(data, allow_sha1=False)
    assert caught.value.code is ErrorCode.SIGNATURE_INVALID


def test_verifies_a_package_with_a_text_node_over_ten_million_characters(
    demo_pki: DemoPKI,
) -> None:
    big = unsigned_document_bytes(
        GOV_OFFICE, [NGHE_AN], attachments={"scan.pdf": os.urandom(8_000_000)}
    )
    data = PackageSigner(demo_pki.signer(GOV_OFFICE)).sign(big)
    assert len(data) > 10_000_000
    assert verify_package_signature(data, allow_sha1=False).signed_data


def test_refuses_a_document_type_declaration(signed: bytes) -> None:
    evil = signed.replace(b"?>", b'?>\n<!DOCTYPE edXML [<!ENTITY x "boom">]>', 1)
    with pytest.raises(SignatureCheckError):
        verify_package_signature(evil, allow_sha1=True)
