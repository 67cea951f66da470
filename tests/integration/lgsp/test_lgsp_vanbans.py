"""``vanbans`` over real HTTP: a document sent in the LGSP style is listed and fetched in the
LGSP style, through the axis protocol and the REST API, and its statuses come back; every
refusal carries the platform's number and the hub's code, and stores nothing."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from lienthong.client.axis import AxisClient
from lienthong.edxml import DocumentPackage, StatusPackage, parse_bytes
from lienthong.errors import ErrorCode
from tests.integration.lgsp.conftest import NA_FINANCE, Lgsp
from tests.lgsp_client import edxml_base64
from tests.support import (
    CAO_BANG,
    GOV_OFFICE,
    NGHE_AN,
    document_bytes,
    status_bytes,
    unsigned_document_bytes,
)


def refused(answer: dict[str, Any], code: ErrorCode, number: int) -> None:
    assert answer["_http"] == 200, answer
    assert (answer["status"], answer["code"], answer["errorCode"]) == ("FAIL", code, number), answer
    assert answer["errorDesc"]


def edxml_id(package: bytes) -> str:
    parsed = parse_bytes(package)
    assert isinstance(parsed, DocumentPackage) and parsed.header.document_id
    return parsed.header.document_id


def fetched(answer: dict[str, Any]) -> bytes:
    assert (answer["status"], answer["errorCode"]) == ("OK", 0), answer
    return base64.b64decode(answer["data"])


def test_a_document_sent_lgsp_style_is_received_by_every_protocol_and_answered(
    lgsp: Lgsp,
) -> None:
    a, b = lgsp.client(GOV_OFFICE), lgsp.client(CAO_BANG)
    a_secret, b_secret = lgsp.secret(GOV_OFFICE), lgsp.secret(CAO_BANG)
    package = document_bytes(GOV_OFFICE, [CAO_BANG], number="301")

    sent = a.vanbans_post(edxml_base64(package), a_secret, "edoc")
    assert (sent["status"], sent["errorCode"], sent["errorDesc"]) == ("OK", 0, "Success")
    doc_id = sent["docId"]
    assert len(doc_id) == 32

    # B in the LGSP style
    (item,) = b.vanbans_get(b_secret)["data"]
    assert set(item) == {
        "serviceType", "messageType", "statusDesc", "docId", "from", "to", "status",
        "createdTime",
    }  # fmt: skip
    assert (item["serviceType"], item["messageType"]) == ("eDoc", "edoc")
    assert (item["from"], item["to"], item["status"]) == (GOV_OFFICE, CAO_BANG, "INITIAL")
    assert item["statusDesc"] == "Khởi tạo" and item["createdTime"].endswith("+07:00")
    assert fetched(b.vanbans_doc_id_get(item["docId"], b_secret)) == package

    # B through the axis protocol and the REST API: the same delivery, the same bytes
    with AxisClient(
        f"{lgsp.url}/axis", CAO_BANG, lgsp.axis_secrets[CAO_BANG], now=lgsp.clock.now
    ) as axis:
        (axis_item,) = axis.get_received_edoc_list("edoc")
        assert axis_item["docId"] == item["docId"]
        assert axis.get_edoc(item["docId"]) == package
    rest = httpx.get(
        f"{lgsp.url}/api/v1/inbox/{item['docId']}/package",
        auth=(CAO_BANG, lgsp.axis_secrets[CAO_BANG]),
    )
    assert rest.content == package

    # B takes it and answers with statuses, LGSP style
    assert b.vanbans_doc_id_put(item["docId"], "INITIAL", b_secret)["status"] == "OK"
    assert b.vanbans_get(b_secret)["data"] != []
    assert b.vanbans_doc_id_put(item["docId"], "DONE", b_secret)["status"] == "OK"
    assert b.vanbans_get(b_secret)["data"] == []
    for code in ("03", "04"):
        answer = b.vanbans_post(
            edxml_base64(status_bytes(CAO_BANG, GOV_OFFICE, edxml_id(package), code)),
            b_secret,
            "status",
        )
        assert answer["status"] == "OK", answer

    # A sees them in the LGSP style
    statuses = a.vanbans_get(a_secret)["data"]
    assert [(s["messageType"], s["from"]) for s in statuses] == [("status", CAO_BANG)] * 2
    codes = []
    for s in statuses:
        parsed = parse_bytes(fetched(a.vanbans_doc_id_get(s["docId"], a_secret)))
        assert isinstance(parsed, StatusPackage)
        codes.append(parsed.status_code)
        assert a.vanbans_doc_id_put(s["docId"], "DONE", a_secret)["status"] == "OK"
    assert codes == ["03", "04"]
    assert a.vanbans_get(a_secret)["data"] == []

    # ... and the hub's record of the document says the same (01 at B's DONE, then 03, 04)
    view = httpx.get(
        f"{lgsp.url}/api/v1/documents",
        auth=(GOV_OFFICE, lgsp.axis_secrets[GOV_OFFICE]),
    ).json()["items"][0]
    assert [(r["code"], r["status"]) for r in view["recipients"]] == [(CAO_BANG, "04")]
    timeline = httpx.get(
        f"{lgsp.url}/api/v1/documents/{view['document_id']}",
        auth=(GOV_OFFICE, lgsp.axis_secrets[GOV_OFFICE]),
    ).json()["timeline"]
    assert [t["status_code"] for t in timeline if t["type"] == "status"] == ["01", "03", "04"]


def test_a_document_sent_through_the_axis_is_taken_lgsp_style(lgsp: Lgsp) -> None:
    package = document_bytes(GOV_OFFICE, [CAO_BANG], number="302")
    with AxisClient(
        f"{lgsp.url}/axis", GOV_OFFICE, lgsp.axis_secrets[GOV_OFFICE], now=lgsp.clock.now
    ) as axis:
        axis.send_edoc(package, to=[CAO_BANG])
    b = lgsp.client(CAO_BANG)
    (item,) = b.vanbans_get(lgsp.secret(CAO_BANG))["data"]
    assert fetched(b.vanbans_doc_id_get(item["docId"], lgsp.secret(CAO_BANG))) == package
    answer = b.vanbans_doc_id_put(item["docId"], "PROCESSING", lgsp.secret(CAO_BANG))
    assert answer["status"] == "OK"
    refused(
        b.vanbans_doc_id_put(item["docId"], "INITIAL", lgsp.secret(CAO_BANG)),
        ErrorCode.ACK_NOT_ALLOWED,
        21,
    )


def test_the_other_body_shapes_carry_the_package_as_well(lgsp: Lgsp) -> None:
    a = lgsp.client(GOV_OFFICE)
    secret = lgsp.secret(GOV_OFFICE)
    headers = {"Authorization": f"Bearer {a.token}"}
    bare = document_bytes(GOV_OFFICE, [CAO_BANG], number="311")
    obj = document_bytes(GOV_OFFICE, [CAO_BANG], number="312")
    form = document_bytes(GOV_OFFICE, [CAO_BANG], number="313")
    answers = [
        a.http.post(
            "/vanbans",
            content=base64.encodebytes(bare),  # MIME lines, text/plain
            headers={**headers, "secret": secret, "Content-Type": "text/plain"},
            params={"loaiVanBan": "edoc"},
        ),
        a.http.post(
            "/vanbans",
            json={"data": edxml_base64(obj), "secret": secret, "loaiVanBan": "edoc"},
            headers=headers,
        ),
        a.http.post(
            "/vanbans",
            # '+' not percent-encoded, as careless form writers send it
            content=f"secret={secret}&loaiVanBan=edoc&data={edxml_base64(form)}".encode(),
            headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
        ),
    ]
    assert [r.json()["status"] for r in answers] == ["OK"] * 3, [r.json() for r in answers]
    b = lgsp.client(CAO_BANG)
    items = b.vanbans_get(lgsp.secret(CAO_BANG))["data"]
    got = [fetched(b.vanbans_doc_id_get(i["docId"], lgsp.secret(CAO_BANG))) for i in items]
    assert got == [bare, obj, form]


def test_a_retry_with_the_same_idempotency_key_answers_the_same_doc_id(lgsp: Lgsp) -> None:
    a = lgsp.client(GOV_OFFICE)
    body = edxml_base64(document_bytes(GOV_OFFICE, [CAO_BANG], number="321"))
    headers = {
        "Authorization": f"Bearer {a.token}",
        "secret": lgsp.secret(GOV_OFFICE),
        "Idempotency-Key": "lgsp-321",
    }
    first = a.http.post("/vanbans", json=body, headers=headers).json()
    before = lgsp.rows()
    again = a.http.post("/vanbans", json=body, headers=headers).json()
    assert first["status"] == again["status"] == "OK"
    assert first["docId"] == again["docId"]
    assert lgsp.rows() == before
    other = edxml_base64(document_bytes(GOV_OFFICE, [CAO_BANG], number="321", subject="Khác"))
    refused(
        a.vanbans_post(other, lgsp.secret(GOV_OFFICE), "edoc"), ErrorCode.DUPLICATE_DOCUMENT, 21
    )


# --- refusals: each with its codes, nothing stored ---------------------------------------


@pytest.mark.parametrize(
    ("make", "loai", "code", "number"),
    [
        pytest.param(
            lambda: edxml_base64(unsigned_document_bytes(GOV_OFFICE, [CAO_BANG])),
            "edoc",
            ErrorCode.SIGNATURE_MISSING,
            22,
            id="unsigned document under enforce",
        ),
        pytest.param(
            lambda: "this is %% not base64 !",
            "edoc",
            ErrorCode.PACKAGE_MALFORMED,
            10,
            id="bad base64",
        ),
        pytest.param(
            lambda: edxml_base64(b"<not-edxml/>")[:-1] + "x=",
            "edoc",
            ErrorCode.PACKAGE_MALFORMED,
            10,
            id="text after the padding",
        ),
        pytest.param(
            lambda: edxml_base64(b"<<< not XML at all"),
            "edoc",
            ErrorCode.PACKAGE_MALFORMED,
            10,
            id="not XML",
        ),
        pytest.param(
            lambda: edxml_base64(document_bytes(GOV_OFFICE, [CAO_BANG], number="331")),
            "status",
            ErrorCode.PACKAGE_KIND_MISMATCH,
            22,
            id="loaiVanBan status for a document",
        ),
        pytest.param(
            lambda: edxml_base64(document_bytes(CAO_BANG, [NGHE_AN], number="332")),
            "edoc",
            ErrorCode.SENDER_MISMATCH,
            19,
            id="From is another unit",
        ),
        pytest.param(
            lambda: edxml_base64(document_bytes(GOV_OFFICE, ["000.00.00.H99"], number="333")),
            "edoc",
            ErrorCode.RECIPIENT_UNKNOWN,
            18,
            id="receiver not registered",
        ),
        pytest.param(
            lambda: edxml_base64(document_bytes(GOV_OFFICE, [CAO_BANG], number="334")),
            "letter",
            ErrorCode.REQUEST_INVALID,
            21,
            id="loaiVanBan neither edoc nor status",
        ),
    ],
)
def test_a_package_the_hub_refuses_leaves_nothing_behind(
    lgsp: Lgsp, make: Any, loai: str, code: ErrorCode, number: int
) -> None:
    a = lgsp.client(GOV_OFFICE)
    before = lgsp.rows()
    answer = a.vanbans_post(make(), lgsp.secret(GOV_OFFICE), loai)
    refused(answer, code, number)
    assert answer["docId"] == ""
    assert lgsp.rows() == before
    assert lgsp.client(CAO_BANG).vanbans_get(lgsp.secret(CAO_BANG))["data"] == []


def test_a_wrong_or_missing_unit_secret_is_refused_with_15(lgsp: Lgsp) -> None:
    a = lgsp.client(GOV_OFFICE)
    body = edxml_base64(document_bytes(GOV_OFFICE, [CAO_BANG], number="341"))
    before = lgsp.rows()
    refused(a.vanbans_post(body, "f" * 64, "edoc"), ErrorCode.AUTH_FAILED, 15)
    refused(a.vanbans_get("not-a-secret"), ErrorCode.AUTH_FAILED, 15)
    answer = a.http.get("/vanbans", headers={"Authorization": f"Bearer {a.token}"}).json()
    assert (answer["code"], answer["errorCode"]) == (ErrorCode.AUTH_FAILED, 15)
    assert lgsp.rows() == before


def test_a_token_of_one_agency_cannot_act_for_another(lgsp: Lgsp) -> None:
    a, b = lgsp.client(GOV_OFFICE), lgsp.client(CAO_BANG)
    package = document_bytes(GOV_OFFICE, [CAO_BANG], number="351")
    assert a.vanbans_post(edxml_base64(package), lgsp.secret(GOV_OFFICE), "edoc")["status"] == "OK"
    (item,) = b.vanbans_get(lgsp.secret(CAO_BANG))["data"]
    before = lgsp.rows()
    # A's token with B's secret (stolen): refused, whatever the call.
    refused(a.vanbans_get(lgsp.secret(CAO_BANG)), ErrorCode.FORBIDDEN, 15)
    refused(a.vanbans_doc_id_get(item["docId"], lgsp.secret(CAO_BANG)), ErrorCode.FORBIDDEN, 15)
    refused(
        a.vanbans_doc_id_put(item["docId"], "DONE", lgsp.secret(CAO_BANG)), ErrorCode.FORBIDDEN, 15
    )
    # A's token and A's secret, B's document: not A's.
    refused(
        a.vanbans_doc_id_get(item["docId"], lgsp.secret(GOV_OFFICE)),
        ErrorCode.DELIVERY_NOT_FOUND,
        21,
    )
    refused(
        a.vanbans_doc_id_put(item["docId"], "DONE", lgsp.secret(GOV_OFFICE)),
        ErrorCode.DELIVERY_NOT_FOUND,
        21,
    )
    assert lgsp.rows() == before
    assert b.vanbans_get(lgsp.secret(CAO_BANG))["data"] == [item]


def test_a_provinces_system_acts_for_the_units_below_it_but_not_the_other_way(
    lgsp: Lgsp,
) -> None:
    province, department = lgsp.client(NGHE_AN), lgsp.client(NA_FINANCE)
    package = document_bytes(NA_FINANCE, [CAO_BANG], number="361")
    sent = province.vanbans_post(edxml_base64(package), lgsp.secret(NA_FINANCE), "edoc")
    assert sent["status"] == "OK", sent
    refused(department.vanbans_get(lgsp.secret(NGHE_AN)), ErrorCode.FORBIDDEN, 15)


def test_unknown_doc_ids_and_status_words_are_refused(lgsp: Lgsp) -> None:
    b = lgsp.client(CAO_BANG)
    secret = lgsp.secret(CAO_BANG)
    before = lgsp.rows()
    for doc_id in ("999999", "5b8209a7-f5f8-4ada-b766-27c30a2eaf8b"):
        refused(b.vanbans_doc_id_get(doc_id, secret), ErrorCode.DELIVERY_NOT_FOUND, 21)
        refused(b.vanbans_doc_id_put(doc_id, "DONE", secret), ErrorCode.DELIVERY_NOT_FOUND, 21)
    package = document_bytes(GOV_OFFICE, [CAO_BANG], number="371")
    lgsp.client(GOV_OFFICE).vanbans_post(edxml_base64(package), lgsp.secret(GOV_OFFICE), "edoc")
    (item,) = b.vanbans_get(secret)["data"]
    middle = lgsp.rows()
    refused(b.vanbans_doc_id_put(item["docId"], "READ", secret), ErrorCode.REQUEST_INVALID, 21)
    assert lgsp.rows() == middle
    assert before != middle
    # FAIL needs no reason from the client: the word is its own.
    assert b.vanbans_doc_id_put(item["docId"], "fail", secret)["status"] == "OK"
    assert b.vanbans_get(secret)["data"] == []


def test_the_status_of_a_put_may_come_in_the_query_or_the_body(lgsp: Lgsp) -> None:
    package = document_bytes(GOV_OFFICE, [CAO_BANG], number="381")
    lgsp.client(GOV_OFFICE).vanbans_post(edxml_base64(package), lgsp.secret(GOV_OFFICE), "edoc")
    b = lgsp.client(CAO_BANG)
    secret = lgsp.secret(CAO_BANG)
    (item,) = b.vanbans_get(secret)["data"]
    auth = {"Authorization": f"Bearer {b.token}"}
    query = b.http.put(
        f"/vanbans/{item['docId']}", params={"status": "INITIAL", "secret": secret}, headers=auth
    )
    body = b.http.put(
        f"/vanbans/{item['docId']}", json={"status": "DONE", "secret": secret}, headers=auth
    )
    assert (query.json()["status"], body.json()["status"]) == ("OK", "OK")
    assert b.vanbans_get(secret)["data"] == []


def test_a_listing_can_be_narrowed_to_one_kind(lgsp: Lgsp) -> None:
    b = lgsp.client(CAO_BANG)
    package = document_bytes(GOV_OFFICE, [CAO_BANG], number="391")
    lgsp.client(GOV_OFFICE).vanbans_post(edxml_base64(package), lgsp.secret(GOV_OFFICE), "edoc")
    auth = {"Authorization": f"Bearer {b.token}", "secret": lgsp.secret(CAO_BANG)}
    for kind, count in (("edoc", 1), ("status", 0)):
        data = b.http.get("/vanbans", params={"loaiVanBan": kind}, headers=auth).json()["data"]
        assert len(data) == count
