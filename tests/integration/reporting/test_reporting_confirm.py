"""Report submission asks for a confirmation that states what is sent; a returned report
notifies the unit's reporting officers; the reporting pages name units instead of codes. Over
real HTTP, on SQLite and PostgreSQL (the hub of test_reporting_channels_cycle)."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select

from lienthong.notifications.model import NotificationKind
from lienthong.notifications.store import NotificationRow
from tests.integration.reporting import test_reporting_channels_cycle as cycle
from tests.integration.reporting.test_reporting_channels_cycle import (
    COMMUNE_A,
    PERIOD,
    SECTIONS,
    Hub,
    figures,
    flashed,
    token_of,
    vn,
)
from tests.support import NGHE_AN

# The hub with its demo PKI, reporting units and officers, as in the cycle's tests.
pki = cycle.pki
hub = cycle.hub

HERE = f"/bao-cao/ky/KTXH/{PERIOD}"


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _saved_draft(web: httpx.Client) -> int:
    form = web.get(HERE)
    data = {"csrf_token": token_of(form.text)}
    data |= {f"o_{cell}": vn(value) for cell, value in figures(1).items()}
    data |= {f"muc_{code}": text for code, text in SECTIONS.items()}
    flashed(web.post(HERE, data=data), "Đã lưu bản nháp.")
    found = re.search(r'<form method="get" action="/bao-cao/nop/(\d+)"', web.get(HERE).text)
    assert found, "the sign-and-submit button opens the confirmation"
    return int(found.group(1))


def _state(hub: Hub, sid: int) -> str:
    return hub.reporting.service.submission(sid).state


def _returned_notices(hub: Hub) -> list[NotificationRow]:
    with hub.reporting.db.read() as session:
        query = select(NotificationRow).where(
            NotificationRow.kind == NotificationKind.REPORT_RETURNED.value
        )
        rows = list(session.scalars(query))
        session.expunge_all()
        return rows


def test_submission_states_what_is_sent_and_sends_nothing_before_the_confirmation(
    hub: Hub,
) -> None:
    web = hub.web("baocao.xa")
    sid = _saved_draft(web)
    confirm = web.get(f"/bao-cao/nop/{sid}")
    assert confirm.status_code == 200
    text = _text(confirm.text)
    assert "Xác nhận ký số và gửi báo cáo" in text
    assert "Kỳ báo cáo Tháng 4/2026" in text
    assert "Đơn vị báo cáo UBND xã Nghi Phong" in text
    assert "Gửi đến UBND tỉnh Nghệ An" in text
    assert f'href="{HERE}">Hủy</a>' in confirm.text
    assert _state(hub, sid) == "draft"

    bare = web.post(f"/bao-cao/nop/{sid}", data={"csrf_token": token_of(confirm.text)})
    assert bare.status_code == 303 and bare.headers["location"] == f"/bao-cao/nop/{sid}"
    assert _state(hub, sid) == "draft"
    assert web.get(HERE).status_code == 200  # "Hủy": back to the form, nothing sent
    assert _state(hub, sid) == "draft"

    done = web.post(
        f"/bao-cao/nop/{sid}", data={"csrf_token": token_of(confirm.text), "xac_nhan": "1"}
    )
    flashed(done, "Đã ký số và gửi báo cáo")
    assert _state(hub, sid) == "submitted"
    again = web.get(f"/bao-cao/nop/{sid}")
    assert again.status_code == 303 and "loi=" in again.headers["location"]


def test_another_unit_gets_no_confirmation_page_of_the_report(hub: Hub) -> None:
    sid = _saved_draft(hub.web("baocao.xa"))
    province = hub.web("baocao.tinh")
    page = province.get(f"/bao-cao/nop/{sid}")
    assert page.status_code == 303 and "loi=" in page.headers["location"]
    sent = province.post(
        f"/bao-cao/nop/{sid}",
        data={"csrf_token": token_of(province.get("/bao-cao").text), "xac_nhan": "1"},
    )
    assert sent.status_code == 303 and "loi=" in sent.headers["location"]
    assert _state(hub, sid) == "draft"


def test_a_returned_report_notifies_the_units_officer_until_the_form_is_opened(
    hub: Hub,
) -> None:
    web = hub.web("baocao.xa")
    sid = _saved_draft(web)
    confirm = web.get(f"/bao-cao/nop/{sid}")
    web.post(f"/bao-cao/nop/{sid}", data={"csrf_token": token_of(confirm.text), "xac_nhan": "1"})
    assert _returned_notices(hub) == []
    province = hub.web("baocao.tinh")
    page = province.get(f"/bao-cao/ban/{sid}")
    returned = province.post(
        f"/bao-cao/tiep-nhan/{sid}",
        data={
            "csrf_token": token_of(page.text),
            "quyet_dinh": "tra-lai",
            "y_kien": "Thiếu số liệu hộ nghèo",
        },
    )
    flashed(returned, "Đã trả lại báo cáo")
    (notice,) = _returned_notices(hub)
    assert notice.read_at is None and notice.link == HERE
    assert "UBND tỉnh Nghệ An trả lại báo cáo" in notice.text
    assert "Tháng 4/2026: Thiếu số liệu hộ nghèo" in notice.text
    listed = web.get("/thong-bao")
    assert '<span class="badge count">1</span>' in listed.text
    assert "Báo cáo bị trả lại" in listed.text
    assert province.get("/thong-bao").text.count('class="unread"') == 0
    web.get(HERE)  # the form of the returned report: the notice is read
    (notice,) = _returned_notices(hub)
    assert notice.read_at is not None


def test_report_requests_name_the_issuing_and_receiving_units(hub: Hub) -> None:
    province = hub.web("baocao.tinh")
    page = province.get("/bao-cao/yeu-cau")
    created = province.post(
        "/bao-cao/yeu-cau",
        data={
            "csrf_token": token_of(page.text),
            "loai": "ad_hoc",
            "tieu_de": "Số liệu thiệt hại do bão",
            "noi_dung": "Báo cáo nhanh thiệt hại.",
            "chot_so_lieu": "2026-04-14",
            "han_gui": "2026-04-20",
            "don_vi_nhan": [COMMUNE_A],
        },
    )
    flashed(created, "Đã gửi yêu cầu báo cáo.")
    text = _text(hub.web("baocao.xa").get("/bao-cao/yeu-cau").text)
    assert "Đơn vị yêu cầu: UBND tỉnh Nghệ An" in text
    assert "UBND xã Nghi Phong" in text
    assert NGHE_AN not in text and COMMUNE_A not in text
