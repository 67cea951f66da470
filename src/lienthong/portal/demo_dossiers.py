"""The living demo's dossiers: about 2,000 administrative-procedure dossiers of the demo
provinces and ministries over the last three months, sent by their one-stop systems through the
portal's sync (``DongBoHoSoMC`` snapshots and ``CapNhatTienDoHoSoMC`` steps, exactly what the
gateway hands to :class:`PortalService`), each system at its own rhythm on a clock moved
through those months.

Every status of the lifecycle is reached (registered online, accepted, refused, in process,
supplement requested with a new appointment date, financial obligation, withdrawn, stopped,
finished, result returned); most finish early or on time, some late. The systems differ so
that the quality figures show contrasts: Nghệ An, An Giang and the two ministries send right
procedure codes, Cao Bằng sends many wrong ones, Đà Nẵng sends few dossiers and late, and a few
items of each are refused (bad dates, a dossier sent back to an earlier status, unusable
codes). Deterministic (``random.Random(2026)``); a second run adds nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from lienthong.calendar import WorkingCalendar
from lienthong.clock import VN_TZ, FixedClock
from lienthong.portal import store
from lienthong.portal.demo import DEMO_CATALOGUE, dossier_item
from lienthong.portal.model import MAX_BATCH, format_portal_datetime
from lienthong.portal.service import PortalService

__all__ = ["DAYS", "SYSTEMS", "schedule", "seed_demo_dossiers"]

DAYS = 90  # dossiers received over the last 90 days, more of them lately
LAST_SYNC = timedelta(minutes=10)  # every system synced last this long before now


@dataclass(frozen=True)
class System:
    """A province's or ministry's one-stop system: its agencies and their procedures, how
    many dossiers it sends, how often it syncs, how good its codes and its handling are."""

    root: str
    agencies: dict[str, tuple[str, ...]]  # agency -> procedure codes published for it
    volume: int
    wrong_share: float
    late_share: float
    every_days: int  # one sync every N days, in the evening
    steps: bool = False  # also sends processing steps (CapNhatTienDoHoSoMC)
    bad_code_share: float = 0.0  # dossier codes not of the {agency}-{yymmdd}-{n} form


_LOCAL = ("2.000635", "1.001193", "2.000908")
_DISTRICT = ("1.001234", "1.003622", "2.000908")
SYSTEMS: tuple[System, ...] = (
    System(
        "000.00.00.H41",
        {
            "000.00.31.H41": (*_LOCAL, "1.001234", "1.003622"),
            "000.05.31.H41": _LOCAL,
            "000.00.38.H41": _DISTRICT,
            "000.11.38.H41": _LOCAL,
            "000.00.12.H41": ("2.001610",),
            "000.00.16.H41": ("1.004363",),
        },
        volume=640,
        wrong_share=0.05,
        late_share=0.06,
        every_days=1,
        steps=True,
    ),
    System(
        "H01",
        {
            "H01.10": ("2.001610",),
            "H01.151": (*_LOCAL, "1.001234", "1.003622"),
            "H01.152": (*_LOCAL, "1.003622"),
            "H01.160": _LOCAL,
        },
        volume=450,
        wrong_share=0.09,
        late_share=0.10,
        every_days=2,
    ),
    System(
        "000.00.00.H14",
        {
            "000.00.10.H14": ("1.004227",),
            "000.00.21.H14": _DISTRICT,
            "000.03.21.H14": _LOCAL,
            "000.00.22.H14": ("1.001234", "2.000908"),
            "000.08.22.H14": ("2.000635", "2.000908"),
        },
        volume=330,
        wrong_share=0.38,
        late_share=0.18,
        every_days=3,
    ),
    System(
        "000.00.00.G12",
        {
            "000.00.18.G12": ("1.007732", "1.010825"),
            "000.40.18.G12": ("1.007732", "1.010825"),
            "000.00.19.G12": ("2.002159",),
        },
        volume=300,
        wrong_share=0.10,
        late_share=0.04,
        every_days=2,
    ),
    System(
        "000.00.00.G15",
        {"000.00.07.G15": ("1.012021",), "000.00.05.G15": ("1.011907",)},
        volume=200,
        wrong_share=0.22,
        late_share=0.15,
        every_days=4,
    ),
    System(
        "000.00.00.H17",
        {
            "22.H17": ("1.001234", "1.003622"),
            "000.00.00.A80": ("2.000635", "2.000908"),
            "28.22.H17": ("2.000635", "2.000908"),
        },
        volume=80,
        wrong_share=0.15,
        late_share=0.25,
        every_days=7,
        bad_code_share=0.3,
    ),
)

_PROCEDURES = {v.code: v for v in DEMO_CATALOGUE}  # the latest version of each code
_WITH_FEES = {v.code for v in DEMO_CATALOGUE if v.fees}
_BUSINESS = {"2.001610", "1.007732", "1.010825", "2.002159", "1.012021", "1.011907", "1.004363"}
# Wrong codes as the systems send them: empty, a typo, a code not published for the agency,
# the abolished forest permit.
_WRONG = ("", "1.001243", "2.00635", "1.004227", "1.007732", "2.001610", "1.003001", "1.0012340")
_FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô")
_MIDDLE = ("Văn", "Thị", "Hữu", "Minh", "Thị Thu", "Đức", "Ngọc", "Quang", "Thị Hồng", "Xuân")
_GIVEN: tuple[str, ...] = ("An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hoa", "Khánh")
_GIVEN += ("Lan", "Long", "Mai", "Nam", "Ngọc", "Phong", "Phương", "Quân", "Sơn", "Tâm", "Tú")
_COMPANY = ("Công ty TNHH", "Công ty cổ phần", "Doanh nghiệp tư nhân", "Hợp tác xã")
_TRADE: tuple[str, ...] = (
    "Thương mại Hồng Lam",
    "Xây dựng Sông Lam",
    "Nông sản Phủ Quỳ",
    "Thủy sản Cửa Hội",
)
_TRADE += ("Vận tải Bắc Trung Bộ", "Công nghệ Miền Tây", "Dịch vụ Hòa Vang", "Dược liệu Non Nước")
_HANDLERS = ("Chuyên viên", "Công chức Tư pháp - Hộ tịch", "Công chức Địa chính", "Kiểm soát viên")
_DEPARTMENTS: tuple[str, ...] = (
    "Bộ phận Một cửa",
    "Phòng Tư pháp",
    "Phòng Tài nguyên và Môi trường",
)
_DEPARTMENTS += ("Phòng Kinh tế", "Văn phòng Đăng ký đất đai", "Phòng Nghiệp vụ")


@dataclass
class _Dossier:
    system: System
    code: str
    agency: str
    procedure: str
    channel: int
    applicant: str
    applicant_type: int
    summary: str
    received: datetime
    due: date
    snapshots: list[tuple[datetime, int, dict[str, Any]]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)


def _moment(day: date, rng: random.Random, start: int = 8, hours: int = 9) -> datetime:
    return datetime.combine(day, time(start, 0), VN_TZ) + timedelta(
        minutes=rng.randrange(0, hours * 60)
    )


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_FAMILY)} {rng.choice(_MIDDLE)} {rng.choice(_GIVEN)}"


def _dossier(
    system: System,
    agency: str,
    day: date,
    sequence: int,
    rng: random.Random,
    calendar: WorkingCalendar,
) -> _Dossier:
    right = rng.choice(system.agencies[agency])
    procedure = rng.choice(_WRONG) if rng.random() < system.wrong_share else right
    known = _PROCEDURES.get(right)
    days = known.processing_days if known else 5
    business = right in _BUSINESS
    applicant = f"{rng.choice(_COMPANY)} {rng.choice(_TRADE)}" if business else _person(rng)
    received = _moment(day, rng)
    code = f"{agency}-{day:%y%m%d}-{sequence:04d}"
    if rng.random() < system.bad_code_share:  # the system's own numbering
        code = f"HS{day:%Y%m%d}{agency.split('.', maxsplit=1)[0]}{sequence:03d}"
    online = rng.random() < (0.75 if business else 0.4)
    return _Dossier(
        system=system,
        code=code,
        agency=agency,
        procedure=procedure,
        channel=2 if online else (3 if rng.random() < 0.08 else 1),
        applicant=applicant,
        applicant_type=2 if business else 1,
        summary=f"{known.name if known else 'Hồ sơ'} - {applicant}",
        received=received,
        due=calendar.add_working_days(day, days),
    )


def _lifecycle(d: _Dossier, rng: random.Random, calendar: WorkingCalendar) -> None:
    """The dossier's snapshots (time, status, extra fields) and processing steps, in order."""
    if d.channel == 2:
        filed = d.received - timedelta(hours=rng.randrange(2, 40))
        d.snapshots.append((filed, 1, {"received": False}))
        if rng.random() < 0.04:
            d.snapshots.append((d.received, 3, {"received": False}))  # not accepted
            return
    d.snapshots.append((d.received, 2, {}))
    at = d.received + timedelta(hours=rng.randrange(1, 20))
    d.snapshots.append((at, 4, {}))
    if d.system.steps:
        d.steps.append(
            {
                "at": at + timedelta(hours=rng.randrange(1, 6)),
                "NguoiXuLy": _person(rng),
                "ChucDanh": rng.choice(_HANDLERS),
                "PhongBanXuLy": rng.choice(_DEPARTMENTS),
                "NoiDungXuLy": "Thẩm định hồ sơ, đề xuất giải quyết",
            }
        )
    fate = rng.random()
    if fate < 0.02:
        d.snapshots.append((at + timedelta(days=rng.randrange(1, 4)), 7, {}))  # withdrawn
        return
    if fate < 0.035:
        d.snapshots.append((at + timedelta(days=rng.randrange(1, 6)), 8, {}))  # stopped
        return
    supplements: list[tuple[datetime, date, date]] = []
    if rng.random() < 0.09:
        asked = at + timedelta(days=rng.randrange(1, 3))
        moved = calendar.add_working_days(d.due, rng.randrange(3, 6))
        supplements.append((asked, d.due, moved))
        d.snapshots.append((asked, 5, {"supplements": list(supplements)}))
        d.due = moved
        at = asked + timedelta(days=rng.randrange(2, 5))
        d.snapshots.append((at, 4, {"supplements": list(supplements)}))
    if d.procedure in _WITH_FEES and rng.random() < 0.35:
        at += timedelta(hours=rng.randrange(4, 48))
        d.snapshots.append((at, 6, {"supplements": list(supplements)}))
    if rng.random() < d.system.late_share:
        finish_day = calendar.add_working_days(d.due, rng.randrange(1, 9))
    else:
        first = calendar.add_working_days(d.received.astimezone(VN_TZ).date(), 1)
        span = max(calendar.working_days_between(first, d.due), 0)
        finish_day = calendar.add_working_days(first, rng.randrange(0, span + 1))
    finished = max(_moment(finish_day, rng), at + timedelta(hours=1))
    extra = {"finished": finished, "supplements": list(supplements)}
    d.snapshots.append((finished, 9, extra))
    if rng.random() < 0.85:
        handed = finished + timedelta(days=rng.randrange(0, 4), hours=rng.randrange(0, 6))
        d.snapshots.append((handed, 10, {**extra, "returned": handed}))


