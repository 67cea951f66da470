"""Bad input is refused with its own code and stores nothing: no row, no blob, no status."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lienthong.db import Database
from lienthong.errors import ErrorCode, LienthongError
from lienthong.web.container import Container
from tests.support import GOV_OFFICE, NGHE_AN, container_for, counts, document_bytes, register, send

NS = b'xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"'


def valid() -> bytes:
    return document_bytes(GOV_OFFICE, [NGHE_AN], attachments={"a.pdf": b"%PDF-1.4 " * 500})


def without(element: str) -> Callable[[], bytes]:
    def make() -> bytes:
        pattern = rf"<edXML:{element}>.*?</edXML:{element}>".encode()
        return re.sub(pattern, b"", valid(), count=1, flags=re.S)

    return make


def replace(old: bytes, new: bytes) -> Callable[[], bytes]:
    return lambda: valid().replace(old, new, 1)


def broken_base64() -> bytes:
    return re.sub(
        rb"(<edXML:ContentTransferEncoded>)(.{8})",
        rb"\1!!??\2",
        valid(),
        count=1,
        flags=re.S,
    )


CASES: dict[str, tuple[Callable[[], bytes], ErrorCode]] = {
    "malformed XML": (lambda: valid()[:-40], ErrorCode.PACKAGE_MALFORMED),
    "billion laughs": (
        lambda: (
            b'<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
            b"<edXML " + NS + b">&c;</edXML>"
        ),
        ErrorCode.PACKAGE_FORBIDDEN_XML,
    ),
    "external entity (XXE)": (
        lambda: (
            b'<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<edXML " + NS + b">&x;</edXML>"
        ),
        ErrorCode.PACKAGE_FORBIDDEN_XML,
    ),
    "external DTD": (
        lambda: valid().replace(
            b"<edXML ", b'<!DOCTYPE edXML SYSTEM "http://127.0.0.1:9/x.dtd"><edXML ', 1
        ),
        ErrorCode.PACKAGE_FORBIDDEN_XML,
    ),
    "wrong namespace": (
        replace(NS, b'xmlns="http://example.org/not-edxml"'),
        ErrorCode.PACKAGE_WRONG_NAMESPACE,
    ),
    "missing From": (without("From"), ErrorCode.PACKAGE_FIELD_MISSING),
    "missing To": (without("To"), ErrorCode.PACKAGE_FIELD_MISSING),
    "missing Code": (without("Code"), ErrorCode.PACKAGE_FIELD_MISSING),
    "broken base64": (broken_base64, ErrorCode.ATTACHMENT_ENCODING_INVALID),
    "manifest names another attachment": (
        replace(
            b"<edXML:ContentId>cid:1</edXML:ContentId>", b"<edXML:ContentId>cid:9</edXML:ContentId>"
        ),
        ErrorCode.MANIFEST_MISMATCH,
    ),
}


@pytest.fixture
def hub(db: Database, tmp_path: Path) -> Iterator[Container]:
    container = container_for(db, tmp_path, max_package_bytes=64 * 1024)
    register(container, GOV_OFFICE)
    register(container, NGHE_AN)
    yield container


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_package_is_refused_with_its_code_and_nothing_is_stored(
    hub: Container, case: str
) -> None:
    make, code = CASES[case]
    before = counts(hub)
    with pytest.raises(LienthongError) as exc:
        send(hub, GOV_OFFICE, make())
    assert exc.value.code == code, exc.value
    assert counts(hub) == before
    assert not any(hub.settings.staging_dir.iterdir()), "staging must be emptied"


def test_a_package_over_the_size_limit_is_refused(hub: Container) -> None:
    noise = random.Random(7).randbytes(100_000)  # incompressible: the zip stays big
    big = document_bytes(GOV_OFFICE, [NGHE_AN], attachments={"big.bin": noise})
    assert len(big) > hub.settings.max_package_bytes
    before = counts(hub)
    with pytest.raises(LienthongError) as exc:
        send(hub, GOV_OFFICE, big)
    assert exc.value.code == ErrorCode.PACKAGE_TOO_LARGE
    assert counts(hub) == before


def test_a_valid_package_passes_the_same_hub(hub: Container) -> None:
    before = counts(hub)
    send(hub, GOV_OFFICE, valid())
    after = counts(hub)
    assert (after.messages, after.blobs) == (before.messages + 1, before.blobs + 2)
