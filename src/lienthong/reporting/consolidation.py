"""Reading the reporting system: completeness and timeliness, consolidated figures, targets,
the reminder / escalation outbox, and ad-hoc / thematic requests (Decree 09 Art. 4)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from lienthong.clock import as_utc
from lienthong.errors import ErrorCode
from lienthong.reporting import store
from lienthong.reporting.model import (
    Period,
    PeriodType,
    cumulative_parts,
    end_of_day,
    local_day,
)
from lienthong.reporting.regimes import RegimeVersion
from lienthong.reporting.rules import Aggregation, aggregatable, consolidated_value, ratio_value
from lienthong.reporting.service import (
    ACCEPTED,
    RETURNED,
    SUBMITTED,
    ReportingService,
    refuse,
)


class Timeliness(StrEnum):
    PENDING = "pending"  # expected, not yet due
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"  # due, nothing received
    RETURNED = "returned"  # sent back; counts as received for timeliness of the first send


TIMELINESS_LABELS = {
    Timeliness.PENDING: "Chưa đến hạn",
    Timeliness.ON_TIME: "Đúng hạn",
    Timeliness.LATE: "Trễ hạn",
    Timeliness.MISSING: "Chưa gửi (quá hạn)",
    Timeliness.RETURNED: "Bị trả lại",
}
STATE_LABELS = {
    "draft": "Nháp",
    "submitted": "Đã gửi",
    "accepted": "Đã chấp nhận",
    "returned": "Bị trả lại",
    "superseded": "Đã thay thế",
}
# What screens show for a reporting unit's level and a report's channel (never the codes).
LEVEL_LABELS = {
    "government": "Chính phủ",
    "ministry": "Bộ, ngành",
    "province": "Tỉnh",
    "commune": "Xã",
}
# How a version reached the system (SubmissionRow.channel).
CHANNEL_LABELS = {
    "web": "Trên trang web",
    "xlsx": "Tệp XLSX",
    "api": "Kết nối phần mềm (API)",
    "adx": "Tệp ADX",
    "dhis2": "Tệp DHIS2 (dataValueSets)",
}


def classify(
    state: str | None, first_submitted_at: datetime | None, deadline: date, now: datetime
) -> Timeliness:
    """Timeliness from the first submission time against the legal deadline (not from a
    receiver's click): pure."""
    if state == RETURNED:
        return Timeliness.RETURNED
    if state in (SUBMITTED, ACCEPTED) and first_submitted_at is not None:
        if first_submitted_at < end_of_day(deadline):
            return Timeliness.ON_TIME
        return Timeliness.LATE
    return Timeliness.MISSING if now >= end_of_day(deadline) else Timeliness.PENDING


@dataclass(frozen=True)
class TimelinessRow:
    unit_code: str
    unit_name: str
    level: str
    parent_code: str | None
    deadline: date
    state: str | None
    submission_id: int | None
    first_submitted_at: datetime | None
    timeliness: Timeliness


@dataclass(frozen=True)
class Figure:
    """One indicator of a node's consolidated report: the period figure (kỳ báo cáo), the
    cumulative figure from 15 Dec (lũy kế, Art. 12), both for the same period last year
    (cùng kỳ năm trước), and the year's target. ``reported`` says which of the two figures
    the reporters send (``period`` or ``cumulative``); the other one is computed."""

    code: str
    name: str
    unit: str
    value: float | None
    last_year: float | None
    target: float | None
    cumulative: float | None = None
    last_year_cumulative: float | None = None
    reported: str = "period"

    @property
    def change(self) -> float | None:
        if self.value is None or not self.last_year:
            return None
        return (self.value - self.last_year) / self.last_year * 100

    @property
    def cumulative_change(self) -> float | None:
        if self.cumulative is None or not self.last_year_cumulative:
            return None
        return (self.cumulative - self.last_year_cumulative) / self.last_year_cumulative * 100

    @property
    def progress(self) -> float | None:
        """Against the year's target: the cumulative figure when there is one."""
        value = self.cumulative if self.cumulative is not None else self.value
        if value is None or not self.target:
            return None
        return value / self.target * 100

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "unit": self.unit,
            "reported": self.reported,
            "period": self.value,
            "cumulative": self.cumulative,
            "last_year": {"period": self.last_year, "cumulative": self.last_year_cumulative},
            "target": self.target,
            "change_pct": self.change,
            "cumulative_change_pct": self.cumulative_change,
            "progress_pct": self.progress,
        }