def _item(d: _Dossier, at: datetime, status: int, extra: dict[str, Any]) -> dict[str, Any]:
    more: dict[str, Any] = {
        "NgayCapNhat": format_portal_datetime(at),
        "NgayHenTra": d.due.strftime("%Y%m%d") + "170000",
        "LoaiDoiTuong": d.applicant_type,
        "TrichYeuHoSo": d.summary,
    }
    known = _PROCEDURES.get(d.procedure)
    if known is not None:
        more["TenTTHC"] = known.name
        more["MaLinhVuc"] = known.field_code
    if extra.get("returned"):
        more["NgayTra"] = format_portal_datetime(extra["returned"])
    item = dossier_item(
        d.code,
        d.agency,
        d.procedure,
        status=status,
        received=d.received,
        finished=extra.get("finished"),
        channel=d.channel,
        applicant=d.applicant,
        **more,
    )
    if extra.get("received") is False:
        del item["NgayTiepNhan"]
    if extra.get("supplements"):
        item["DanhSachHoSoBoSung"] = [
            {
                "NgayYeuCauBoSung": format_portal_datetime(asked),
                "NgayHenTraTruoc": before.strftime("%Y%m%d") + "170000",
                "NgayHenTraMoi": after.strftime("%Y%m%d") + "170000",
            }
            for asked, before, after in extra["supplements"]
        ]
    return item


