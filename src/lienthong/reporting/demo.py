"""The living demo's Decree 09 reports: the demo regime's closed periods (monthly and
quarterly) reported by every commune and province of the demo registry through the reporting
service, on a clock moved through those months. Communes report to their province, provinces to
the Government Office; the unit head's demo key signs each report (the web form's path,
:meth:`ReportingService.sign_and_submit`); the receiver accepts (figures consolidated at every
level in the same transaction) or returns with a comment, and a returned report is corrected and
sent again. Some units are late; in the last closed period a few reports still wait for a
decision, one returned report is not sent again and one unit has sent nothing. The periods still
open are left to the users.

Deterministic: each unit's figures and fate follow from its code and the period, so the history
does not depend on the order units are met. Idempotent: a unit that holds any report of a period
is left alone, so a second run adds nothing (and a unit's own work is never overwritten).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lienthong.audit import store as audit_store
from lienthong.clock import VN_TZ, FixedClock
from lienthong.reporting import store
from lienthong.reporting.model import Period, local_day
from lienthong.reporting.regimes import RegimeVersion
from lienthong.reporting.rules import ReportContent
from lienthong.reporting.submissions import ACCEPTED, SUBMITTED
from lienthong.reporting.wiring import GOVERNMENT_OFFICE, Reporting

__all__ = ["REGIME", "demo_periods", "report_periods", "seed_demo_reports"]

REGIME = "KTXH"
MAX_PERIODS = 6  # closed periods replayed at most (the unit's home page lists six)

# Illustrative province-wide figures (population, poor-household share, school attendance %,
# births per thousand a year, budget revenue a year in millions of dong, procedures a month).
_PROVINCES: dict[str, tuple[int, float, float, float, int, int]] = {
    "000.00.00.H41": (3_470_000, 0.041, 97.8, 15.2, 22_500_000, 65_000),  # Nghệ An
    "000.00.00.H14": (547_000, 0.185, 95.2, 17.1, 2_700_000, 12_000),  # Cao Bằng
    "H01": (4_950_000, 0.016, 96.5, 13.0, 28_000_000, 80_000),  # An Giang
    "000.00.00.H17": (3_065_000, 0.009, 98.9, 13.5, 41_000_000, 70_000),  # Đà Nẵng
}
_RETURN_COMMENTS = (
    "Số hồ sơ thủ tục hành chính đã giải quyết tăng bất thường so với kỳ trước; đề nghị rà "
    "soát lại số liệu và gửi lại.",
    "Số trẻ em sinh ra trong kỳ chưa khớp với số liệu đăng ký khai sinh; đề nghị kiểm tra.",
    "Phần đánh giá tình hình thực hiện nhiệm vụ còn sơ sài; đề nghị bổ sung và gửi lại.",
)
_SITUATION = (
    "Tình hình kinh tế - xã hội trên địa bàn ổn định; thu ngân sách đạt tiến độ dự toán; "
    "công tác an sinh xã hội, giảm nghèo được triển khai đầy đủ, kịp thời.",
    "Các chỉ tiêu chủ yếu đạt và vượt kế hoạch kỳ; giải quyết thủ tục hành chính đúng hạn; "
    "an ninh chính trị, trật tự an toàn xã hội được giữ vững.",
    "Sản xuất nông nghiệp, thương mại, dịch vụ tiếp tục phục hồi; chuyển đổi số trong giải "
    "quyết thủ tục hành chính có chuyển biến rõ rệt.",
)
_PROBLEMS = (
    "Tiến độ giải ngân vốn đầu tư công còn chậm; một số hồ sơ thủ tục hành chính còn phải bổ "
    "sung nhiều lần.",
    "Thời tiết bất lợi ảnh hưởng đến sản xuất; nguồn thu từ đất chưa đạt dự toán.",
)
_NEXT = (
    "Tập trung đẩy nhanh giải ngân vốn đầu tư công, hoàn thành các chỉ tiêu kế hoạch năm.",
    "Tiếp tục cải cách hành chính, nâng tỷ lệ hồ sơ trực tuyến toàn trình; chăm lo đời sống "
    "hộ nghèo, gia đình chính sách.",
)

# A unit's fate in a closed period (the last one adds awaiting / returned_open / missing).
_COMMUNE_FATES = ("on_time", "on_time", "late", "on_time", "returned", "on_time", "on_time")
_PROVINCE_FATES = ("on_time", "late", "on_time", "returned")


@dataclass(frozen=True)
class _Profile:
    population: int
    households: int
    poor_share: float
    school: float
    births_month: float
    revenue_year: float
    procedures_month: float


def _profile(code: str, level: str) -> _Profile:
    rng = random.Random(f"profile|{code}")
    if level == "province":
        pop, poor, school, births, revenue, procedures = _PROVINCES.get(
            code,
            (rng.randrange(900_000, 2_500_000), 0.05, 97.0, 14.0, 9_000_000, 25_000),
        )
        return _Profile(
            pop, round(pop / 3.7), poor, school, pop * births / 12_000, revenue, procedures
        )
    pop = rng.randrange(9_000, 42_000)
    poor = rng.uniform(0.10, 0.22) if code.endswith("H14") else rng.uniform(0.012, 0.08)
    return _Profile(
        population=pop,
        households=round(pop / rng.uniform(3.5, 4.3)),
        poor_share=poor,
        school=rng.uniform(94.0, 99.5),
        births_month=pop * rng.uniform(0.0115, 0.0165) / 12,
        revenue_year=pop * rng.uniform(0.15, 0.6),
        procedures_month=pop * rng.uniform(0.008, 0.02),
    )


_MONTHS = {"M": 1, "Q": 3, "H": 6, "9M": 9, "Y": 12}


def report_content(code: str, level: str, period: Period) -> ReportContent:
    """Plausible figures of ``code`` for ``period``: stocks stable, flows by the period's
    length, revenue cumulated from the start of the fiscal year (never below the previous
    period's), births split by sex, poor households not above households."""
    p = _profile(code, level)
    rng = random.Random(f"figures|{code}|{period.code}")
    months = _MONTHS[period.type.value]
    elapsed = period.last_month
    births = max(1, round(p.births_month * months * rng.uniform(0.85, 1.15)))
    boys = round(births * rng.uniform(0.50, 0.545))
    households = round(p.households * (1 + 0.001 * elapsed))
    values = {
        "POP": float(round(p.population * (1 + 0.0008 * elapsed))),
        "BIRTHS": float(births),
        "BIRTHS.NAM": float(boys),
        "BIRTHS.NU": float(births - boys),
        "HOUSEHOLDS": float(households),
        "POOR": float(round(households * p.poor_share * (1 - 0.004 * elapsed))),
        "REVENUE": round(p.revenue_year * (elapsed + 0.25 * rng.random()) / 12, 1),
        "SCHOOL": round(min(100.0, p.school + rng.uniform(-0.4, 0.4)), 1),
        "PROCEDURES": float(round(p.procedures_month * months * rng.uniform(0.85, 1.2))),
    }
    sections = {"I": rng.choice(_SITUATION), "III": rng.choice(_NEXT)}
    if rng.random() < 0.6:
        sections["II"] = rng.choice(_PROBLEMS)
    return ReportContent(values, sections)


def demo_periods(regime: RegimeVersion, today: date, since: date) -> list[Period]:
    """The regime's periods closed before ``today`` whose reports can be signed (data cut-off
    after ``since``), oldest first, at most :data:`MAX_PERIODS`."""
    found = [
        p
        for year in (today.year - 1, today.year)
        for p in regime.expected_periods(year)
        if since < regime.windows.window(p).end < today
    ]
    found.sort(key=lambda p: (regime.windows.window(p).end, p.type.value))
    return found[-MAX_PERIODS:]


def _office(day: date, rng: random.Random, calendar: Any) -> datetime:
    """A moment of office hours (Vietnam) on ``day`` or the next working day."""
    day = calendar.next_working_day(day)
    return datetime.combine(day, time(8, 0), VN_TZ) + timedelta(minutes=rng.randrange(0, 450))


@dataclass
class _Step:
    at: datetime
    order: int
    unit: str
    period: str
    kind: str  # save | submit | return | accept
    receiver: str | None = None
    content: ReportContent | None = None
    comment: str = ""


def _actor(unit: str, slugs: dict[str, str]) -> str:
    """The demo account of the unit's reporting officer, or a stand-in's name."""
    slug = slugs.get(unit)
    return f"baocao.{slug}" if slug else f"baocao@{unit}"


def seed_demo_reports(
    reporting: Reporting,
    clock: FixedClock,
    now: datetime,
    *,
    advance: Callable[[], Any] | None = None,
) -> dict[str, int]:
    """Replay the demo regime's closed periods (see the module); the counts of what the
    reporting system holds for them."""
    from lienthong.accounts.demo import DEMO_AGENCY_SLUGS

    slugs = {code: slug for slug, code in DEMO_AGENCY_SLUGS.items()}
    periods = report_periods(reporting, now)
    regime = reporting.service.catalogue.get(REGIME, local_day(now))
    if regime is None:
        return {}
    today = local_day(now)
    try:
        for index, period in enumerate(periods):
            steps = _plan(reporting, regime, period, now, last=index == len(periods) - 1)
            _run(reporting, clock, steps, slugs)
            if advance is not None:
                advance()
        clock.set(now)
        _set_targets(reporting, regime, today)
    finally:
        clock.set(now)
    return report_counts(reporting, [p.code for p in periods])


def report_periods(reporting: Reporting, now: datetime) -> list[Period]:
    """The periods :func:`seed_demo_reports` replays (the registry's units added first)."""
    try:
        reporting.ensure_units()
    except IntegrityError:  # the hub's first reporting page added them at the same moment
        reporting.ensure_units(force=True)
    reporting.definitions.ensure_demo_regime()  # the demo regime is data in the store
    regime = reporting.service.catalogue.get(REGIME, local_day(now))
    return [] if regime is None else plan_periods(reporting, regime, local_day(now))


def plan_periods(reporting: Reporting, regime: RegimeVersion, today: date) -> list[Period]:
    """The periods the demo replays: closed ones that every reporter's head could sign."""
    with reporting.db.read() as session:
        units = store.unit_tuples(session, regime.flow, regime.level_codes)
    starts = [s for u in units if (s := reporting.signing_since(u.code)) is not None]
    since = local_day(max(starts)) if starts else today
    return demo_periods(regime, today, since)


def _fate(level: str, place: int, period: Period, last: bool) -> str:
    """By the unit's place among its level's units and the period: every closed period has
    late and returned-then-corrected reports; the last one also reports still awaiting a
    decision, a returned report not yet sent again, and a unit that sent nothing."""
    turn = place + period.index * 2 + (0 if period.type.value == "M" else 1)
    if level == "commune":
        fate = _COMMUNE_FATES[turn % len(_COMMUNE_FATES)]
        extra = {2: "awaiting", 3: "returned_open", 6: "missing"}
    else:
        fate = _PROVINCE_FATES[turn % len(_PROVINCE_FATES)]
        extra = {2: "awaiting", 3: "missing"}
    return extra.get(place, fate) if last else fate


def _plan(
    reporting: Reporting, regime: RegimeVersion, period: Period, now: datetime, *, last: bool
) -> list[_Step]:
    """Every unit's steps in ``period`` (those before ``now``), in no particular order."""
    calendar = reporting.service.calendar
    window = regime.windows.window(period)
    rows = reporting.queries.timeliness(regime.code, period.code, now=now)
    places = {
        level: sorted(r.unit_code for r in rows if r.level == level) for level in regime.level_codes
    }
    steps: list[_Step] = []

    def add(at: datetime, unit: str, kind: str, **more: Any) -> None:
        steps.append(_Step(at, len(steps), unit, period.code, kind, **more))

    for row in rows:
        if row.state is not None or row.parent_code is None:
            continue  # reported already (an earlier run, or a user): left alone
        unit, parent = row.unit_code, row.parent_code
        fate = _fate(row.level, places[row.level].index(unit), period, last)
        if fate == "missing":
            continue
        rng = random.Random(f"fate|{unit}|{period.code}")
        earliest = window.end + timedelta(days=1 if row.level == "commune" else 4)
        if fate == "late":
            day = row.deadline + timedelta(days=rng.randrange(1, 6))
        else:
            day = row.deadline - timedelta(days=rng.randrange(0, 3))
            while day > earliest and not calendar.is_working_day(day):
                day -= timedelta(days=1)
            day = max(day, earliest)
            if calendar.next_working_day(day) > row.deadline:
                day = row.deadline  # no working day left before the deadline: on its day
        sent = _office(day, rng, calendar)
        if fate != "late" and local_day(sent) > row.deadline:
            sent = datetime.combine(row.deadline, time(10, 0), VN_TZ)
        content = report_content(unit, row.level, period)
        first = _flawed(content) if fate.startswith("returned") else content
        add(sent - timedelta(minutes=rng.randrange(40, 240)), unit, "save", content=first)
        add(sent, unit, "submit")
        if fate.startswith("returned"):
            back = _office(local_day(sent) + timedelta(days=1), rng, calendar)
            add(back, unit, "return", receiver=parent, comment=rng.choice(_RETURN_COMMENTS))
            if fate == "returned_open":
                continue
            sent = _office(local_day(back) + timedelta(days=rng.randrange(1, 3)), rng, calendar)
            add(sent - timedelta(minutes=30), unit, "save", content=content)
            add(sent, unit, "submit")
        if fate == "awaiting":
            continue
        decided = _office(local_day(sent) + timedelta(days=rng.randrange(1, 4)), rng, calendar)
        add(decided, unit, "accept", receiver=parent)
    return steps


def _flawed(content: ReportContent) -> ReportContent:
    """The first version of a report its receiver returns: a figure typed ten times over."""
    values = dict(content.values)
    values["PROCEDURES"] = values["PROCEDURES"] * 10
    return ReportContent(values, dict(content.sections))


def _run(
    reporting: Reporting, clock: FixedClock, steps: list[_Step], slugs: dict[str, str]
) -> None:
    """The steps in time order, each at its moment; a unit's steps stop at the demo's present
    (the caller kept only those before it)."""
    service = reporting.service
    ids: dict[str, int] = {}
    for step in sorted(steps, key=lambda s: (s.at, s.order)):
        clock.set(step.at)
        unit = step.unit
        if step.kind == "save":
            assert step.content is not None
            saved = service.save(
                unit, REGIME, step.period, step.content, channel="web", actor=_actor(unit, slugs)
            )
            ids[unit] = saved.id
        elif step.kind == "submit":
            service.sign_and_submit(unit, ids[unit], actor=_actor(unit, slugs))
        elif step.kind == "return":
            assert step.receiver is not None
            actor = _actor(step.receiver, slugs)
            service.return_report(step.receiver, ids[unit], step.comment, actor=actor)
        else:
            assert step.receiver is not None
            service.accept(step.receiver, ids[unit], actor=_actor(step.receiver, slugs))


def _set_targets(reporting: Reporting, regime: RegimeVersion, today: date) -> None:
    """The year's plan (kế hoạch năm) of budget revenue and school attendance, set once, for
    what each centre consolidates: a province its communes' reports, the Government Office
    the provinces' own reports."""
    with reporting.db.read() as session:
        present = store.targets(session, regime.code, today.year, GOVERNMENT_OFFICE)
        units = [
            u
            for u in store.unit_tuples(session, regime.flow, ["province", "commune"])
            if u.valid_to is None or u.valid_to >= today
        ]
    if present:
        return

    def plan(codes: list[str], level: str) -> float:
        return round(sum(_profile(c, level).revenue_year for c in codes) * 1.03, -1)

    provinces = [u.code for u in units if u.level == "province"]
    for province in provinces:
        communes = [u.code for u in units if u.level == "commune" and u.parent_code == province]
        if communes:
            targets = {"REVENUE": plan(communes, "commune"), "SCHOOL": 98.0}
            reporting.service.set_targets(regime.code, today.year, province, targets, actor="demo")
    targets = {"REVENUE": plan(provinces, "province"), "SCHOOL": 98.5}
    reporting.service.set_targets(regime.code, today.year, GOVERNMENT_OFFICE, targets, actor="demo")


def report_counts(reporting: Reporting, periods: list[str]) -> dict[str, int]:
    """What the reporting system holds for ``periods``: the reports expected, by timeliness
    (first sending against the deadline) and state, the returns, and the national figures of
    the last period."""
    counts: Counter[str] = Counter(periods=len(periods))
    for code in periods:
        for row in reporting.queries.timeliness(REGIME, code):
            counts["expected"] += 1
            counts[row.timeliness.value] += 1
            if row.state == ACCEPTED:
                counts["accepted"] += 1
            elif row.state == SUBMITTED:
                counts["awaiting"] += 1
    subjects = [f"{REGIME}/{code}/" for code in periods]
    with reporting.db.read() as session:
        returns = session.scalars(
            select(audit_store.AuditEvent.subject).where(
                audit_store.AuditEvent.action == "reporting.return"
            )
        )
        counts["returns"] = sum(1 for s in returns if s and s.startswith(tuple(subjects)))
        counts["versions"] = int(
            session.scalar(
                select(func.count())
                .select_from(store.SubmissionRow)
                .where(
                    store.SubmissionRow.regime == REGIME, store.SubmissionRow.period.in_(periods)
                )
            )
            or 0
        )
    if periods:
        national = reporting.queries.consolidated(REGIME, periods[-1], GOVERNMENT_OFFICE)
        counts["national_figures"] = sum(1 for v in national.values() if v)
    return dict(counts)
