"""The monitoring centre's figures equal counts computed here from the raw rows (SQLite and
PostgreSQL); its pages are for operators only."""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from lienthong.agencies.store import AgencyRow
from lienthong.clock import VN_TZ
from lienthong.db import Database
from lienthong.edxml.model import StatusCode
from lienthong.exchange import store
from lienthong.exchange.model import TransportState
from lienthong.stats.store import BUCKETS, bucket_of
from lienthong.trust.pki import DemoPKI
from tests.integration.clerk.conftest import Office, clerk_pki, make_office
from tests.support import (
    CAO_BANG,
    FINANCE,
    GOV_OFFICE,
    NGHE_AN,
    document_bytes,
    register,
    send,
    status_bytes,
)

__all__ = ["clerk_pki"]  # the session PKI fixture of the clerk tests

COMMUNE = "000.11.38.H41"
DISTRICT = "000.00.38.H41"


@pytest.fixture
def office(db: Database, tmp_path: Path, clerk_pki: DemoPKI) -> Iterator[Office]:
    made = make_office(db, tmp_path, clerk_pki)
    c = made.container
    register(c, CAO_BANG, "UBND tỉnh Cao Bằng")
    register(c, FINANCE, "Bộ Tài chính")
    register(c, DISTRICT, "UBND huyện Nghi Lộc", level=2, parent_code=NGHE_AN)
    register(c, COMMUNE, "UBND xã Nghi Phong", level=3, parent_code=DISTRICT)
    yield made
    made.server.stop()


def _history(office: Office) -> None:
    """Documents over three days, arrivals (01) the same day or later, 03 and 06, a recall."""
    c, clock = office.container, office.clock
    number = 100
    plan = [
        (GOV_OFFICE, [NGHE_AN, CAO_BANG, FINANCE]),
        (NGHE_AN, [DISTRICT, COMMUNE]),
        (DISTRICT, [COMMUNE]),
        (FINANCE, [GOV_OFFICE]),
    ]
    for _day in range(3):
        for sender, recipients in plan:
            number += 1
            sent = send(c, sender, document_bytes(sender, recipients, number=str(number)))
            for i, recipient in enumerate(recipients):
                delivery = _delivery(c, sent.message_id, recipient)
                if (number + i) % 3 == 0:
                    continue  # never fetched
                clock.advance(timedelta(minutes=7 * (i + 1)))
                c.exchange.acknowledge(recipient, delivery, TransportState.DONE)
                if (number + i) % 2 == 0:
                    clock.advance(timedelta(hours=2))
                    edxml = _edxml_id(c, sent.document_id or "")
                    send(c, recipient, status_bytes(recipient, sender, edxml, "03"))
                    clock.advance(timedelta(hours=20))
                    send(c, recipient, status_bytes(recipient, sender, edxml, "06"))
        clock.advance(timedelta(days=1))
    clock.advance(timedelta(minutes=1))


def _delivery(c: object, message_id: str, recipient: str) -> int:
    with c.db.read() as session:  # type: ignore[attr-defined]
        return int(
            session.scalar(
                select(store.Delivery.id).where(
                    store.Delivery.message_id == message_id,
                    store.Delivery.recipient_code == recipient,
                )
            )
        )


def _edxml_id(c: object, document_id: str) -> str:
    with c.db.read() as session:  # type: ignore[attr-defined]
        doc = session.get(store.Document, document_id)
        assert doc is not None
        return str(doc.edxml_document_id)


def _vn(at: object) -> object:
    from lienthong.clock import as_utc

    return as_utc(at).astimezone(VN_TZ)  # type: ignore[arg-type]


