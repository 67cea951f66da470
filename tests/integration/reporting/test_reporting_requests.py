"""Ad-hoc and thematic requests: recipients, cut-off and deadline in the request, tracked from
open to answered to closed; refusals store nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from lienthong.clock import VN_TZ
from lienthong.errors import ErrorCode, LienthongError
from lienthong.reporting import store
from lienthong.reporting.requests import ANSWERED, CLOSED, OPEN, RequestService
from tests.integration.reporting.conftest import COMMUNES, GOV, PROVINCE, Network


def service(net: Network) -> RequestService:
    return RequestService(net.db, net.clock, net.service.calendar)


def counts(net: Network) -> tuple[int, int]:
    with net.db.read() as session:
        return (
            session.scalar(select(func.count()).select_from(store.RequestRow)) or 0,
            session.scalar(
                select(func.count())
                .select_from(store.RequestRecipientRow)
                .where(store.RequestRecipientRow.answered_at.is_not(None))
            )
            or 0,
        )


def create(svc: RequestService, **kw: object) -> object:
    args: dict[str, object] = {
        "kind": "ad_hoc",
        "title": "Báo cáo thiệt hại do bão số 3",
        "content": "Số hộ bị ảnh hưởng, thiệt hại ước tính.",
        "cutoff": date(2026, 4, 15),
        "deadline": date(2026, 4, 17),
        "recipients": COMMUNES[:2],
        "actor": "province",
    }
    args.update(kw)
    return svc.create(PROVINCE, **args)  # type: ignore[arg-type]


def test_a_request_is_answered_by_each_recipient_then_closed(network: Network) -> None:
    svc = service(network)
    made = svc.create(
        PROVINCE,
        kind="thematic",
        title="Chuyên đề chuyển đổi số cấp xã",
        content="Tình hình triển khai dịch vụ công trực tuyến.",
        cutoff=date(2026, 4, 15),
        deadline=date(2026, 4, 17),
        recipients=COMMUNES[:2],
        actor="province",
    )
    assert made.state == OPEN and made.answered == 0
    assert [r.unit_code for r in made.recipients] == sorted(COMMUNES[:2])
    after_one = svc.answer(made.id, COMMUNES[0], "Đã triển khai 95% thủ tục.", actor=COMMUNES[0])
    assert (after_one.state, after_one.answered) == (OPEN, 1)
    network.clock.set(datetime(2026, 4, 18, 9, 0, tzinfo=VN_TZ))  # after the deadline
    done = svc.answer(made.id, COMMUNES[1], "Đã triển khai 80%.", actor=COMMUNES[1])
    assert done.state == ANSWERED
    on_time = {r.unit_code: r.on_time for r in done.recipients}
    assert on_time == {COMMUNES[0]: True, COMMUNES[1]: False}
    closed = svc.close(made.id, PROVINCE, actor="province")
    assert closed.state == CLOSED
    assert [r.id for r in svc.for_unit(COMMUNES[0])] == [made.id]
    assert svc.get(made.id, PROVINCE).title == "Chuyên đề chuyển đổi số cấp xã"


def refused(net: Network, code: ErrorCode, call: object, *args: object, **kw: object) -> None:
    before = counts(net)
    with pytest.raises(LienthongError) as caught:
        call(*args, **kw)  # type: ignore[operator]
    assert caught.value.code is code, caught.value
    assert counts(net) == before


def test_refusals_of_requests_store_nothing(network: Network) -> None:
    svc = service(network)
    bad = ErrorCode.REPORT_REQUEST_INVALID
    refused(network, bad, create, svc, recipients=[])
    refused(network, bad, create, svc, recipients=["H99.99.99"])
    refused(network, bad, create, svc, title=" ")
    refused(network, bad, create, svc, kind="periodic")
    # cut-off Fri 17 Apr, deadline Sat 18 Apr: no working day in between
    refused(network, bad, create, svc, cutoff=date(2026, 4, 17), deadline=date(2026, 4, 18))
    made = create(svc)
    rid = made.id  # type: ignore[attr-defined]
    refused(network, ErrorCode.REPORT_UNIT_MISMATCH, svc.answer, rid, COMMUNES[3], "x", actor="c")
    refused(network, ErrorCode.REPORT_REASON_REQUIRED, svc.answer, rid, COMMUNES[0], " ", actor="c")
    refused(
        network, ErrorCode.REPORT_REQUEST_NOT_FOUND, svc.answer, 999, COMMUNES[0], "x", actor="c"
    )
    refused(network, ErrorCode.REPORT_UNIT_MISMATCH, svc.close, rid, GOV, actor="gov")
    svc.close(rid, PROVINCE, actor="province")
    refused(network, ErrorCode.REPORT_REQUEST_CLOSED, svc.answer, rid, COMMUNES[0], "x", actor="c")
    with pytest.raises(LienthongError) as caught:
        svc.get(rid, COMMUNES[3])
    assert caught.value.code is ErrorCode.REPORT_REQUEST_NOT_FOUND
