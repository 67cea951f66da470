"""A full reporting cycle, communes -> province -> Government, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from lienthong.clock import VN_TZ
from lienthong.errors import ErrorCode, LienthongError
from lienthong.reporting import store
from lienthong.reporting.consolidation import Timeliness
from lienthong.reporting.pdf import render_lines
from lienthong.reporting.rules import ReportContent
from lienthong.trust.pdf import sign_pdf
from tests.integration.reporting.conftest import (
    COMMUNES,
    GOV,
    OTHER_COMMUNE,
    PROVINCE,
    Network,
)

PERIOD = "2026-M04"


def figures(seed: int) -> dict[str, float]:
    boys, girls = 3 + seed, 2 + seed
    return {
        "POP": 1000 + 10 * seed,
        "BIRTHS": boys + girls,
        "BIRTHS.NAM": boys,
        "BIRTHS.NU": girls,
        "HOUSEHOLDS": 300 + seed,
        "POOR": 20 + seed,
        "REVENUE": 100.5 * (seed + 1),
        "SCHOOL": 90 + seed,
        "PROCEDURES": 7 * seed,
    }


def content(seed: int) -> ReportContent:
    return ReportContent(figures(seed), {"I": "Hoàn thành nhiệm vụ.", "III": "Tiếp tục."})


def report(net: Network, unit: str, seed: int, channel: str = "web") -> int:
    saved = net.service.save(unit, "KTXH", PERIOD, content(seed), channel=channel, actor=unit)
    net.service.sign_and_submit(unit, saved.id, actor=unit)
    return saved.id


def row_counts(net: Network) -> tuple[int, int, int]:
    with net.db.read() as session:
        return (
            session.scalar(select(func.count()).select_from(store.SubmissionRow)) or 0,
            session.scalar(select(func.count()).select_from(store.ValueRow)) or 0,
            session.scalar(select(func.count()).select_from(store.AggregateRow)) or 0,
        )


def test_a_full_cycle_consolidates_and_flags_timeliness(network: Network) -> None:
    net = network
    # commune deadline: 2 working days after Tue 14 Apr 2026 -> Thu 16 Apr
    ids = {COMMUNES[0]: report(net, COMMUNES[0], 1)}
    ids[COMMUNES[1]] = report(net, COMMUNES[1], 2, channel="api")
    ids[COMMUNES[3]] = report(net, COMMUNES[3], 4)
    net.service.accept(PROVINCE, ids[COMMUNES[0]], actor="province.officer")
    net.service.accept(PROVINCE, ids[COMMUNES[1]], actor="province.officer")
    returned = net.service.return_report(
        PROVINCE, ids[COMMUNES[3]], "Số hộ nghèo chưa khớp với rà soát.", actor="province.officer"
    )
    assert returned.state == "returned"
    # the returned one is corrected and resubmitted on 16 Apr: still on time (first send)
    net.clock.set(datetime(2026, 4, 16, 16, 0, tzinfo=VN_TZ))
    net.service.save(COMMUNES[3], "KTXH", PERIOD, content(5), channel="web", actor=COMMUNES[3])
    net.service.sign_and_submit(COMMUNES[3], ids[COMMUNES[3]], actor=COMMUNES[3])
    net.service.accept(PROVINCE, ids[COMMUNES[3]], actor="province.officer")
    # one commune is late: submits on Fri 17 Apr
    net.clock.set(datetime(2026, 4, 17, 10, 0, tzinfo=VN_TZ))
    ids[COMMUNES[2]] = report(net, COMMUNES[2], 3)
    net.service.accept(PROVINCE, ids[COMMUNES[2]], actor="province.officer")

    rows = {r.unit_code: r for r in net.queries.timeliness("KTXH", PERIOD)}
    assert rows[COMMUNES[0]].timeliness is Timeliness.ON_TIME
    assert rows[COMMUNES[3]].timeliness is Timeliness.ON_TIME
    assert rows[COMMUNES[2]].timeliness is Timeliness.LATE
    assert rows[OTHER_COMMUNE].timeliness is Timeliness.MISSING
    assert rows[PROVINCE].timeliness is Timeliness.PENDING  # due 25 Apr
    assert rows[COMMUNES[0]].deadline.isoformat() == "2026-04-16"
    assert rows[PROVINCE].deadline.isoformat() == "2026-04-25"

    # consolidated figures equal an independent computation over the accepted reports
    accepted = [figures(1), figures(2), figures(3), figures(5)]
    expected_sum = {cell: sum(f[cell] for f in accepted) for cell in accepted[0]}
    for node in (PROVINCE, GOV):
        got = net.queries.consolidated("KTXH", PERIOD, node)
        for cell in ("POP", "BIRTHS", "BIRTHS.NU", "HOUSEHOLDS", "POOR", "REVENUE", "PROCEDURES"):
            assert got[cell] == pytest.approx(expected_sum[cell]), cell
        assert got["SCHOOL"] == pytest.approx(expected_sum["SCHOOL"] / 4)  # average
        assert got["POOR_RATE"] == pytest.approx(
            expected_sum["POOR"] / expected_sum["HOUSEHOLDS"] * 100
        )

    # escalation for the missing commune, to its province; no reminder for the others
    assert net.queries.queue_notifications("KTXH", PERIOD) == 1
    (note,) = net.queries.notifications()
    assert (note.kind, note.unit_code, note.recipient) == (
        "escalation",
        OTHER_COMMUNE,
        "000.00.00.H12",
    )

    # a correction after the deadline is a new version with a reason; totals move by the delta
    net.service.correct(COMMUNES[0], "KTXH", PERIOD, "Bổ sung hồ sơ thủ tục", actor=COMMUNES[0])
    fixed = figures(1) | {"PROCEDURES": 100}
    v2 = net.service.save(
        COMMUNES[0],
        "KTXH",
        PERIOD,
        ReportContent(fixed, content(1).sections),
        channel="web",
        actor=COMMUNES[0],
    )
    assert (v2.version, v2.reason) == (2, "Bổ sung hồ sơ thủ tục")
    net.service.sign_and_submit(COMMUNES[0], v2.id, actor=COMMUNES[0])
    net.service.accept(PROVINCE, v2.id, actor="province.officer")
    got = net.queries.consolidated("KTXH", PERIOD, GOV)
    assert got["PROCEDURES"] == expected_sum["PROCEDURES"] - 7 + 100
    history = net.queries.history("KTXH", PERIOD, COMMUNES[0])
    assert [(h.version, h.state) for h in history] == [(1, "superseded"), (2, "accepted")]
    rows = {r.unit_code: r for r in net.queries.timeliness("KTXH", PERIOD)}
    assert rows[COMMUNES[0]].timeliness is Timeliness.ON_TIME  # measured on the first send


def refused(code: ErrorCode, net: Network, call: object, *args: object, **kw: object) -> None:
    before = row_counts(net)
    with pytest.raises(LienthongError) as caught:
        call(*args, **kw)  # type: ignore[operator]
    assert caught.value.code is code, caught.value
    assert row_counts(net) == before


def test_refusals_store_nothing(network: Network) -> None:
    net = network
    svc = net.service
    c = COMMUNES[0]
    refused(
        ErrorCode.REPORT_UNIT_MISMATCH,
        net,
        svc.save,
        c,
        "KTXH",
        PERIOD,
        content(1),
        channel="api",
        actor=c,
        for_unit=COMMUNES[1],
    )
    refused(
        ErrorCode.REPORT_PERIOD_INVALID,
        net,
        svc.save,
        c,
        "KTXH",
        "2026-M13",
        content(1),
        channel="api",
        actor=c,
    )
    refused(
        ErrorCode.REPORT_PERIOD_INVALID,
        net,
        svc.save,
        c,
        "KTXH",
        "2026-H1",
        content(1),
        channel="api",
        actor=c,
    )  # not a frequency of this regime
    refused(
        ErrorCode.REPORT_NOT_EXPECTED,
        net,
        svc.save,
        c,
        "KTXH",
        "2026-M03",
        content(1),
        channel="api",
        actor=c,
    )  # replaced by the Q1 report
    refused(
        ErrorCode.REGIME_UNKNOWN,
        net,
        svc.save,
        c,
        "XYZ",
        PERIOD,
        content(1),
        channel="api",
        actor=c,
    )
    refused(
        ErrorCode.REPORT_NOT_EXPECTED,
        net,
        svc.save,
        GOV,
        "KTXH",
        PERIOD,
        content(1),
        channel="api",
        actor=GOV,
    )
    bad = content(1)
    bad.values["POOR"] = 10_000
    refused(
        ErrorCode.REPORT_VALIDATION_FAILED,
        net,
        svc.save,
        c,
        "KTXH",
        PERIOD,
        bad,
        channel="api",
        actor=c,
    )
    refused(
        ErrorCode.REPORT_PERIOD_INVALID,
        net,
        svc.save,
        c,
        "KTXH",
        "2026-M07",
        content(1),
        channel="api",
        actor=c,
    )  # not begun
    svc.close_period("KTXH", "2026-M02", actor="gov")
    refused(
        ErrorCode.REPORT_PERIOD_CLOSED,
        net,
        svc.save,
        c,
        "KTXH",
        "2026-M02",
        content(1),
        channel="api",
        actor=c,
    )


def test_refuses_a_pdf_signed_by_another_unit_or_not_the_rendered_report(
    network: Network,
) -> None:
    net = network
    c = COMMUNES[0]
    saved = net.service.save(c, "KTXH", PERIOD, content(1), channel="api", actor=c)
    pdf = net.service.prepare_pdf(c, saved.id)
    foreign = sign_pdf(pdf, net.identities[COMMUNES[1]], at=net.clock.now())
    refused(
        ErrorCode.REPORT_SIGNATURE_INVALID, net, net.service.submit, c, saved.id, foreign, actor=c
    )
    refused(ErrorCode.REPORT_SIGNATURE_INVALID, net, net.service.submit, c, saved.id, pdf, actor=c)
    other = render_lines(["Một báo cáo khác"])
    refused(
        ErrorCode.REPORT_SIGNATURE_INVALID,
        net,
        net.service.submit,
        c,
        saved.id,
        sign_pdf(other, net.identities[c], at=net.clock.now()),
        actor=c,
    )
    assert net.service.submission(saved.id).state == "draft"


def test_only_the_parent_decides_and_accepted_reports_are_locked(network: Network) -> None:
    net = network
    c = COMMUNES[0]
    sid = report(net, c, 1)
    refused(ErrorCode.REPORT_UNIT_MISMATCH, net, net.service.accept, GOV, sid, actor="gov")
    refused(
        ErrorCode.REPORT_REASON_REQUIRED,
        net,
        net.service.return_report,
        PROVINCE,
        sid,
        " ",
        actor="p",
    )
    net.service.accept(PROVINCE, sid, actor="p")
    refused(
        ErrorCode.REPORT_LOCKED,
        net,
        net.service.save,
        c,
        "KTXH",
        PERIOD,
        content(2),
        channel="web",
        actor=c,
    )
    refused(ErrorCode.REPORT_STATE_INVALID, net, net.service.accept, PROVINCE, sid, actor="p")
    refused(
        ErrorCode.REPORT_REASON_REQUIRED, net, net.service.correct, c, "KTXH", PERIOD, "", actor=c
    )
    net.clock.advance(timedelta(days=1))


def test_each_level_consolidates_the_reports_of_the_level_below(network: Network) -> None:
    """The national figure is the provinces' reports once they are accepted (a province
    reporting straight to the Government, with no commune report, counts at once); a province
    that has not reported yet contributes its communes' accepted reports."""
    net = network
    ids = [report(net, c, n) for n, c in enumerate(COMMUNES[:2], start=1)]
    for submission in ids:
        net.service.accept(PROVINCE, submission, actor="province.officer")
    communes = [figures(1), figures(2)]
    preliminary = net.queries.consolidated("KTXH", PERIOD, GOV)
    assert preliminary["POP"] == pytest.approx(sum(f["POP"] for f in communes))

    # Cao Bằng reports to the Government directly (its commune never reported).
    other = report(net, "000.00.00.H12", 7)
    net.service.accept(GOV, other, actor="gov.officer")
    got = net.queries.consolidated("KTXH", PERIOD, GOV)
    assert got["POP"] == pytest.approx(sum(f["POP"] for f in communes) + figures(7)["POP"])

    # Nghệ An's own consolidated report replaces its communes' figures at the national level.
    own = report(net, PROVINCE, 9)
    net.service.accept(GOV, own, actor="gov.officer")
    got = net.queries.consolidated("KTXH", PERIOD, GOV)
    for cell in ("POP", "BIRTHS", "HOUSEHOLDS", "POOR", "REVENUE", "PROCEDURES"):
        assert got[cell] == pytest.approx(figures(9)[cell] + figures(7)[cell]), cell
    assert got["SCHOOL"] == pytest.approx((figures(9)["SCHOOL"] + figures(7)["SCHOOL"]) / 2)
    # The province still sees its communes.
    assert net.queries.consolidated("KTXH", PERIOD, PROVINCE)["POP"] == pytest.approx(
        sum(f["POP"] for f in communes)
    )


def test_a_unit_with_no_units_below_shows_its_own_accepted_report(network: Network) -> None:
    """Drilling from the province into a commune shows what the commune reported (before, a
    unit with no units below it read the aggregates of units below it: always empty)."""
    net = network
    sent = report(net, COMMUNES[0], 3)
    assert net.queries.consolidated("KTXH", PERIOD, COMMUNES[0])["POP"] is None  # not accepted
    net.service.accept(PROVINCE, sent, actor="province.officer")
    got = net.queries.consolidated("KTXH", PERIOD, COMMUNES[0])
    for cell in ("POP", "BIRTHS.NAM", "HOUSEHOLDS", "POOR", "REVENUE", "SCHOOL", "PROCEDURES"):
        assert got[cell] == pytest.approx(figures(3)[cell]), cell
    assert got["POOR_RATE"] == pytest.approx(100 * figures(3)["POOR"] / figures(3)["HOUSEHOLDS"])
    shown = {f.code: f.value for f in net.queries.figures("KTXH", PERIOD, COMMUNES[0])}
    assert shown["POP"] == pytest.approx(figures(3)["POP"])
    # a commune that sent nothing still shows nothing
    assert net.queries.consolidated("KTXH", PERIOD, COMMUNES[1])["POP"] is None
