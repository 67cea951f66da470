"""Dossier sync, pure: the one-stop systems' items read into values (field names of
``DongBoHoSoMC`` and ``CapNhatTienDoHoSoMC``), and one item applied to a dossier's state.

Rules of :func:`apply_dossier` and :func:`apply_step`:

- an update carries an event time (``NgayCapNhat``, else the latest of ``NgayTra``,
  ``NgayKetThucXuLy``, ``NgayTiepNhan``; ``ThoiDiemXuLy`` for a step); updates are ordered by
  it, and one older than the dossier's current state goes to the history as *stale* and never
  overwrites the newer state;
- the same update sent twice is recognised by its event key and changes nothing;
- a newer status must be a permitted transition (``model.TRANSITIONS``), else the item is
  refused with PORTAL_TRANSITION_NOT_ALLOWED;
- the history is append-only: every accepted item adds events, none is ever changed.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from lienthong.errors import ErrorCode
from lienthong.portal.model import (
    FINISHED_STATUSES,
    PortalError,
    ProcedureVersion,
    Timeliness,
    WrongCode,
    classify,
    dossier_code_problem,
    effective_due,
    parse_portal_datetime,
    parse_status,
    period_of,
    transition_allowed,
    usable_dossier_code,
    vn_day,
)

TEXT_MAX = 2000


@dataclass(frozen=True)
class Supplement:
    requested_at: datetime | None
    previous_due: date | None
    new_due: date | None


@dataclass(frozen=True)
class DossierInput:
    code: str
    agency_code: str
    procedure_code: str
    status: int
    event_at: datetime
    received_at: datetime | None
    declared_due: date | None
    finished_at: datetime | None
    returned_at: datetime | None
    channel: int
    applicant: str
    applicant_type: int
    summary: str
    receipt_no: str
    supplements: tuple[Supplement, ...]
    details: dict[str, Any]  # the rest, kept as sent (fees, documents, contact)

    @property
    def event_key(self) -> str:
        return f"D|{self.event_at.isoformat()}|{self.status}|{len(self.supplements)}"


@dataclass(frozen=True)
class StepInput:
    dossier_code: str
    at: datetime
    handler: str
    title: str
    department: str
    content: str
    status: int | None
    started_at: datetime | None
    due_at: datetime | None

    @property
    def event_key(self) -> str:
        digest = hashlib.sha256(f"{self.handler}|{self.content}".encode()).hexdigest()[:16]
        return f"S|{self.at.isoformat()}|{self.status}|{digest}"


def _text(item: Mapping[str, Any], name: str, *, required: bool = False, limit: int = 500) -> str:
    value = item.get(name)
    if value is None or value == "":
        if required:
            raise PortalError(f"{name} is required")
        return ""
    if not isinstance(value, str | int):
        raise PortalError(f"{name} must be text")
    text = str(value).strip()
    if len(text) > limit:
        raise PortalError(f"{name} is longer than {limit} characters")
    return text


def _date_opt(item: Mapping[str, Any], name: str) -> datetime | None:
    value = item.get(name)
    if value is None or value == "":
        return None
    return parse_portal_datetime(value, name)


def _int(item: Mapping[str, Any], name: str, allowed: tuple[int, ...], default: int) -> int:
    value = item.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(str(value))
    except ValueError as exc:
        raise PortalError(f"{name} {value!r} is not a number") from exc
    if number not in allowed:
        raise PortalError(f"{name} {number} is not one of {allowed}")
    return number


def dossier_code_of(item: Mapping[str, Any]) -> str:
    code = item.get("MaHoSo")
    if not usable_dossier_code(code):
        raise PortalError(
            f"MaHoSo {code!r} is not a usable dossier code",
            code=ErrorCode.PORTAL_DOSSIER_CODE_INVALID,
        )
    assert isinstance(code, str)
    return code


def parse_dossier(item: object) -> DossierInput:
    """A ``DongBoHoSoMC`` item as a value; PortalError (with its code) when unreadable."""
    if not isinstance(item, Mapping):
        raise PortalError("a dossier must be a JSON object")
    code = dossier_code_of(item)
    agency = _text(item, "DonViXuLy", required=True, limit=35)
    status = parse_status(item.get("TrangThaiHoSo"))
    received = _date_opt(item, "NgayTiepNhan")
    finished = _date_opt(item, "NgayKetThucXuLy")
    returned = _date_opt(item, "NgayTra")
    due = _date_opt(item, "NgayHenTra")
    updated = _date_opt(item, "NgayCapNhat")
    if status >= 2 and status != 3 and received is None:
        raise PortalError("NgayTiepNhan is required once the dossier is accepted")
    if status in FINISHED_STATUSES and finished is None and returned is None:
        raise PortalError("a finished dossier needs NgayKetThucXuLy or NgayTra")
    candidates = [d for d in (updated, returned, finished, received) if d is not None]
    event_at = updated or (max(candidates) if candidates else None)
    if event_at is None:
        raise PortalError("NgayCapNhat or NgayTiepNhan is required (the update's event time)")
    supplements = []
    raw_supplements = item.get("DanhSachHoSoBoSung") or []
    if not isinstance(raw_supplements, list):
        raise PortalError("DanhSachHoSoBoSung must be a list")
    for entry in raw_supplements:
        if not isinstance(entry, Mapping):
            raise PortalError("DanhSachHoSoBoSung holds objects")
        before = _date_opt(entry, "NgayHenTraTruoc")
        after = _date_opt(entry, "NgayHenTraMoi")
        supplements.append(
            Supplement(
                requested_at=_date_opt(entry, "NgayYeuCauBoSung"),
                previous_due=vn_day(before) if before else None,
                new_due=vn_day(after) if after else None,
            )
        )
    details = {
        k: item[k]
        for k in ("Email", "SoDienThoai", "MaDoiTuong", "TenTTHC", "MaLinhVuc", "TenLinhVuc")
        if item.get(k) not in (None, "")
    }
    for list_name in ("TaiLieuNop", "DanhSachLePhi", "DanhSachGiayToKetQua"):
        if isinstance(item.get(list_name), list):
            details[list_name] = item[list_name][:50]
    return DossierInput(
        code=code,
        agency_code=agency,
        procedure_code=_text(item, "MaTTHC", limit=20),
        status=int(status),
        event_at=event_at,
        received_at=received,
        declared_due=vn_day(due) if due else None,
        finished_at=finished or returned if status in FINISHED_STATUSES else finished,
        returned_at=returned,
        channel=_int(item, "KenhThucHien", (1, 2, 3), 1),
        applicant=_text(item, "ChuHoSo", limit=255),
        applicant_type=_int(item, "LoaiDoiTuong", (1, 2), 1),
        summary=_text(item, "TrichYeuHoSo", limit=TEXT_MAX),
        receipt_no=_text(item, "SoBienNhan", limit=64),
        supplements=tuple(supplements),
        details=details,
    )


def parse_step(item: object) -> StepInput:
    """A ``CapNhatTienDoHoSoMC`` item as a value."""
    if not isinstance(item, Mapping):
        raise PortalError("a processing step must be a JSON object")
    code = dossier_code_of(item)
    at = _date_opt(item, "ThoiDiemXuLy")
    if at is None:
        raise PortalError("ThoiDiemXuLy is required")
    raw_status = item.get("TrangThai")
    status = None if raw_status in (None, "") else int(parse_status(raw_status))
    return StepInput(
        dossier_code=code,
        at=at,
        handler=_text(item, "NguoiXuLy", limit=255),
        title=_text(item, "ChucDanh", limit=255),
        department=_text(item, "PhongBanXuLy", limit=255),
        content=_text(item, "NoiDungXuLy", limit=TEXT_MAX),
        status=status,
        started_at=_date_opt(item, "NgayBatDau"),
        due_at=_date_opt(item, "NgayKetThucTheoQuyDinh"),
    )


# --- applying an item to a dossier's state ----------------------------------------------------


@dataclass(frozen=True)
class DossierState:
    """What the portal holds of a dossier (the ``portal_dossiers`` row as a value)."""

    id: int | None
    code: str
    agency_code: str
    root_code: str
    period: str
    status: int
    status_at: datetime
    received_at: datetime | None
    procedure_code: str
    procedure_version_id: int | None
    wrong_code: str | None
    code_format_problem: str | None
    computed_due: date | None
    declared_due: date | None
    due: date | None
    finished_at: datetime | None
    timeliness: str | None
    channel: int
    supplement_count: int
    applicant: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Deltas:
    """Increments to the per-agency, per-period aggregates the dashboards read."""

    counts: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)

    def add(self, state: DossierState, name: str, amount: int = 1) -> None:
        self.counts[(state.period, state.agency_code, state.root_code, name)] += amount


@dataclass(frozen=True)
class Event:
    kind: str  # "status" | "step" | "supplement"
    event_key: str
    at: datetime
    status: int | None
    applied: bool
    data: dict[str, Any]


def _timeliness(due: date | None, finished_at: datetime | None, status: int) -> str | None:
    if due is None or finished_at is None or status not in FINISHED_STATUSES:
        return None
    return str(classify(due, finished_at))


def _count_timeliness(deltas: Deltas, state: DossierState, sign: int) -> None:
    if state.timeliness is not None:
        deltas.add(
            state, {"EARLY": "early", "ON_TIME": "on_time", "LATE": "late"}[state.timeliness], sign
        )
        deltas.add(state, "finished", sign)


def new_state(
    data: DossierInput,
    *,
    root_code: str,
    version: ProcedureVersion | None,
    wrong: WrongCode | None,
    computed_due: date | None,
) -> DossierState:
    moves = [s.new_due for s in data.supplements if s.new_due is not None]
    due = effective_due(computed_due, data.declared_due, moves)
    return DossierState(
        id=None,
        code=data.code,
        agency_code=data.agency_code,
        root_code=root_code,
        period=period_of(data.received_at or data.event_at),
        status=data.status,
        status_at=data.event_at,
        received_at=data.received_at,
        procedure_code=data.procedure_code,
        procedure_version_id=version.id if version else None,
        wrong_code=str(wrong) if wrong else None,
        code_format_problem=dossier_code_problem(data.code),
        computed_due=computed_due,
        declared_due=data.declared_due,
        due=due,
        finished_at=data.finished_at,
        timeliness=_timeliness(due, data.finished_at, data.status),
        channel=data.channel,
        supplement_count=len(data.supplements),
        applicant=data.applicant,
        summary=data.summary,
        details=data.details,
    )


@dataclass
class Outcome:
    state: DossierState
    events: list[Event]
    result: str  # "created" | "updated" | "stale" | "duplicate"


def _status_event(data: DossierInput, applied: bool) -> Event:
    return Event(
        "status",
        data.event_key,
        data.event_at,
        data.status,
        applied,
        {"channel": data.channel, "procedure_code": data.procedure_code},
    )


def _supplement_events(data: DossierInput, already: int, applied: bool) -> list[Event]:
    events = []
    for index, entry in enumerate(data.supplements[already:], start=already):
        events.append(
            Event(
                "supplement",
                f"B|{index}|{entry.new_due}",
                entry.requested_at or data.event_at,
                None,
                applied,
                {
                    "previous_due": entry.previous_due.isoformat() if entry.previous_due else None,
                    "new_due": entry.new_due.isoformat() if entry.new_due else None,
                },
            )
        )
    return events


def create_dossier(
    state: DossierState, data: DossierInput, now: datetime, deltas: Deltas
) -> Outcome:
    """A first sync: the dossier and its first events; the aggregates count it."""
    deltas.add(state, "synced")
    deltas.add(state, f"channel_{state.channel}")
    if state.wrong_code:
        deltas.add(state, "wrong_code")
    _count_timeliness(deltas, state, 1)
    deltas.add(state, "lag_seconds", max(int((now - data.event_at).total_seconds()), 0))
    deltas.add(state, "lag_count")
    events = [_status_event(data, True), *_supplement_events(data, 0, True)]
    return Outcome(state, events, "created")


def apply_dossier(
    state: DossierState, data: DossierInput, seen_keys: set[str], now: datetime, deltas: Deltas
) -> Outcome:
    """A newer snapshot of an existing dossier (see the module's rules)."""
    if data.event_key in seen_keys:
        return Outcome(state, [], "duplicate")
    if data.agency_code != state.agency_code:
        raise PortalError(
            f"dossier {state.code} belongs to {state.agency_code}, not {data.agency_code}",
            code=ErrorCode.PORTAL_AGENCY_NOT_IN_SCOPE,
        )
    if data.event_at < state.status_at:
        return Outcome(state, [_status_event(data, False)], "stale")
    if not transition_allowed(state.status, data.status):
        raise PortalError(
            f"status {data.status} may not follow {state.status}",
            code=ErrorCode.PORTAL_TRANSITION_NOT_ALLOWED,
            detail={"current": state.status, "sent": data.status},
        )
    moves = [s.new_due for s in data.supplements if s.new_due is not None]
    due = effective_due(state.computed_due, data.declared_due or state.declared_due, moves)
    finished_at = data.finished_at or state.finished_at
    updated = replace(
        state,
        status=data.status,
        status_at=data.event_at,
        received_at=data.received_at or state.received_at,
        declared_due=data.declared_due or state.declared_due,
        due=due,
        finished_at=finished_at if data.status in FINISHED_STATUSES else None,
        supplement_count=max(state.supplement_count, len(data.supplements)),
        applicant=data.applicant or state.applicant,
        summary=data.summary or state.summary,
        details={**state.details, **data.details},
    )
    updated = replace(
        updated, timeliness=_timeliness(updated.due, updated.finished_at, updated.status)
    )
    if updated.timeliness != state.timeliness:
        _count_timeliness(deltas, state, -1)
        _count_timeliness(deltas, updated, 1)
    deltas.add(updated, "lag_seconds", max(int((now - data.event_at).total_seconds()), 0))
    deltas.add(updated, "lag_count")
    events = [
        _status_event(data, True),
        *_supplement_events(data, state.supplement_count, True),
    ]
    return Outcome(updated, events, "updated")


def apply_step(
    state: DossierState, step: StepInput, seen_keys: set[str], now: datetime, deltas: Deltas
) -> Outcome:
    """A processing step: always appended (stale when older than the state); when it carries
    a status and is newer, the status moves as :func:`apply_dossier` would move it."""
    if step.event_key in seen_keys:
        return Outcome(state, [], "duplicate")
    data = {
        "handler": step.handler,
        "title": step.title,
        "department": step.department,
        "content": step.content,
        "started_at": step.started_at.isoformat() if step.started_at else None,
        "due_at": step.due_at.isoformat() if step.due_at else None,
    }
    if step.status is None or step.at < state.status_at:
        stale = step.status is not None
        event = Event("step", step.event_key, step.at, step.status, not stale, data)
        return Outcome(state, [event], "stale" if stale else "updated")
    if not transition_allowed(state.status, step.status):
        raise PortalError(
            f"status {step.status} may not follow {state.status}",
            code=ErrorCode.PORTAL_TRANSITION_NOT_ALLOWED,
            detail={"current": state.status, "sent": step.status},
        )
    finished_at = step.at if step.status in FINISHED_STATUSES else None
    updated = replace(
        state,
        status=step.status,
        status_at=step.at,
        finished_at=state.finished_at or finished_at if finished_at else None,
    )
    updated = replace(
        updated, timeliness=_timeliness(updated.due, updated.finished_at, updated.status)
    )
    if updated.timeliness != state.timeliness:
        _count_timeliness(deltas, state, -1)
        _count_timeliness(deltas, updated, 1)
    deltas.add(updated, "lag_seconds", max(int((now - step.at).total_seconds()), 0))
    deltas.add(updated, "lag_count")
    return Outcome(
        updated, [Event("step", step.event_key, step.at, step.status, True, data)], "updated"
    )


def recode(
    state: DossierState,
    version: ProcedureVersion,
    computed_due: date | None,
    deltas: Deltas,
) -> DossierState:
    """An operator's correction: the dossier pinned to ``version``; figures follow."""
    moves: list[date] = []
    due = (
        effective_due(computed_due, state.declared_due, moves)
        if state.supplement_count == 0
        else state.due
    )
    updated = replace(
        state,
        procedure_code=version.code,
        procedure_version_id=version.id,
        wrong_code=None,
        computed_due=computed_due,
        due=due,
    )
    updated = replace(
        updated, timeliness=_timeliness(updated.due, updated.finished_at, updated.status)
    )
    if state.wrong_code:
        deltas.add(state, "wrong_code", -1)
    if updated.timeliness != state.timeliness:
        _count_timeliness(deltas, state, -1)
        _count_timeliness(deltas, updated, 1)
    return updated


__all__ = [
    "Deltas",
    "DossierInput",
    "DossierState",
    "Event",
    "Outcome",
    "StepInput",
    "Timeliness",
    "apply_dossier",
    "apply_step",
    "create_dossier",
    "new_state",
    "parse_dossier",
    "parse_step",
    "recode",
]