def period_and_cumulative(
    regime: RegimeVersion,
    period: Period,
    figures_of: Callable[[Period], Mapping[str, float | None]],
) -> dict[str, tuple[float | None, float | None]]:
    """Per indicator, ``(period figure, cumulative figure)`` of ``period``, pure given
    ``figures_of`` (the consolidated figures of a period as reported). An indicator reported
    cumulatively (``Indicator.cumulative``) gives its cumulative figure directly and its
    period figure as the difference with the period ending just before (none at the start
    of the year); a summed one adds the periods of :func:`cumulative_parts`; a stock, an
    average or a ratio has the same figure both ways."""
    own = figures_of(period)
    parts = cumulative_parts(period, regime.frequencies)
    start = regime.windows.window(period).start
    before: Mapping[str, float | None] = {}
    if period.type is not PeriodType.NINE_MONTHS and not (
        period.first_month == 1 and period.type is not PeriodType.YEAR
    ):
        ending_before = [
            p
            for p in regime.expected_periods(period.year)
            if regime.windows.window(p).end + timedelta(days=1) == start
        ]
        for candidate in sorted(ending_before, key=lambda p: p.type.value):
            found = figures_of(candidate)
            if any(v is not None for v in found.values()):
                before = found
                break
    summed = {p.code: figures_of(p) for p in parts} if parts != [period] else {}
    out: dict[str, tuple[float | None, float | None]] = {}
    for ind in regime.form.indicators:
        value = own.get(ind.code)
        if ind.cumulative:
            if period.type in (PeriodType.YEAR, PeriodType.NINE_MONTHS):
                out[ind.code] = (value, value)
                continue
            prev = before.get(ind.code)
            if period.first_month == 1:
                out[ind.code] = (value, value)
            else:
                out[ind.code] = (
                    None if value is None or prev is None else value - prev,
                    value,
                )
        elif ind.aggregation is Aggregation.SUM and summed:
            got = [f.get(ind.code) for f in summed.values()]
            known = [v for v in got if v is not None]
            out[ind.code] = (value, sum(known) if known else None)
        else:
            out[ind.code] = (value, value)
    return out


