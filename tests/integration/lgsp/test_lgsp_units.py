"""``donvilienthongs`` over real HTTP: the registry as connected units, the province's own,
registering a unit below the caller and unregistering it; refusals with their codes, and
nothing stored."""

from __future__ import annotations

from typing import Any

import pytest

from lienthong.errors import ErrorCode
from tests.integration.lgsp.conftest import NA_DISTRICT, NA_FINANCE, Lgsp
from tests.support import CAO_BANG, GOV_OFFICE, NGHE_AN

NEW_COMMUNE = "000.01.31.H41"  # a commune under Vinh (NA_DISTRICT), not yet registered


def refused(answer: dict[str, Any], code: ErrorCode, number: int) -> None:
    assert answer["_http"] == 200, answer
    assert (answer["status"], answer["code"], answer["errorCode"]) == ("FAIL", code, number), answer


def test_the_connected_units_are_the_registry(lgsp: Lgsp) -> None:
    answer = lgsp.client(CAO_BANG).donvilienthongs_get(lgsp.secret(CAO_BANG))
    assert (answer["status"], answer["errorCode"]) == ("OK", 0)
    units = {u["code"]: u for u in answer["data"]}
    assert set(units) == {GOV_OFFICE, NGHE_AN, CAO_BANG, NA_FINANCE, NA_DISTRICT}
    assert units[NA_FINANCE] == {
        "id": NA_FINANCE,
        "code": NA_FINANCE,
        "name": "Sở Tài chính tỉnh Nghệ An",
        "pid": NGHE_AN,
    }
    assert units[GOV_OFFICE]["pid"] == ""


def test_the_provinces_own_units_are_those_under_its_top_level_agency(lgsp: Lgsp) -> None:
    answer = lgsp.client(NGHE_AN).donvilienthongs_qn_get(lgsp.secret(NA_FINANCE))
    assert sorted(u["code"] for u in answer["data"]) == sorted([NA_FINANCE, NA_DISTRICT, NGHE_AN])
    other = lgsp.client(CAO_BANG).donvilienthongs_qn_get(lgsp.secret(CAO_BANG))
    assert [u["code"] for u in other["data"]] == [CAO_BANG]


def test_a_unit_registered_below_the_caller_joins_the_registry_and_connects(lgsp: Lgsp) -> None:
    province = lgsp.client(NGHE_AN)
    answer = province.donvilienthongs_post(
        lgsp.secret(NGHE_AN),
        {
            "code": NEW_COMMUNE,
            "pcode": NA_DISTRICT,
            "name": "Ủy ban nhân dân phường Hưng Bình",
            "email": "hungbinh@nghean.gov.vn",
            "fax": "",
            "mobile": "0912000001",
        },
    )
    assert (answer["status"], answer["errorCode"]) == ("OK", 0), answer
    secret = answer["data"]["secret"]
    assert len(secret) == 64 and answer["data"]["code"] == NEW_COMMUNE
    agency = lgsp.container.agencies.get(NEW_COMMUNE)
    assert (agency.parent_code, int(agency.level), agency.name) == (
        NA_DISTRICT,
        3,
        "Ủy ban nhân dân phường Hưng Bình",
    )
    assert (agency.email, agency.fax, agency.telephone) == (
        "hungbinh@nghean.gov.vn",
        None,
        "0912000001",
    )
    # The province's system now acts for the new unit with its secret.
    assert province.vanbans_get(secret)["status"] == "OK"
    listed = province.donvilienthongs_qn_get(secret)["data"]
    assert NEW_COMMUNE in {u["code"] for u in listed}
    # ... and a registered unit not yet connected connects, keeping its registry record.
    again = province.donvilienthongs_post(
        lgsp.secret(NGHE_AN), {"code": NA_DISTRICT, "pcode": NGHE_AN, "name": "ignored"}
    )
    assert again["status"] == "OK", again
    assert lgsp.container.agencies.get(NA_DISTRICT).name == "Ủy ban nhân dân thành phố Vinh"
    assert province.vanbans_get(again["data"]["secret"])["status"] == "OK"


