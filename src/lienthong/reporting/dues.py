"""What a reporting unit owes: the periods of each regime whose data window has begun, with
the unit's deadline (Decree 09 Art. 13, per level, Art. 8(5)), its current state, and the
coinciding-period rule in words. Reads through the store; no SQL here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from lienthong.clock import as_utc
from lienthong.errors import ErrorCode
from lienthong.reporting import store
from lienthong.reporting.consolidation import STATE_LABELS, Timeliness, classify
from lienthong.reporting.model import PERIOD_LABELS, Period, local_day
from lienthong.reporting.regimes import COINCIDING_TEXT, RegimeVersion
from lienthong.reporting.service import ReportingService
from lienthong.reporting.submissions import refuse


@dataclass(frozen=True)
class Due:
    regime: str
    regime_name: str
    period: str
    label: str
    window_start: date
    window_end: date
    iso: str
    deadline: date
    deadline_rule: str
    state: str | None
    submission_id: int | None
    version: int | None
    timeliness: Timeliness

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state or "", "Chưa lập")

    def as_dict(self) -> dict[str, object]:
        return {
            "regime": self.regime,
            "period": self.period,
            "label": self.label,
            "window": {"start": self.window_start.isoformat(), "end": self.window_end.isoformat()},
            "iso": self.iso,
            "deadline": self.deadline.isoformat(),
            "deadline_rule": self.deadline_rule,
            "state": self.state,
            "submission_id": self.submission_id,
            "version": self.version,
            "timeliness": self.timeliness.value,
        }


@dataclass(frozen=True)
class RegimeDues:
    regime: RegimeVersion
    level: str
    coinciding_text: str
    dues: list[Due]

    def as_dict(self) -> dict[str, object]:
        r = self.regime
        return {
            "code": r.code,
            "version": r.version,
            "name": r.name,
            "legal_basis": r.legal_basis,
            "frequencies": [PERIOD_LABELS[pt] for pt in r.frequencies],
            "level": self.level,
            "coinciding": r.coinciding.value,
            "coinciding_text": self.coinciding_text,
            "form": r.form.template_id,
            "periods": [d.as_dict() for d in self.dues],
        }


def dues_of(
    service: ReportingService, unit: str, *, now: datetime | None = None, count: int = 6
) -> list[RegimeDues]:
    """For each regime the unit reports under: its last ``count`` periods already begun."""
    now = now or service.clock.now()
    today = local_day(now)
    out: list[RegimeDues] = []
    for code in service.catalogue.codes():
        regime = service.catalogue.get(code, today)
        if regime is None:
            continue
        with service.db.read() as session:
            row = store.get_unit(session, regime.flow, unit)
            level = row.level if row else None
            if level is not None and not service.addressed(session, regime, unit):
                level = None
        if level is None or level not in regime.level_codes:
            continue
        periods = [
            p
            for year in (today.year - 1, today.year, today.year + 1)
            for p in regime.expected_periods(year)
            if regime.windows.window(p).start <= today
        ]
        periods.sort(key=lambda p: (regime.windows.window(p).end, p.type.value))
        dues = [_due(service, regime, p, unit, level, now) for p in periods[-count:]]
        dues.reverse()
        out.append(RegimeDues(regime, level, COINCIDING_TEXT[regime.coinciding], dues))
    return out


def _due(
    service: ReportingService,
    regime: RegimeVersion,
    period: Period,
    unit: str,
    level: str,
    now: datetime,
) -> Due:
    window = regime.windows.window(period)
    deadline = service.deadline(regime, period, level)
    with service.db.read() as session:
        status = store.statuses(session, regime.code, period.code).get(unit)
        state = status.state if status else None
        first = as_utc(status.first_submitted_at) if status and status.first_submitted_at else None
        sid = status.submission_id if status else None
        version = status.version if status else None
    return Due(
        regime=regime.code,
        regime_name=regime.name,
        period=period.code,
        label=period.label,
        window_start=window.start,
        window_end=window.end,
        iso=window.iso(period.type),
        deadline=deadline,
        deadline_rule=regime.deadline_rule(level, period.type).label,
        state=state,
        submission_id=sid,
        version=version,
        timeliness=classify(state, first, deadline, now),
    )


def due_of(service: ReportingService, unit: str, regime_code: str, period_code: str) -> Due:
    regime, period, _window = service.resolve(regime_code, period_code)
    with service.db.read() as session:
        row = store.get_unit(session, regime.flow, unit)
        level = row.level if row else None
        if level is not None and not service.addressed(session, regime, unit):
            level = None
    if level is None or level not in regime.level_codes:
        raise refuse(ErrorCode.REPORT_NOT_EXPECTED, unit=unit, regime=regime.code)
    return _due(service, regime, period, unit, level, service.clock.now())