def _step_item(d: _Dossier, step: dict[str, Any]) -> dict[str, Any]:
    return {
        "MaHoSo": d.code,
        "ThoiDiemXuLy": format_portal_datetime(step["at"]),
        **{k: v for k, v in step.items() if k != "at"},
    }


def plan(now: datetime, calendar: WorkingCalendar) -> list[_Dossier]:
    """Every system's dossiers received over the last :data:`DAYS` days (before ``now``)."""
    rng = random.Random(2026)
    today = now.astimezone(VN_TZ).date()
    days = [
        d for n in range(DAYS, -1, -1) if calendar.is_working_day(d := today - timedelta(days=n))
    ]
    out: list[_Dossier] = []
    recent = days[-10:]  # the last two weeks: dossiers still in every stage of handling
    for system in SYSTEMS:
        sequence: dict[tuple[str, date], int] = {}
        for _ in range(system.volume):
            agency = rng.choice(list(system.agencies))
            day = rng.choice(recent if rng.random() < 0.2 else days)
            sequence[(agency, day)] = sequence.get((agency, day), 0) + 1
            one = _dossier(system, agency, day, sequence[(agency, day)], rng, calendar)
            _lifecycle(one, rng, calendar)
            last = now - LAST_SYNC  # what happened since waits for the systems' next sync
            one.snapshots = [s for s in one.snapshots if s[0] <= last]
            one.steps = [s for s in one.steps if s["at"] <= last]
            if one.snapshots:
                out.append(one)
    return out


