"""Dossier sync through the service on SQLite and PostgreSQL: batches, ordering, duplicates."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from lienthong.clock import VN_TZ
from lienthong.errors import ErrorCode
from lienthong.portal.demo import dossier_item
from lienthong.portal.model import PortalError
from tests.integration.portal.conftest import CAO_BANG, CB_JUSTICE, NGHE_AN, VINH, Portal

RECEIVED = datetime(2026, 11, 16, 8, 30, tzinfo=VN_TZ)  # Monday


def code(n: int, agency: str = VINH) -> str:
    return f"{agency}-261116-{n:04d}"


def test_stores_a_new_dossier_pinned_to_the_version_in_force(portal: Portal) -> None:
    result = portal.service.sync_dossiers(
        NGHE_AN, [dossier_item(code(1), VINH, "2.000635", received=RECEIVED)]
    )
    assert result.as_dict()["items"] == [{"index": 0, "MaHoSo": code(1), "result": "created"}]
    view = portal.service.lookup(code(1))
    assert view.procedure is not None and view.procedure.version == 2
    assert view.state.wrong_code is None
    assert view.state.due == date(2026, 11, 17)  # 1 working day after Monday
    assert portal.stat(VINH, "2026-11")["synced"] == 1


def test_flags_wrong_procedure_codes_but_keeps_the_dossiers(portal: Portal) -> None:
    items = [
        dossier_item(code(1), VINH, "", received=RECEIVED),
        dossier_item(code(2), VINH, "9.999999", received=RECEIVED),
        dossier_item(code(3), VINH, "1.004227", received=RECEIVED),  # Cao Bằng only
        dossier_item(code(4), VINH, "1.003001", received=RECEIVED),  # ended 2025-06-30
        dossier_item(code(5), VINH, "1.001234", received=RECEIVED),
    ]
    result = portal.service.sync_dossiers(NGHE_AN, items)
    assert result.accepted == 5
    wrong = {portal.service.lookup(code(n)).state.wrong_code for n in range(1, 6)}
    assert wrong == {"EMPTY", "UNKNOWN", "NOT_PUBLISHED", "EXPIRED", None}
    stat = portal.stat(VINH, "2026-11")
    assert (stat["synced"], stat["wrong_code"]) == (5, 4)
    assert len(portal.service.correction_queue(NGHE_AN)) == 4


def test_a_batch_stores_valid_items_and_reports_invalid_ones_item_by_item(portal: Portal) -> None:
    items = [
        dossier_item(code(1), VINH, "2.000635", received=RECEIVED),
        dossier_item(code(2), VINH, "2.000635", received=RECEIVED, NgayTiepNhan="20261399"),
        dossier_item(code(3), "999.99.99.H99", "2.000635", received=RECEIVED),
        dossier_item(code(4, CB_JUSTICE), CB_JUSTICE, "1.004227", received=RECEIVED),
        dossier_item("", VINH, "2.000635", received=RECEIVED),
        dossier_item(code(6), VINH, "2.000635", received=RECEIVED, TrangThaiHoSo=42),
    ]
    result = portal.service.sync_dossiers(NGHE_AN, items).as_dict()
    codes = [i.get("error", {}).get("code") for i in result["items"]]
    assert codes == [
        None,
        "PORTAL_DATE_INVALID",
        "AGENCY_UNKNOWN",
        "PORTAL_AGENCY_NOT_IN_SCOPE",
        "PORTAL_DOSSIER_CODE_INVALID",
        "PORTAL_DOSSIER_INVALID",
    ]
    assert portal.counts() == (1, 1)
    assert sum(r["n"] for r in portal.service.rejections("2026-11", "2026-11")) == 5


def test_out_of_order_updates_never_overwrite_a_newer_state(portal: Portal) -> None:
    c = code(1)
    finished = RECEIVED + timedelta(hours=5)
    portal.service.sync_dossiers(NGHE_AN, [dossier_item(c, VINH, "2.000635", received=RECEIVED)])
    newer = dossier_item(c, VINH, "2.000635", status=9, received=RECEIVED, finished=finished)
    older = dossier_item(
        c, VINH, "2.000635", status=4, received=RECEIVED, updated=RECEIVED + timedelta(hours=1)
    )
    result = portal.service.sync_dossiers(NGHE_AN, [newer]).as_dict()
    assert result["items"][0]["result"] == "updated"
    result = portal.service.sync_dossiers(NGHE_AN, [older]).as_dict()
    assert result["items"][0]["result"] == "stale"
    view = portal.service.lookup(c)
    assert view.state.status == 9 and view.state.timeliness == "EARLY"
    assert [(h["status"], h["applied"]) for h in view.history] == [(2, True), (4, False), (9, True)]


def test_a_batch_orders_the_updates_of_one_dossier_by_event_time(portal: Portal) -> None:
    c = code(1)
    items = [
        dossier_item(
            c,
            VINH,
            "2.000635",
            status=10,
            received=RECEIVED,
            finished=RECEIVED + timedelta(hours=3),
            NgayTra="20261116160000",
        ),
        dossier_item(c, VINH, "2.000635", status=2, received=RECEIVED),
        dossier_item(
            c, VINH, "2.000635", status=4, received=RECEIVED, updated=RECEIVED + timedelta(hours=1)
        ),
    ]
    result = portal.service.sync_dossiers(NGHE_AN, items)
    assert result.accepted == 3
    assert portal.service.lookup(c).state.status == 10


def test_duplicated_updates_change_nothing(portal: Portal) -> None:
    item = dossier_item(code(1), VINH, "2.000635", received=RECEIVED)
    portal.service.sync_dossiers(NGHE_AN, [item])
    again = portal.service.sync_dossiers(NGHE_AN, [item, item]).as_dict()
    assert [i["result"] for i in again["items"]] == ["duplicate", "duplicate"]
    assert portal.counts() == (1, 1)
    assert portal.stat(VINH, "2026-11")["synced"] == 1


def test_refuses_an_impossible_transition_and_records_it(portal: Portal) -> None:
    c = code(1)
    portal.service.sync_dossiers(
        NGHE_AN,
        [
            dossier_item(
                c,
                VINH,
                "2.000635",
                status=10,
                received=RECEIVED,
                finished=RECEIVED + timedelta(hours=2),
            )
        ],
    )
    back = dossier_item(
        c, VINH, "2.000635", status=4, received=RECEIVED, updated=RECEIVED + timedelta(days=1)
    )
    result = portal.service.sync_dossiers(NGHE_AN, [back]).as_dict()
    assert result["items"][0]["error"]["code"] == "PORTAL_TRANSITION_NOT_ALLOWED"
    assert portal.service.lookup(c).state.status == 10
    reasons = {r["reason"] for r in portal.service.rejections("2026-11", "2026-11")}
    assert reasons == {"PORTAL_TRANSITION_NOT_ALLOWED"}


def test_refuses_an_oversized_batch_and_stores_nothing(portal: Portal) -> None:
    items = [dossier_item(code(n), VINH, "2.000635", received=RECEIVED) for n in range(1001)]
    with pytest.raises(PortalError) as caught:
        portal.service.sync_dossiers(NGHE_AN, items)
    assert caught.value.code is ErrorCode.PORTAL_BATCH_TOO_LARGE
    assert portal.counts() == (0, 0)


def test_a_supplement_moves_the_due_date(portal: Portal) -> None:
    c = code(1)
    portal.service.sync_dossiers(NGHE_AN, [dossier_item(c, VINH, "1.001234", received=RECEIVED)])
    # 15 working days; Tue 24 Nov 2026 (Ngày Văn hóa Việt Nam) is a day off.
    assert portal.service.lookup(c).state.due == date(2026, 12, 8)
    moved = dossier_item(
        c,
        VINH,
        "1.001234",
        status=5,
        received=RECEIVED,
        updated=RECEIVED + timedelta(days=2),
        supplements=[(date(2026, 12, 8), date(2026, 12, 14))],
    )
    portal.service.sync_dossiers(NGHE_AN, [moved])
    view = portal.service.lookup(c)
    assert view.state.due == date(2026, 12, 14)
    assert [h["kind"] for h in view.history] == ["status", "status", "supplement"]
    done = dossier_item(
        c,
        VINH,
        "1.001234",
        status=9,
        received=RECEIVED,
        finished=datetime(2026, 12, 11, 10, 0, tzinfo=VN_TZ),
        supplements=[(date(2026, 12, 8), date(2026, 12, 14))],
    )
    portal.service.sync_dossiers(NGHE_AN, [done])
    assert portal.service.lookup(c).state.timeliness == "EARLY"  # late without the supplement


def test_recoding_a_dossier_fixes_the_figures_and_is_audited(portal: Portal) -> None:
    c = code(1)
    portal.service.sync_dossiers(NGHE_AN, [dossier_item(c, VINH, "", received=RECEIVED)])
    with pytest.raises(PortalError) as caught:
        portal.service.recode(c, "1.004227", actor="operator")
    assert caught.value.code is ErrorCode.PORTAL_RECODE_INVALID
    state = portal.service.recode(c, "2.000635", actor="operator")
    assert state.wrong_code is None and state.due == date(2026, 11, 17)
    assert portal.stat(VINH, "2026-11")["wrong_code"] == 0
    assert portal.service.correction_queue() == []


def test_a_step_moves_the_status_and_joins_the_history(portal: Portal) -> None:
    c = code(1)
    portal.service.sync_dossiers(NGHE_AN, [dossier_item(c, VINH, "2.000635", received=RECEIVED)])
    step = {
        "MaHoSo": c,
        "NguoiXuLy": "Trần Thị Bình",
        "ChucDanh": "Chuyên viên",
        "ThoiDiemXuLy": "20261116140000",
        "PhongBanXuLy": "Bộ phận một cửa",
        "NoiDungXuLy": "Chuyển xử lý",
        "TrangThai": 4,
    }
    result = portal.service.sync_steps(NGHE_AN, [step, step, {"MaHoSo": "X-1"}])
    assert [i.get("result") or i["error"]["code"] for i in result.items] == [
        "updated",
        "duplicate",
        "PORTAL_DOSSIER_INVALID",
    ]
    assert portal.service.lookup(c).state.status == 4


def test_a_one_stop_system_cannot_write_another_provinces_dossiers(portal: Portal) -> None:
    item = dossier_item(code(1, CB_JUSTICE), CB_JUSTICE, "1.004227", received=RECEIVED)
    result = portal.service.sync_dossiers(NGHE_AN, [item])
    assert result.items[0]["error"]["code"] == "PORTAL_AGENCY_NOT_IN_SCOPE"
    assert portal.counts() == (0, 0)
    assert portal.service.sync_dossiers(CAO_BANG, [item]).accepted == 1
