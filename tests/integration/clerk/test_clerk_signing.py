"""The clerk application obeys the hub's trust policy: every package it builds (statuses 01-06,
recall 13, answers 15/16) is XML-signed with the agency's organisation credential, so that it
passes even a hub that refuses unsigned statuses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from lienthong.db import Database
from lienthong.exchange import store
from lienthong.trust.pki import DemoPKI
from tests.integration.clerk.conftest import Office, csrf_of, make_office
from tests.support import GOV_OFFICE, NGHE_AN, document_bytes, send


@pytest.fixture
def strict_office(db: Database, tmp_path: Path, clerk_pki: DemoPKI) -> Iterator[Office]:
    """A hub that also refuses unsigned status packages (the setting under test)."""
    made = make_office(db, tmp_path, clerk_pki, trust_require_signed_status=True)
    yield made
    made.server.stop()


def test_every_status_the_clerk_sends_is_signed_by_the_agency(strict_office: Office) -> None:
    office = strict_office
    sent = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    clerk_b = office.login("vanthu.nghean")
    page = clerk_b.get(f"/van-thu/van-ban/{sent.document_id}")
    for code, extra in (("03", {}), ("04", {"specialist": "chuyenvien.nghean"})):
        answer = clerk_b.post(
            f"/van-thu/van-ban/{sent.document_id}/trang-thai",
            data={"csrf_token": csrf_of(page.text), "code": code, **extra},
        )
        assert answer.status_code == 200, answer.text
        assert "Không thực hiện được" not in answer.text
    clerk_a = office.login("vanthu.vpcp")
    page = clerk_a.get(f"/van-thu/van-ban/{sent.document_id}")
    recall = clerk_a.post(
        f"/van-thu/van-ban/{sent.document_id}/thu-hoi",
        data={"csrf_token": csrf_of(page.text), "reason": "Sai sót số liệu"},
    )
    assert "Đã gửi yêu cầu thu hồi" in recall.text
    page = clerk_b.get(f"/van-thu/van-ban/{sent.document_id}")
    agreed = clerk_b.post(
        f"/van-thu/van-ban/{sent.document_id}/trang-thai",
        data={"csrf_token": csrf_of(page.text), "code": "15"},
    )
    assert agreed.status_code == 200
    with office.container.db.read() as session:
        statuses = [
            (sender, validation or {})
            for sender, validation in session.execute(
                select(store.Message.sender_code, store.Message.validation).where(
                    store.Message.kind == "status"
                )
            )
        ]
    by_sender = sorted((sender, report["signer"]["agency"]) for sender, report in statuses)
    assert by_sender == sorted(
        [(NGHE_AN, NGHE_AN), (NGHE_AN, NGHE_AN), (GOV_OFFICE, GOV_OFFICE), (NGHE_AN, NGHE_AN)]
    )
    for _sender, report in statuses:
        checks = {c["name"]: c["status"] for c in report["checks"]}
        assert checks["signature"] == "ok" and checks["signer_agency"] == "ok"