def _refused(system: System, at: datetime, n: int) -> list[dict[str, Any]]:
    """Items a system sends wrong now and then: the gateway refuses each with its code."""
    agency = next(iter(system.agencies))
    day = at.astimezone(VN_TZ).date()
    if n % 3 == 0:  # a date in another format
        return [
            dossier_item(
                f"{agency}-{day:%y%m%d}-9{n:03d}",
                agency,
                "",
                received=at,
                NgayTiepNhan=f"{day:%d/%m/%Y}",
            )
        ]
    if n % 3 == 1:  # a code no dossier can be keyed on
        return [dossier_item(f"HS {day:%Y} {n}", agency, "", received=at)]
    return [dossier_item(f"{agency}-{day:%y%m%d}-9{n:03d}", agency, "", status=42, received=at)]


@dataclass
class _Outbox:
    """A system's pending items between two syncs."""

    dossiers: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)
    steps: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)


def seed_demo_dossiers(
    service: PortalService,
    clock: FixedClock,
    now: datetime,
    *,
    advance: Callable[[], Any] | None = None,
) -> dict[str, int]:
    """Sync the planned dossiers (see the module); the counts of what the portal holds.

    Seeded once: when the portal holds most of the planned dossiers, nothing is sent (a later
    run, whose plan reaches a little further, adds nothing either); with fewer than half (a
    first run interrupted), the whole history is sent again, which adds only what is missing
    (the sync recognises what it already has)."""
    dossiers = plan(now, service.calendar)
    codes = sorted({d.code for d in dossiers})
    with service.db.read() as session:
        present = len(store.load_states(session, codes, lock=False))
    if present < len(codes) // 2:
        _replay(service, clock, now, dossiers, refusals=present == 0, advance=advance)
    return dossier_counts(service)


def schedule(now: datetime) -> list[tuple[datetime, System]]:
    """When each system syncs: every ``every_days`` days at 20:30, and once just before now."""
    first = (now - timedelta(days=DAYS + 3)).astimezone(VN_TZ).date()
    syncs: list[tuple[datetime, System]] = []
    for system in SYSTEMS:
        moment = datetime.combine(first, time(20, 30), VN_TZ)
        while moment < now - LAST_SYNC:
            syncs.append((moment, system))
            moment += timedelta(days=system.every_days)
        syncs.append((now - LAST_SYNC, system))
    syncs.sort(key=lambda s: s[0])
    return syncs


def _replay(
    service: PortalService,
    clock: FixedClock,
    now: datetime,
    dossiers: list[_Dossier],
    *,
    refusals: bool,
    advance: Callable[[], Any] | None,
) -> None:
    """Each system syncs what happened since its last sync, every ``every_days`` evening."""
    syncs = schedule(now)
    pending = {s.root: _Outbox() for s in SYSTEMS}
    for d in dossiers:
        box = pending[d.system.root]
        box.dossiers += [(at, _item(d, at, status, extra)) for at, status, extra in d.snapshots]
        box.steps += [(step["at"], _step_item(d, step)) for step in d.steps]
    for box in pending.values():
        box.dossiers.sort(key=lambda p: p[0])
        box.steps.sort(key=lambda p: p[0])
    count = 0
    try:
        for moment, system in syncs:
            box = pending[system.root]
            due = [item for at, item in box.dossiers if at <= moment]
            steps = [item for at, item in box.steps if at <= moment]
            box.dossiers = [p for p in box.dossiers if p[0] > moment]
            box.steps = [p for p in box.steps if p[0] > moment]
            count += 1
            if refusals and count % 23 == 0 and moment < now - timedelta(days=1):
                due += _refused(system, moment - timedelta(hours=3), count)
            clock.set(moment)
            for i in range(0, len(due), MAX_BATCH):
                service.sync_dossiers(system.root, due[i : i + MAX_BATCH])
            for i in range(0, len(steps), MAX_BATCH):
                service.sync_steps(system.root, steps[i : i + MAX_BATCH])
            if advance is not None:
                advance()
    finally:
        clock.set(now)


def dossier_counts(service: PortalService) -> dict[str, int]:
    """Dossiers, their history and refused items, with the spread of statuses and quality."""
    with service.db.read() as session:
        counts = {
            "dossiers": store.count_rows(session, "dossiers"),
            "events": store.count_rows(session, "events"),
            "rejections": store.count_rows(session, "rejections"),
        }
        counts.update(store.dossier_spread(session))
    return counts
