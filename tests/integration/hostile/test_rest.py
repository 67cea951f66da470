"""Hostile packages and requests on the REST API (``/api/v1``): XML attacks, signatures that
are wrapped, foreign or missing, spoofed senders, ids that belong to someone else, tampered
credentials, oversize bodies and traversal in attachment names. Each is refused with its own
code and changes nothing stored."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

import pytest

from tests.integration.hostile.conftest import CAO_BANG, GOV_OFFICE, NGHE_AN, Hub, refused
from tests.support import document_bytes, signed_document_bytes, unsigned_document_bytes

BACKENDS = ["sqlite", "postgres"]

NS = b'xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"'
XI = b'xmlns:xi="http://www.w3.org/2001/XInclude"'


_NUMBERS = iter(range(1000, 100_000))


def valid(**kw: object) -> bytes:
    """A valid signed package, each with its own number (an input that were wrongly accepted
    does not make the next one a duplicate)."""
    number = str(next(_NUMBERS))
    return document_bytes(GOV_OFFICE, [NGHE_AN], number=number, **kw)  # type: ignore[arg-type]


def doctype(internal: bytes) -> Callable[[], bytes]:
    """A signed package with a DOCTYPE carrying ``internal`` before its root."""

    def make() -> bytes:
        return valid().replace(b"<edXML ", b"<!DOCTYPE edXML [" + internal + b"]><edXML ", 1)

    return make


def bare(body: bytes) -> Callable[[], bytes]:
    return lambda: b'<?xml version="1.0"?>' + body


def nested(depth: int) -> Callable[[], bytes]:
    return bare(b"<edXML " + NS + b">" + b"<a>" * depth + b"</a>" * depth + b"</edXML>")


def resigned_after(edit: Callable[[bytes], bytes]) -> Callable[[], bytes]:
    """The signed package edited after signing (the signature no longer covers it)."""
    return lambda: edit(valid())


def wrapped() -> bytes:
    """Signature wrapping: the signed package's content moved under a new element, a forged
    envelope (another From) around it."""
    data = valid()
    forged = data.replace(
        b"<edXML:OrganId>" + GOV_OFFICE.encode(), b"<edXML:OrganId>" + CAO_BANG.encode(), 1
    )
    return forged


def second_signature_block() -> bytes:
    data = valid()
    sig = re.search(rb"<(\w+:)?Signature[ >].*?</(\w+:)?Signature>", data, re.S)
    assert sig is not None
    return data.replace(sig.group(0), sig.group(0) + sig.group(0), 1)


def signature_moved_to_header() -> bytes:
    data = valid()
    sig = re.search(rb"<(\w+:)?Signature[ >].*?</(\w+:)?Signature>", data, re.S)
    assert sig is not None
    stripped = data.replace(sig.group(0), b"", 1)
    return stripped.replace(b"<edXML:MessageHeader>", b"<edXML:MessageHeader>" + sig.group(0), 1)


def signed_by_other() -> bytes:
    from tests.support import organisation_credential

    return signed_document_bytes(organisation_credential(CAO_BANG), GOV_OFFICE, [NGHE_AN])


def foreign_root() -> bytes:
    import tempfile
    from datetime import timedelta
    from pathlib import Path

    from lienthong.trust.pki import DemoPKI
    from tests.support import NOW

    pki = DemoPKI.create(
        Path(tempfile.mkdtemp(prefix="hostile-foreign-")),
        agencies=[(GOV_OFFICE, "Văn phòng Chính phủ (giả)")],
        signers=[],
        hubs=[],
        ocsp_url="http://127.0.0.1:1/ocsp",
        crl_url="http://127.0.0.1:1/crl",
        now=NOW - timedelta(days=1),
    )
    return signed_document_bytes(pki.organisations[GOV_OFFICE], GOV_OFFICE, [NGHE_AN])


def self_signed_key() -> bytes:
    data = valid()
    return re.sub(
        rb"<(\w+:)?X509Certificate>[^<]+</",
        lambda m: (
            m.group(0)[: m.group(0).index(b">") + 1]
            + base64.b64encode(b"not a certificate at all")
            + b"</"
        ),
        data,
        count=1,
    )


PACKAGES = [
    pytest.param(lambda: valid()[:-40], "PACKAGE_MALFORMED", id="truncated"),
    pytest.param(lambda: b"", "PACKAGE_MALFORMED", id="empty-body"),
    pytest.param(lambda: b"\x00\x01\x02 binary", "PACKAGE_MALFORMED", id="binary-body"),
    pytest.param(lambda: b'{"json": true}', "PACKAGE_MALFORMED", id="json-body"),
    pytest.param(
        doctype(b'<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'),
        "PACKAGE_FORBIDDEN_XML",
        id="billion-laughs",
    ),
    pytest.param(
        doctype(b'<!ENTITY x SYSTEM "file:///etc/passwd">'),
        "PACKAGE_FORBIDDEN_XML",
        id="xxe-file",
    ),
    pytest.param(
        doctype(b'<!ENTITY x SYSTEM "http://127.0.0.1:9/secret">'),
        "PACKAGE_FORBIDDEN_XML",
        id="xxe-http-ssrf",
    ),
    pytest.param(
        doctype(b'<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p;'),
        "PACKAGE_FORBIDDEN_XML",
        id="parameter-entity",
    ),
    pytest.param(
        lambda: valid().replace(
            b"<edXML ", b'<!DOCTYPE edXML SYSTEM "http://127.0.0.1:9/x.dtd"><edXML ', 1
        ),
        "PACKAGE_FORBIDDEN_XML",
        id="external-dtd",
    ),
    pytest.param(doctype(b""), "PACKAGE_FORBIDDEN_XML", id="empty-internal-dtd"),
    pytest.param(
        doctype(b'<!ENTITY q "quadratic' + b"x" * 50_000 + b'">'),
        "PACKAGE_FORBIDDEN_XML",
        id="quadratic-blowup",
    ),
    pytest.param(
        bare(
            b"<edXML " + NS + b" " + XI + b'><xi:include href="file:///etc/passwd" parse="text"/>'
            b"</edXML>"
        ),
        "PACKAGE_FIELD_MISSING",
        id="xinclude-never-processed",
    ),
    pytest.param(
        lambda: valid().replace(
            b"<edXML:Subject>",
            b"<edXML:Subject><xi:include " + XI + b' href="file:///etc/passwd" parse="text"/>',
            1,
        ),
        "SIGNATURE_INVALID",
        id="xinclude-in-signed-subject",
    ),
    pytest.param(nested(5_000), "PACKAGE_TOO_LARGE", id="deep-nesting-5000"),
    pytest.param(nested(300), "PACKAGE_TOO_LARGE", id="deep-nesting-300"),
    pytest.param(
        bare(b"<edXML " + NS + b' a="' + b"x" * 5_000_000 + b'"/>'),
        "PACKAGE_TOO_LARGE",
        id="huge-attribute-over-limit",
    ),
    pytest.param(
        lambda: valid().replace(
            b"<edXML:Subject>", b'<edXML:Subject a="' + b"x" * 2_000_000 + b'">', 1
        ),
        "SIGNATURE_INVALID",
        id="huge-attribute",
    ),
    pytest.param(
        lambda: valid().replace(
            b"<edXML:Subject>",
            b"<edXML:Subject "
            + b" ".join(b'a%d="%s"' % (i, b"y" * 100) for i in range(20_000))
            + b">",
            1,
        ),
        "SIGNATURE_INVALID",
        id="many-attributes",
    ),
    pytest.param(
        lambda: valid().replace(b"encoding='UTF-8'", b'encoding="UTF-7"', 1),
        "PACKAGE_MALFORMED",
        id="encoding-utf7",
    ),
    pytest.param(
        lambda: valid().replace(b"encoding='UTF-8'", b'encoding="EBCDIC-CP-US"', 1),
        "PACKAGE_MALFORMED",
        id="encoding-ebcdic-declared",
    ),
    pytest.param(
        lambda: valid().replace(b"encoding='UTF-8'", b'encoding="nonsense-9"', 1),
        "PACKAGE_MALFORMED",
        id="encoding-unknown",
    ),
    pytest.param(
        lambda: valid().replace(b"V/v", b"V/v\xff\xfe", 1),
        "PACKAGE_MALFORMED",
        id="invalid-utf8-bytes",
    ),
    pytest.param(
        lambda: valid().replace(
            b"<edXML ", b"<?xml-stylesheet href='http://127.0.0.1:9/x'?><edXML ", 1
        ),
        "PACKAGE_FORBIDDEN_XML",
        id="stylesheet-pi",
    ),
    pytest.param(
        lambda: b"\xef\xbb\xbf\xef\xbb\xbf" + valid(),
        "PACKAGE_MALFORMED",
        id="double-bom",
    ),
    pytest.param(
        lambda: valid().replace(NS, b'xmlns="http://example.org/not-edxml"', 1),
        "PACKAGE_WRONG_NAMESPACE",
        id="wrong-namespace",
    ),
    # signatures
    pytest.param(
        lambda: unsigned_document_bytes(GOV_OFFICE, [NGHE_AN]), "SIGNATURE_MISSING", id="unsigned"
    ),
    pytest.param(
        resigned_after(lambda d: d.replace("kết nối".encode(), "ngắt kết nối".encode(), 1)),
        "SIGNATURE_INVALID",
        id="subject-edited-after-signing",
    ),
    pytest.param(wrapped, "SENDER_MISMATCH", id="from-swapped-after-signing"),
    pytest.param(second_signature_block, "SIGNATURE_INVALID", id="duplicated-signature"),
    pytest.param(signature_moved_to_header, "SIGNATURE_INVALID", id="signature-moved"),
    pytest.param(signed_by_other, "SIGNER_NOT_SENDER", id="signed-by-another-agency"),
    pytest.param(foreign_root, "CERTIFICATE_UNTRUSTED", id="certificate-of-foreign-root"),
    pytest.param(self_signed_key, "SIGNATURE_INVALID", id="garbage-certificate"),
    # spoofed sender: the package says From another agency than the one authenticated
    pytest.param(
        lambda: document_bytes(CAO_BANG, [NGHE_AN], number="902"),
        "SENDER_MISMATCH",
        id="spoofed-from",
    ),
    pytest.param(
        lambda: document_bytes(GOV_OFFICE, ["000.00.00.Z99"], number="903"),
        "RECIPIENT_UNKNOWN",
        id="unknown-recipient",
    ),
    pytest.param(
        lambda: valid(attachments={"../../../../etc/passwd": b"%PDF-1.4"}),
        "PACKAGE_FIELD_INVALID",
        id="attachment-name-traversal",
    ),
    pytest.param(
        lambda: valid(attachments={"/etc/shadow": b"%PDF-1.4"}),
        "PACKAGE_FIELD_INVALID",
        id="attachment-name-absolute",
    ),
    pytest.param(
        lambda: valid(attachments={"..\\..\\win.ini": b"%PDF-1.4"}),
        "PACKAGE_FIELD_INVALID",
        id="attachment-name-backslash-traversal",
    ),
]


@pytest.mark.parametrize(("make", "code"), PACKAGES)
def test_a_hostile_package_is_refused_and_nothing_is_stored(
    hub: Hub, make: Callable[[], bytes], code: str
) -> None:
    data = make()
    with hub.http(auth=hub.basic(GOV_OFFICE)) as http:
        answer = hub.unchanged(lambda: http.post("/api/v1/packages", content=data))
    refused(answer, code)


def _basic(value: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(value.encode()).decode()}


AUTH = [
    pytest.param({}, id="no-credentials"),
    pytest.param({"Authorization": "Bearer abc"}, id="wrong-scheme"),
    pytest.param({"Authorization": "Basic"}, id="basic-empty"),
    pytest.param({"Authorization": "Basic !!!not-base64"}, id="basic-garbage"),
    pytest.param(
        {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:x").decode()}, id="basic-not-utf8"
    ),
    pytest.param(_basic("no-colon"), id="basic-no-colon"),
    pytest.param(_basic(f"{GOV_OFFICE}:wrong-secret"), id="wrong-secret"),
    pytest.param(_basic(f"{GOV_OFFICE}:"), id="empty-secret"),
    pytest.param(_basic("' OR 1=1 --:x"), id="sql-in-system-id"),
    pytest.param(_basic("000.00.00.Z99:x"), id="unknown-system-id"),
    pytest.param(_basic("x" * 5000 + ":y"), id="huge-system-id"),
]


@pytest.mark.parametrize("headers", AUTH)
def test_tampered_credentials_are_refused(hub: Hub, headers: dict[str, str]) -> None:
    data = valid()
    with hub.http() as http:
        answer = hub.unchanged(lambda: http.post("/api/v1/packages", content=data, headers=headers))
    refused(answer, "AUTH_FAILED", 401)


def _delivery_of(hub: Hub, code: str) -> int:
    with hub.http(auth=hub.basic(code)) as http:
        inbox = http.get("/api/v1/inbox").json()
    items = inbox.get("items") or inbox.get("deliveries") or []
    assert items, inbox
    return int(items[0].get("delivery_id") or items[0]["id"])


FOREIGN = [
    pytest.param(CAO_BANG, "GET", "/api/v1/inbox/{delivery}/package", id="fetch-others-delivery"),
    pytest.param(CAO_BANG, "POST", "/api/v1/inbox/{delivery}/ack", id="ack-others-delivery"),
    pytest.param(GOV_OFFICE, "POST", "/api/v1/inbox/{delivery}/ack", id="sender-acks-delivery"),
    pytest.param(CAO_BANG, "GET", "/api/v1/documents/{document}", id="read-others-document"),
]


@pytest.mark.parametrize(("caller", "method", "template"), FOREIGN)
def test_another_agency_cannot_reach_a_delivery_or_document_by_id(
    hub: Hub, caller: str, method: str, template: str
) -> None:
    path = template.format(
        delivery=_delivery_of(hub, NGHE_AN), document=hub.seeded["sent"].document_id
    )
    with hub.http(auth=hub.basic(caller)) as http:
        answer = hub.unchanged(lambda: http.request(method, path, json={"result": "done"}))
    assert answer.status_code in (403, 404), (path, answer.text)
    assert answer.json()["error"]["code"] in {
        "DELIVERY_NOT_FOUND",
        "DOCUMENT_NOT_FOUND",
        "NOT_YOUR_DOCUMENT",
    }, answer.text


IDS = [
    pytest.param("GET", "/api/v1/inbox/0/package", "DELIVERY_NOT_FOUND", id="delivery-zero"),
    pytest.param("GET", "/api/v1/inbox/-1/package", "DELIVERY_NOT_FOUND", id="delivery-negative"),
    pytest.param("GET", "/api/v1/inbox/abc/package", "REQUEST_INVALID", id="delivery-not-a-number"),
    pytest.param("GET", "/api/v1/inbox/1%20OR%201=1/package", "REQUEST_INVALID", id="delivery-sql"),
    pytest.param("POST", "/api/v1/inbox/999999/ack", "DELIVERY_NOT_FOUND", id="ack-unknown"),
    pytest.param(
        "GET", "/api/v1/documents/not-a-document", "DOCUMENT_NOT_FOUND", id="document-unknown"
    ),
    pytest.param(
        "GET", "/api/v1/documents/..%5C..%5Cetc", "DOCUMENT_NOT_FOUND", id="document-traversal"
    ),
    pytest.param("GET", "/api/v1/inbox?limit=-5", "REQUEST_INVALID", id="inbox-negative-limit"),
    pytest.param("GET", "/api/v1/inbox?limit=100000000", "REQUEST_INVALID", id="inbox-huge-limit"),
]


@pytest.mark.parametrize(("method", "path", "code"), IDS)
def test_ids_that_are_not_the_callers_are_refused(
    hub: Hub, method: str, path: str, code: str
) -> None:
    with hub.http(auth=hub.basic(NGHE_AN)) as http:
        answer = hub.unchanged(lambda: http.request(method, path, json={"result": "done"}))
    refused(answer, code)


def test_an_oversize_body_is_refused_as_it_streams(hub: Hub) -> None:
    limit = hub.container.settings.max_package_bytes
    with hub.http(auth=hub.basic(GOV_OFFICE)) as http:
        answer = hub.unchanged(
            lambda: http.post("/api/v1/packages", content=iter([b"x" * (limit + 1)]))
        )
    refused(answer, "PACKAGE_TOO_LARGE", 413)


def test_an_idempotency_key_over_its_limit_is_refused(hub: Hub) -> None:
    data = valid()
    with hub.http(auth=hub.basic(GOV_OFFICE)) as http:
        answer = hub.unchanged(
            lambda: http.post(
                "/api/v1/packages", content=data, headers={"Idempotency-Key": "k" * 201}
            )
        )
    refused(answer, "REQUEST_INVALID", 400)