def test_the_monitoring_figures_match_the_raw_rows(office: Office) -> None:
    _history(office)
    c = office.container
    # A duplicate sent through the API is refused and counted.
    secret = register(c, "000.00.00.H17", "UBND thành phố Đà Nẵng")
    dup = document_bytes("000.00.00.H17", [GOV_OFFICE], number="9")
    with httpx.Client(base_url=office.server.url, auth=("000.00.00.H17", secret)) as api:
        assert api.post("/api/v1/packages", content=dup).status_code == 201
        other = document_bytes("000.00.00.H17", [GOV_OFFICE], number="9", subject="Khác")
        refused = api.post("/api/v1/packages", content=other)
        assert refused.json()["error"]["code"] == "DUPLICATE_DOCUMENT"

    with c.db.read() as session:
        docs = list(session.scalars(select(store.Document)))
        recipients = list(session.scalars(select(store.Recipient)))
        events = list(session.scalars(select(store.StatusEvent).order_by(store.StatusEvent.id)))
        levels = dict(session.execute(select(AgencyRow.code, AgencyRow.level)).all())
        session.expunge_all()  # keep the loaded values after the read session ends
    created = {d.id: d.created_at for d in docs}
    sent_by = Counter(d.sender_code for d in docs)
    received_by = Counter(r.recipient_code for r in recipients)
    by_level_sent = Counter(levels[d.sender_code] for d in docs)
    by_level_received = Counter(levels[r.recipient_code] for r in recipients)
    firsts: dict[tuple[str, str, str], object] = {}
    for e in events:
        firsts.setdefault((e.document_id, e.recipient_code, e.status_code), e.created_at)
    same_day = sum(
        1
        for (doc, _r, code), at in firsts.items()
        if code == StatusCode.ARRIVED and _vn(at).date() == _vn(created[doc]).date()  # type: ignore[attr-defined]
    )
    minutes_to_01 = [
        (_vn(at) - _vn(created[doc])).total_seconds() / 60  # type: ignore[operator]
        for (doc, _r, code), at in firsts.items()
        if code == "01"
    ]

    operator = office.login("vanhanh")
    q = "?ky=30"
    page = operator.get("/giam-sat" + q)
    assert page.status_code == 200
    assert f'id="kpi-sent">{len(docs)}<' in page.text
    assert f'id="kpi-received">{len(recipients)}<' in page.text
    for level in (1, 2, 3):
        row = page.text.split(f'data-level="{level}"')[1].split("</tr>")[0]
        assert f">{by_level_sent[level]}<" in row and f">{by_level_received[level]}<" in row

    exported = operator.get("/giam-sat/don-vi" + q + "&dinh_dang=csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Mã định danh"
    table = {r[0]: r for r in rows[1:]}
    for code, n in sent_by.items():
        assert int(table[code][3]) == n
    for code, n in received_by.items():
        assert int(table[code][4]) == n
    assert sum(int(r[7]) for r in rows[1:]) == same_day
    whole_month = operator.get("/giam-sat/don-vi?tu=2026-11-01&den=2026-11-30&dinh_dang=csv")
    assert sorted(whole_month.content.splitlines()) == sorted(exported.content.splitlines())
    xlsx = operator.get("/giam-sat/don-vi" + q + "&dinh_dang=xlsx")
    assert xlsx.content[:2] == b"PK"

    compliance = operator.get("/giam-sat/tuan-thu" + q)
    assert f'id="late">{len(recipients) - same_day}<' in compliance.text
    assert "DUPLICATE_DOCUMENT" in compliance.text
    median = statistics.median_low(minutes_to_01)
    expected = BUCKETS[bucket_of(median)]
    row = compliance.text.split('data-status="01"')[1].split("</tr>")[0]
    assert f">{len(minutes_to_01)}<" in row
    assert f"≤ {expected} phút" in row or "giờ" in row or "ngày" in row

    assert operator.get(f"/giam-sat/don-vi/{GOV_OFFICE}{q}").status_code == 200
    assert operator.get("/giam-sat/van-chuyen").status_code == 200


def test_a_clerk_cannot_open_the_monitoring_centre(office: Office) -> None:
    clerk = office.login("vanthu.vpcp")
    for path in ("/giam-sat", "/giam-sat/tuan-thu", "/giam-sat/don-vi?dinh_dang=csv"):
        assert clerk.get(path).status_code == 403
