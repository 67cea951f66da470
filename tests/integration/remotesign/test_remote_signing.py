"""A leader signs a draft through the demo remote signing service (CSC API v2 style), over
real HTTP on loopback, on SQLite and PostgreSQL: the approval with the one-time code, the
PAdES signature made from the hash only, and each refusal with its own code leaving the
draft unsigned."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from lienthong.clerk import store as clerk_store
from lienthong.db import Database
from lienthong.errors import ErrorCode
from lienthong.remotesign.model import CODE_TTL, MAX_ATTEMPTS
from lienthong.remotesign.service import Holding
from lienthong.trust.pdf import LEADER_FIELD, validate_pdf
from lienthong.trust.pki import DemoPKI
from tests.integration.clerk.conftest import NAMES, csrf_of
from tests.integration.clerk.test_clerk_leader import _compose, _draft_id
from tests.integration.remotesign.conftest import TOKEN, Remote, make_remote
from tests.support import GOV_OFFICE, NOW
from tests.support_pdf import pdf_trust


def _start(remote: Remote, draft_url: str) -> tuple[httpx.Client, httpx.Response]:
    leader = remote.office.login("lanhdao.vpcp")
    confirm = leader.get(draft_url + "/ky")
    answer = leader.post(
        draft_url + "/ky", data={"csrf_token": csrf_of(confirm.text), "xac_nhan": "1"}
    )
    return leader, answer


def _finish(leader: httpx.Client, draft_url: str) -> httpx.Response:
    page = leader.get(draft_url)
    return leader.post(draft_url + "/ky/hoan-tat", data={"csrf_token": csrf_of(page.text)})


def _approve(remote: Remote, code: str) -> httpx.Response:
    with httpx.Client(base_url=remote.server.url) as phone:
        return phone.post(f"/ky-so-tu-xa/yeu-cau/{remote.last_request()}", data={"ma": code})


def _unsigned(remote: Remote, draft_id: int) -> None:
    """The draft as it was: no signed PDF, state draft, no pending signature."""
    with remote.office.container.db.read() as session:
        row = clerk_store.draft_of(session, draft_id, GOV_OFFICE)
        assert row is not None
        assert (row.state, row.signed_digest, row.signed_by) == ("draft", None, None)
        pending = session.scalar(select(func.count()).select_from(clerk_store.RemoteSignatureRow))
        assert pending == 0


def test_a_leader_approves_on_the_phone_and_the_draft_carries_a_pades_signature(
    remote: Remote,
) -> None:
    draft_url = _compose(remote.office, "V/v ký số từ xa")
    draft_id = _draft_id(draft_url)
    leader, answer = _start(remote, draft_url)
    assert answer.status_code == 200, answer.text
    assert "Đang chờ bạn duyệt trên điện thoại" in answer.text
    # Before the code: still waiting, nothing signed.
    early = _finish(leader, draft_url)
    assert early.status_code == 409
    assert "chưa được duyệt" in early.text
    phone = _approve(remote, remote.last_code())
    assert phone.status_code == 200, phone.text
    assert "Đã duyệt" in phone.text
    done = _finish(leader, draft_url)
    assert "Lãnh đạo đã ký dự thảo." in done.text
    signed = leader.get(draft_url + "/pdf").content
    reports = validate_pdf(signed, pdf_trust(remote.pki, NOW), now=NOW, agency=GOV_OFFICE)
    assert [r.field_name for r in reports] == [LEADER_FIELD]
    report = reports[0]
    assert report.valid and report.covers_whole_file
    assert report.signer_name == NAMES["lanhdao.vpcp"]
    assert report.signer_agency == GOV_OFFICE
    assert report.certificate is not None
    assert report.as_dict()["signer"]["serial"] == format(report.certificate.serial_number, "x")
    assert report.signing_time == NOW - timedelta(seconds=1)
    with remote.office.container.db.read() as session:
        row = clerk_store.draft_of(session, draft_id, GOV_OFFICE)
        assert row is not None and row.state == "signed" and row.signed_by == "lanhdao.vpcp"
    # The organisation's seal stays with the clerk: numbered and sent over the remote signature.
    clerk = remote.office.login("vanthu.vpcp")
    page = clerk.get(draft_url)
    issued = clerk.post(draft_url + "/ban-hanh", data={"csrf_token": csrf_of(page.text)})
    assert "Đã cấp số, đóng dấu và gửi văn bản." in issued.text, issued.text
    # The SAD was handed out once and used once: the same request cannot sign again.
    with httpx.Client(base_url=remote.server.url) as http:
        again = http.post(
            "/csc/v2/credentials/authorizeCheck",
            json={"requestID": remote.last_request()},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
    assert again.json()["error"] == "REMOTE_SIGNING_SAD_INVALID"


def test_the_approval_times_out_and_the_draft_stays_unsigned(remote: Remote) -> None:
    draft_url = _compose(remote.office, "V/v hết thời gian duyệt")
    leader, _ = _start(remote, draft_url)
    code = remote.last_code()
    remote.clock.advance(CODE_TTL + timedelta(seconds=1))
    phone = _approve(remote, code)
    assert phone.status_code == 409
    assert 'data-error-code="REMOTE_SIGNING_TIMEOUT"' in phone.text
    refused = _finish(leader, draft_url)
    assert refused.status_code == 409
    assert "Hết thời gian chờ duyệt ký" in refused.text
    _unsigned(remote, _draft_id(draft_url))


def test_wrong_codes_are_refused_then_lock_the_request(remote: Remote) -> None:
    draft_url = _compose(remote.office, "V/v nhập sai mã")
    leader, _ = _start(remote, draft_url)
    good = remote.last_code()
    wrong = "000000" if good != "000000" else "111111"
    first = _approve(remote, wrong)
    assert first.status_code == 422
    assert 'data-error-code="REMOTE_SIGNING_CODE_WRONG"' in first.text
    assert f"Còn {MAX_ATTEMPTS - 1} lần nhập" in first.text
    for _ in range(MAX_ATTEMPTS - 1):
        last = _approve(remote, wrong)
    assert 'data-error-code="REMOTE_SIGNING_LOCKED"' in last.text
    # Even the right code is too late now.
    assert 'data-error-code="REMOTE_SIGNING_LOCKED"' in _approve(remote, good).text
    refused = _finish(leader, draft_url)
    assert refused.status_code == 409
    assert "quá số lần cho phép" in refused.text
    _unsigned(remote, _draft_id(draft_url))


def test_a_revoked_certificate_is_refused_before_the_leader_is_asked(
    db: Database, tmp_path: Path, clerk_pki: DemoPKI
) -> None:
    credential = clerk_pki.issue_custom(
        common_name=NAMES["lanhdao.vpcp"],
        agency_code=GOV_OFFICE,
        organisation="Văn phòng Chính phủ",
        not_before=NOW - timedelta(days=1),
        not_after=NOW + timedelta(days=700),
    )
    remote = make_remote(
        db, tmp_path, clerk_pki, [Holding("cks-thu-hoi", "lanhdao.vpcp", credential)]
    )
    try:
        clerk_pki.revoke(credential.serial, NOW - timedelta(hours=1))
        draft_url = _compose(remote.office, "V/v chứng thư đã thu hồi")
        _leader, answer = _start(remote, draft_url)
        assert answer.status_code == 422
        assert "Chứng thư số của người ký đã bị thu hồi" in answer.text
        _unsigned(remote, _draft_id(draft_url))
        with remote.service.db.read() as session:
            from lienthong.remotesign.store import SmsRow

            assert session.scalar(select(func.count()).select_from(SmsRow)) == 0
    finally:
        remote.server.stop()
        remote.office.server.stop()


def test_a_certificate_of_another_person_is_refused(
    db: Database, tmp_path: Path, clerk_pki: DemoPKI
) -> None:
    # The service hands the leader the agency's other signer's certificate.
    other = clerk_pki.signer(GOV_OFFICE)
    remote = make_remote(db, tmp_path, clerk_pki, [Holding("cks-nham", "lanhdao.vpcp", other)])
    try:
        draft_url = _compose(remote.office, "V/v chứng thư của người khác")
        _leader, answer = _start(remote, draft_url)
        assert answer.status_code == 422
        assert "không phải của người ký" in answer.text
        _unsigned(remote, _draft_id(draft_url))
    finally:
        remote.server.stop()
        remote.office.server.stop()


def test_an_unreachable_service_is_refused_and_nothing_is_stored(remote: Remote) -> None:
    clerk = remote.office.container.clerk
    assert clerk is not None and clerk.remote is not None
    clerk.remote.client.base_url = "http://127.0.0.1:9/csc/v2"
    draft_url = _compose(remote.office, "V/v dịch vụ không phản hồi")
    _leader, answer = _start(remote, draft_url)
    assert answer.status_code == 503
    assert "Dịch vụ ký số từ xa không phản hồi" in answer.text
    _unsigned(remote, _draft_id(draft_url))


@pytest.mark.parametrize("token", [None, "wrong"])
def test_the_csc_calls_need_the_hub_token(remote: Remote, token: str | None) -> None:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=remote.server.url) as http:
        info = http.post("/csc/v2/info", json={})
        listed = http.post("/csc/v2/credentials/list", json={"userID": "x"}, headers=headers)
    assert info.status_code == 200 and "signatures/signHash" in info.json()["methods"]
    assert listed.status_code == 401
    assert listed.json()["error"] == ErrorCode.AUTH_FAILED