@pytest.mark.parametrize(
    ("fields", "code", "number"),
    [
        pytest.param(
            {"code": "000.00.10.H14", "pcode": CAO_BANG, "name": "Sở Tư pháp"},
            ErrorCode.FORBIDDEN,
            15,
            id="pcode outside the caller",
        ),
        pytest.param(
            {"code": "000.00.10.H99", "pcode": "000.00.00.H99", "name": "x"},
            ErrorCode.AGENCY_UNKNOWN,
            18,
            id="pcode not registered",
        ),
        pytest.param(
            {"code": NA_FINANCE, "pcode": NGHE_AN, "name": "x"},
            ErrorCode.AGENCY_EXISTS,
            21,
            id="already connected",
        ),
        pytest.param(
            {"code": "not a code!", "pcode": NGHE_AN, "name": "x"},
            ErrorCode.AGENCY_CODE_INVALID,
            21,
            id="code of the wrong form",
        ),
        pytest.param(
            {"code": NEW_COMMUNE, "pcode": NA_DISTRICT, "name": ""},
            ErrorCode.AGENCY_INVALID,
            21,
            id="new unit without a name",
        ),
        pytest.param(
            {"code": NA_DISTRICT, "pcode": NA_FINANCE, "name": "x"},
            ErrorCode.AGENCY_INVALID,
            21,
            id="registered under another parent",
        ),
        pytest.param({"code": NEW_COMMUNE}, ErrorCode.REQUEST_INVALID, 21, id="no pcode"),
    ],
)
def test_a_registration_the_hub_refuses_changes_nothing(
    lgsp: Lgsp, fields: dict[str, str], code: ErrorCode, number: int
) -> None:
    province = lgsp.client(NGHE_AN)
    before = lgsp.rows()
    refused(province.donvilienthongs_post(lgsp.secret(NGHE_AN), fields), code, number)
    assert lgsp.rows() == before


def test_an_unregistered_unit_s_secret_stops_at_once_and_it_stays_in_the_registry(
    lgsp: Lgsp,
) -> None:
    department = lgsp.client(NA_FINANCE)
    assert department.vanbans_get(lgsp.secret(NA_FINANCE))["status"] == "OK"
    answer = lgsp.client(NGHE_AN).donvilienthongs_put(lgsp.secret(NGHE_AN), NA_FINANCE)
    assert (answer["status"], answer["errorCode"]) == ("OK", 0)
    refused(department.vanbans_get(lgsp.secret(NA_FINANCE)), ErrorCode.AUTH_FAILED, 15)
    assert lgsp.container.agencies.get(NA_FINANCE).code == NA_FINANCE
    # Registered again, it gets a new secret; the old one stays refused.
    again = lgsp.client(NGHE_AN).donvilienthongs_post(
        lgsp.secret(NGHE_AN), {"code": NA_FINANCE, "pcode": NGHE_AN}
    )
    assert again["status"] == "OK", again
    assert department.vanbans_get(again["data"]["secret"])["status"] == "OK"
    refused(department.vanbans_get(lgsp.secret(NA_FINANCE)), ErrorCode.AUTH_FAILED, 15)


def test_the_code_to_unregister_may_come_as_the_json_body(lgsp: Lgsp) -> None:
    client = lgsp.client(NGHE_AN)
    answer = client.http.put(
        "/donvilienthongs",
        json=NA_FINANCE,
        headers={"Authorization": f"Bearer {client.token}", "secret": lgsp.secret(NGHE_AN)},
    ).json()
    assert answer["status"] == "OK", answer
    refused(client.vanbans_get(lgsp.secret(NA_FINANCE)), ErrorCode.AUTH_FAILED, 15)


@pytest.mark.parametrize(
    ("caller", "code", "error", "number"),
    [
        pytest.param(NGHE_AN, CAO_BANG, ErrorCode.FORBIDDEN, 15, id="outside the caller"),
        pytest.param(NA_FINANCE, NGHE_AN, ErrorCode.FORBIDDEN, 15, id="above the caller"),
        pytest.param(NGHE_AN, NA_DISTRICT, ErrorCode.AGENCY_UNKNOWN, 18, id="not connected"),
        pytest.param(NGHE_AN, "000.00.99.H41", ErrorCode.AGENCY_UNKNOWN, 18, id="not registered"),
        pytest.param(NGHE_AN, "", ErrorCode.REQUEST_INVALID, 21, id="no code"),
    ],
)
def test_an_unregistration_the_hub_refuses_changes_nothing(
    lgsp: Lgsp, caller: str, code: str, error: ErrorCode, number: int
) -> None:
    client = lgsp.client(caller)
    before = lgsp.rows()
    refused(client.donvilienthongs_put(lgsp.secret(caller), code), error, number)
    assert lgsp.rows() == before