class ReportingQueries:
    def __init__(self, service: ReportingService) -> None:
        self.service = service
        self.db = service.db

    def timeliness(
        self, regime_code: str, period_code: str, *, now: datetime | None = None
    ) -> list[TimelinessRow]:
        """Every expected reporter of the period, its deadline, state and timeliness."""
        regime, period, window = self.service.resolve(regime_code, period_code)
        if not regime.is_expected(period):
            return []  # a month replaced by the longer report: nobody owes it
        now = now or self.service.clock.now()
        deadlines = {lv: self.service.deadline(regime, period, lv) for lv in regime.level_codes}
        with self.db.read() as session:
            units = store.unit_tuples(session, regime.flow, regime.level_codes)
            statuses = store.status_tuples(session, regime.code, period.code)
            if regime.scope is not None:  # a province's own regime: its own units report
                inside = store.descendants_of(session, regime.flow, regime.scope)
                units = [u for u in units if u.code in inside or u.code == regime.scope]
        if regime.reporter_units:
            units = [u for u in units if u.code in regime.reporter_units]
        rows = []
        for unit in units:
            if unit.valid_from and unit.valid_from > window.end:
                continue
            if unit.valid_to and unit.valid_to < window.end:
                continue
            status = statuses.get(unit.code)
            first = (
                as_utc(status.first_submitted_at) if status and status.first_submitted_at else None
            )
            state = status.state if status else None
            deadline = deadlines[unit.level]
            rows.append(
                TimelinessRow(
                    unit_code=unit.code,
                    unit_name=unit.name,
                    level=unit.level,
                    parent_code=unit.parent_code,
                    deadline=deadline,
                    state=state,
                    submission_id=status.submission_id if status else None,
                    first_submitted_at=first,
                    timeliness=classify(state, first, deadline, now),
                )
            )
        return rows

    @staticmethod
    def summary(rows: Sequence[TimelinessRow]) -> dict[str, int]:
        counts = Counter(r.timeliness.value for r in rows)
        received = sum(1 for r in rows if r.state in (SUBMITTED, ACCEPTED, RETURNED))
        return {"expected": len(rows), "received": received, **counts}

    def consolidated(
        self,
        regime_code: str,
        period_code: str,
        node: str,
        *,
        flow: str | None = None,
        source_level: str | None = None,
    ) -> dict[str, float | None]:
        """The consolidated figures of ``node`` (sum over its subtree's accepted reports of
        ``source_level``, the regime's lowest level by default; ratios recomputed)."""
        regime, period, _window = self.service.resolve(regime_code, period_code)
        return self._figures(regime, period.code, node, flow, source_level)

    def _figures(
        self,
        regime: RegimeVersion,
        period_code: str,
        node: str,
        flow: str | None,
        source_level: str | None,
    ) -> dict[str, float | None]:
        with self.db.read() as session:
            if source_level is not None:
                sums = store.aggregates(
                    session, regime.code, period_code, flow or regime.flow, node, source_level
                )
            else:
                accepted = {
                    code
                    for code, status in store.statuses(session, regime.code, period_code).items()
                    if status.accepted_at is not None
                }
                sums = self._level_sums(
                    session, regime, period_code, flow or regime.flow, node, accepted
                )
        out: dict[str, float | None] = {}
        form = regime.form
        for ind in form.indicators:
            for cell in form.cells_of(ind):
                if ind.aggregation is Aggregation.RATIO:
                    continue
                total, count = sums.get(cell, (0.0, 0))
                out[cell] = consolidated_value(ind, total, count)
        plain = {k: v for k, v in out.items() if v is not None}
        for ind in form.indicators:
            if ind.aggregation is Aggregation.RATIO:
                out[ind.code] = ratio_value(ind, plain)
        return out

    def _level_sums(
        self,
        session: Any,
        regime: RegimeVersion,
        period_code: str,
        flow: str,
        node: str,
        accepted: set[str],
    ) -> dict[str, tuple[float, int]]:
        """Each level consolidates the level below it (Decree 09/2019/NĐ-CP): the figures of
        ``node`` are the accepted reports of its units one level down, and, for a unit that
        has not reported yet, what its own units reported (preliminary, from further down).
        A unit with no units below it: its own accepted report (a commune drilled into from
        its province shows what it reported)."""
        children = [c for c in store.children(session, flow, node) if c.level in regime.level_codes]
        if not children:
            return _own_report(session, regime, period_code, node)
        sums: dict[str, tuple[float, int]] = {}

        def add(part: dict[str, tuple[float, int]]) -> None:
            for cell, (total, count) in part.items():
                have = sums.get(cell, (0.0, 0))
                sums[cell] = (have[0] + total, have[1] + count)

        reported = [c for c in children if c.code in accepted]
        for level in {c.level for c in reported}:
            # Aggregates at ``node`` of reports of this level: exactly its reporting units'
            # (a unit's report is counted at each of its ancestors, and no deeper unit shares
            # the level of ``node``'s direct units in one reporting tree).
            add(store.aggregates(session, regime.code, period_code, flow, node, level))
        for child in children:
            if child.code not in accepted:
                add(self._level_sums(session, regime, period_code, flow, child.code, accepted))
        return sums

    def figures(
        self, regime_code: str, period_code: str, node: str, *, source_level: str | None = None
    ) -> list[Figure]:
        """Consolidated figures with the same period last year and the year's targets."""
        regime, period, _window = self.service.resolve(regime_code, period_code)
        cache: dict[str, dict[str, float | None]] = {}

        def figures_of(p: Period) -> dict[str, float | None]:
            if p.code not in cache:
                if p.type in regime.frequencies:
                    cache[p.code] = self._figures(regime, p.code, node, None, source_level)
                else:
                    cache[p.code] = {}
            return cache[p.code]

        now = period_and_cumulative(regime, period, figures_of)
        last_year = period_and_cumulative(regime, period.same_period_last_year(), figures_of)
        with self.db.read() as session:
            targets = store.targets(session, regime.code, period.year, node)
        return [
            Figure(
                ind.code,
                ind.name,
                ind.unit,
                now[ind.code][0],
                last_year[ind.code][0],
                targets.get(ind.code),
                cumulative=now[ind.code][1],
                last_year_cumulative=last_year[ind.code][1],
                reported="cumulative" if ind.cumulative else "period",
            )
            for ind in regime.form.indicators
        ]

    def queue_notifications(
        self, regime_code: str, period_code: str, *, remind_days: int = 2
    ) -> int:
        """Reminders to units not yet submitted ``remind_days`` before their deadline, and
        escalations to the level above once a deadline passed with nothing received."""
        regime, period, _window = self.service.resolve(regime_code, period_code)
        now = self.service.clock.now()
        today = local_day(now)
        rows: list[dict[str, Any]] = []
        for row in self.timeliness(regime_code, period_code, now=now):
            if row.state in (SUBMITTED, ACCEPTED):
                continue
            if row.timeliness is Timeliness.MISSING and row.parent_code:
                rows.append(
                    _note(
                        "escalation",
                        regime,
                        period,
                        row,
                        row.parent_code,
                        now,
                        f"{row.unit_name} chưa gửi {regime.name} {period.label} "
                        f"(hạn {row.deadline:%d/%m/%Y}).",
                    )
                )
            elif today >= row.deadline - timedelta(days=remind_days) and today <= row.deadline:
                rows.append(
                    _note(
                        "reminder",
                        regime,
                        period,
                        row,
                        row.unit_code,
                        now,
                        f"Nhắc hạn: {regime.name} {period.label} đến hạn ngày "
                        f"{row.deadline:%d/%m/%Y}.",
                    )
                )
        with self.db.unit_of_work() as session:
            return store.add_notifications(session, rows)

    def notifications(self) -> list[store.NotificationRow]:
        with self.db.read() as session:
            rows = store.notifications(session, unsent_only=False)
            session.expunge_all()
            return rows

    def history(self, regime_code: str, period_code: str, unit: str) -> list[store.SubmissionRow]:
        with self.db.read() as session:
            rows = store.submissions_of(session, regime_code, period_code, unit)
            session.expunge_all()
            return rows

    def accepted_values(
        self, regime_code: str, period_code: str, unit: str, *, viewer: str
    ) -> tuple[RegimeVersion, Period, dict[str, float]]:
        """The figures of ``unit``'s accepted report of the period (its latest accepted
        version), seen by ``viewer``: the unit itself or a unit above it (its receivers);
        anyone else ``REPORT_UNIT_MISMATCH``, no accepted report ``REPORT_NOT_FOUND``."""
        regime, period, _window = self.service.resolve(regime_code, period_code)
        if viewer != unit and viewer not in self.ancestors(regime.flow, unit):
            raise refuse(ErrorCode.REPORT_UNIT_MISMATCH, unit=viewer, for_unit=unit)
        with self.db.read() as session:
            versions = store.submissions_of(session, regime.code, period.code, unit)
            accepted = [v for v in versions if v.state == ACCEPTED]
            if not accepted:
                raise refuse(
                    ErrorCode.REPORT_NOT_FOUND, unit=unit, regime=regime.code, period=period.code
                )
            return regime, period, store.values_of(session, accepted[-1].id)

    def children(self, flow: str, code: str) -> list[store.UnitRow]:
        with self.db.read() as session:
            rows = store.children(session, flow, code)
            session.expunge_all()
            return rows

    def roots(self, flow: str) -> list[store.UnitRow]:
        with self.db.read() as session:
            rows = store.roots(session, flow)
            session.expunge_all()
            return rows

    def ancestors(self, flow: str, code: str) -> list[str]:
        with self.db.read() as session:
            return store.ancestors_of(session, flow, code)

    def descendants(self, flow: str, code: str) -> set[str]:
        with self.db.read() as session:
            return store.descendants_of(session, flow, code)

    def unit_names(self, flow: str, codes: Iterable[str]) -> dict[str, str]:
        """Unit code -> name, for pages that would otherwise show codes."""
        with self.db.read() as session:
            return store.unit_names(session, flow, codes)

    def unit_level(self, flow: str, code: str) -> str | None:
        """The level of ``code`` in ``flow``, or None when it is not a unit of it."""
        with self.db.read() as session:
            row = store.get_unit(session, flow, code)
            return row.level if row else None

    def unit(self, flow: str, code: str) -> store.UnitRow:
        with self.db.read() as session:
            row = store.get_unit(session, flow, code)
            session.expunge_all()
        if row is None:
            raise refuse(ErrorCode.REPORT_NOT_EXPECTED, unit=code)
        return row


def _own_report(
    session: Any, regime: RegimeVersion, period_code: str, unit: str
) -> dict[str, tuple[float, int]]:
    """The accepted report of ``unit`` as ``(total, count)`` per consolidated cell."""
    versions = store.submissions_of(session, regime.code, period_code, unit)
    accepted = [v for v in versions if v.state == ACCEPTED]
    if not accepted:
        return {}
    values = store.values_of(session, accepted[-1].id)
    return {cell: (values[cell], 1) for cell in aggregatable(regime.form) if cell in values}


def _note(
    kind: str,
    regime: RegimeVersion,
    period: Period,
    row: TimelinessRow,
    recipient: str,
    now: datetime,
    message: str,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "regime": regime.code,
        "period": period.code,
        "unit_code": row.unit_code,
        "recipient": recipient,
        "message": message,
        "created_at": now,
    }
