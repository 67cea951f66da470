"""What the monitoring pages show, read from the aggregate tables (never the raw history),
except the drill-down to one agency's documents (indexed, paged) and delivery health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from lienthong.agencies.store import AgencyRow
from lienthong.exchange.store import Document, Recipient
from lienthong.stats.store import (
    BUCKETS,
    StatsDaily,
    StatsLatency,
    StatsLevelDaily,
    StatsMonthly,
    StatsRefusal,
)

LEVEL_LABELS = {
    1: "Cấp 1: Bộ, ngành, tỉnh",
    2: "Cấp 2: Sở, ngành, huyện",
    3: "Cấp 3: Xã, phường, đơn vị trực thuộc",
    4: "Cấp 4: Đơn vị cấp dưới",
    0: "Chưa xác định",
}


@dataclass(frozen=True)
class Period:
    start: date  # inclusive
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _in(period: Period) -> Any:
    return and_(StatsLevelDaily.day >= period.start, StatsLevelDaily.day <= period.end)


def by_level(session: Session, period: Period) -> list[dict[str, Any]]:
    """Documents sent and received per level of government (the articles' table)."""
    rows = session.execute(
        select(
            StatsLevelDaily.level, StatsLevelDaily.direction, func.sum(StatsLevelDaily.documents)
        )
        .where(_in(period))
        .group_by(StatsLevelDaily.level, StatsLevelDaily.direction)
    ).all()
    table: dict[int, dict[str, Any]] = {}
    for level, direction, total in rows:
        item = table.setdefault(
            int(level), {"level": int(level), "label": LEVEL_LABELS.get(int(level), str(level))}
        )
        item[direction] = int(total or 0)
    return [
        {"sent": 0, "received": 0, **table[k]} for k in sorted(table, key=lambda v: (v == 0, v))
    ]


def totals(session: Session, period: Period) -> dict[str, int]:
    row = session.execute(
        select(
            func.sum(StatsLevelDaily.documents).filter(StatsLevelDaily.direction == "sent"),
            func.sum(StatsLevelDaily.documents).filter(StatsLevelDaily.direction == "received"),
            func.sum(StatsLevelDaily.signed).filter(StatsLevelDaily.direction == "sent"),
            func.sum(StatsLevelDaily.valid).filter(StatsLevelDaily.direction == "sent"),
            func.sum(StatsLevelDaily.with_attachments).filter(StatsLevelDaily.direction == "sent"),
            func.sum(StatsLevelDaily.arrived_same_day).filter(
                StatsLevelDaily.direction == "received"
            ),
        ).where(_in(period))
    ).one()
    sent, received, signed, valid, attached, same_day = (int(v or 0) for v in row)
    return {
        "sent": sent,
        "received": received,
        "signed": signed,
        "valid": valid,
        "with_attachments": attached,
        "arrived_same_day": same_day,
        "not_arrived_same_day": max(received - same_day, 0),
    }


def _agency_source(period: Period) -> Any:
    """Per (agency, direction) rows covering the period exactly: whole months from
    ``stats_monthly``, the partial months at either end from ``stats_daily``."""
    first_full = period.start if period.start.day == 1 else _next_month(period.start)
    after_last = _next_month(period.end.replace(day=1))
    if period.end != after_last - timedelta(days=1):
        after_last = period.end.replace(day=1)  # the last month is partial
    columns = ("agency_code", "direction", "documents", "signed", "valid", "arrived_same_day")
    if first_full >= after_last:  # no whole month inside: daily rows only
        return select(*[getattr(StatsDaily, c) for c in columns]).where(
            StatsDaily.day >= period.start, StatsDaily.day <= period.end
        )
    months = select(*[getattr(StatsMonthly, c) for c in columns]).where(
        StatsMonthly.month >= first_full, StatsMonthly.month < after_last
    )
    edges = select(*[getattr(StatsDaily, c) for c in columns]).where(
        or_(
            and_(StatsDaily.day >= period.start, StatsDaily.day < first_full),
            and_(StatsDaily.day >= after_last, StatsDaily.day <= period.end),
        )
    )
    return months.union_all(edges)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def by_agency(
    session: Session, period: Period, *, limit: int = 50, order: str = "sent"
) -> list[dict[str, Any]]:
    """Per-agency figures in the period, ranked (``order``: sent, received, late)."""
    src = _agency_source(period).subquery()
    sent = func.sum(src.c.documents).filter(src.c.direction == "sent")
    received = func.sum(src.c.documents).filter(src.c.direction == "received")
    same_day = func.sum(src.c.arrived_same_day).filter(src.c.direction == "received")
    signed = func.sum(src.c.signed).filter(src.c.direction == "sent")
    valid = func.sum(src.c.valid).filter(src.c.direction == "sent")
    late = func.coalesce(received, 0) - func.coalesce(same_day, 0)
    key = {"sent": sent, "received": received, "late": late}.get(order, sent)
    ranked = (
        select(
            src.c.agency_code,
            sent.label("sent"),
            received.label("received"),
            same_day.label("same_day"),
            signed.label("signed"),
            valid.label("valid"),
        )
        .group_by(src.c.agency_code)
        .order_by(func.coalesce(key, 0).desc(), src.c.agency_code)
        .limit(limit)
        .subquery()
    )
    rows = session.execute(
        select(
            ranked.c.agency_code,
            AgencyRow.name,
            AgencyRow.level,
            ranked.c.sent,
            ranked.c.received,
            ranked.c.same_day,
            ranked.c.signed,
            ranked.c.valid,
        ).outerjoin(AgencyRow, AgencyRow.code == ranked.c.agency_code)
    ).all()
    items = [
        {
            "code": code,
            "name": name or code,
            "level": level,
            "sent": int(s or 0),
            "received": int(r or 0),
            "arrived_same_day": int(d or 0),
            "late": max(int(r or 0) - int(d or 0), 0),
            "signed": int(g or 0),
            "valid": int(v or 0),
        }
        for code, name, level, s, r, d, g, v in rows
    ]
    field = {"sent": "sent", "received": "received", "late": "late"}.get(order, "sent")
    items.sort(key=lambda a: (-a[field], a["code"]))
    return items


def over_time(session: Session, period: Period) -> list[dict[str, Any]]:
    """Per day (per month beyond 92 days): documents sent and received."""
    rows = session.execute(
        select(StatsLevelDaily.day, StatsLevelDaily.direction, func.sum(StatsLevelDaily.documents))
        .where(_in(period))
        .group_by(StatsLevelDaily.day, StatsLevelDaily.direction)
        .order_by(StatsLevelDaily.day)
    ).all()
    monthly = period.days > 92
    series: dict[str, dict[str, int]] = {}
    for day, direction, total in rows:
        label = day.strftime("%m/%Y") if monthly else day.strftime("%d/%m")
        item = series.setdefault(label, {"sent": 0, "received": 0})
        item[direction] = item.get(direction, 0) + int(total or 0)
    if not monthly:  # every day of the period, zeros included
        filled = {}
        for i in range(period.days):
            label = (period.start + timedelta(days=i)).strftime("%d/%m")
            filled[label] = series.get(label, {"sent": 0, "received": 0})
        series = filled
    return [{"label": k, **v} for k, v in series.items()]


def latencies(session: Session, period: Period) -> dict[str, dict[str, Any]]:
    """Median and 90th percentile (bucket upper bound, minutes) of the time to 01, 03, 06."""
    rows = session.execute(
        select(StatsLatency.status_code, StatsLatency.bucket, func.sum(StatsLatency.count))
        .where(StatsLatency.day >= period.start, StatsLatency.day <= period.end)
        .group_by(StatsLatency.status_code, StatsLatency.bucket)
    ).all()
    hist: dict[str, dict[int, int]] = {}
    for code, bucket, count in rows:
        hist.setdefault(code, {})[int(bucket)] = int(count or 0)
    return {code: percentiles(h) for code, h in hist.items()}


def percentiles(hist: dict[int, int]) -> dict[str, Any]:
    total = sum(hist.values())

    def at(share: float) -> int | None:
        if total == 0:
            return None
        running = 0
        for bucket in sorted(hist):
            running += hist[bucket]
            if running >= share * total:
                return BUCKETS[bucket] if bucket < len(BUCKETS) else None
        return None

    return {"count": total, "median": at(0.5), "p90": at(0.9)}


def refusals(session: Session, period: Period) -> list[dict[str, Any]]:
    rows = session.execute(
        select(StatsRefusal.code, func.sum(StatsRefusal.count))
        .where(StatsRefusal.day >= period.start, StatsRefusal.day <= period.end)
        .group_by(StatsRefusal.code)
        .order_by(func.sum(StatsRefusal.count).desc())
    ).all()
    return [{"code": code, "count": int(n or 0)} for code, n in rows]


def inactive_agencies(session: Session, today: date, *, silent_days: int = 30) -> dict[str, Any]:
    """Agencies of this hub that never sent a document, and those that sent nothing in the
    last ``silent_days`` days (with the month they last sent in). Reads the last days of
    ``stats_daily`` (primary-key range) and ``stats_monthly``."""
    recent = (
        select(StatsDaily.agency_code)
        .where(
            StatsDaily.day > today - timedelta(days=silent_days),
            StatsDaily.direction == "sent",
            StatsDaily.documents > 0,
        )
        .distinct()
    )
    last = (
        select(StatsMonthly.agency_code, func.max(StatsMonthly.month).label("last_month"))
        .where(StatsMonthly.direction == "sent", StatsMonthly.documents > 0)
        .group_by(StatsMonthly.agency_code)
        .subquery()
    )
    rows = session.execute(
        select(AgencyRow.code, AgencyRow.name, AgencyRow.level, last.c.last_month)
        .outerjoin(last, last.c.agency_code == AgencyRow.code)
        .where(AgencyRow.hub_code.is_(None), AgencyRow.code.not_in(recent))
        .order_by(AgencyRow.level, AgencyRow.code)
    ).all()
    never = [{"code": c, "name": n, "level": lv} for c, n, lv, m in rows if m is None]
    silent = [
        {"code": c, "name": n, "level": lv, "last_month": m}
        for c, n, lv, m in rows
        if m is not None
    ]
    return {"never": never, "silent": silent}


def agency_documents(
    session: Session, code: str, period_start: Any, period_end: Any, *, limit: int = 100
) -> dict[str, list[dict[str, Any]]]:
    """Drill-down: one agency's documents sent and received in the period (indexed reads)."""
    sent = session.execute(
        select(Document)
        .where(
            Document.sender_code == code,
            Document.created_at >= period_start,
            Document.created_at < period_end,
        )
        .order_by(Document.created_at.desc())
        .limit(limit)
    ).scalars()
    received = session.execute(
        select(Document, Recipient)
        .join(Recipient, Recipient.document_id == Document.id)
        .where(
            Recipient.recipient_code == code,
            Recipient.added_at >= period_start,
            Recipient.added_at < period_end,
        )
        .order_by(Recipient.added_at.desc())
        .limit(limit)
    ).all()

    def item(d: Document) -> dict[str, Any]:
        return {
            "id": d.id,
            "sender": d.sender_code,
            "number": f"{d.code_number}/{d.code_notation}",
            "subject": d.subject,
            "signed": d.signed,
            "at": d.created_at,
        }

    return {
        "sent": [item(d) for d in sent],
        "received": [item(d) | {"status": r.status} for d, r in received],
    }


def delivery_health(session: Session, now: Any) -> dict[str, Any]:
    """Queues: deliveries not yet fetched or failed, the federation outbox (retries, dead
    letters) and the hub-to-hub links. Reads ``deliveries`` (a scan of the not-done rows) and
    the small federation tables: shown on its own page, not on the dashboard."""
    from lienthong.exchange.store import Delivery
    from lienthong.federation.store import HubRow, OutboxRow

    states = dict(
        session.execute(
            select(Delivery.state, func.count())
            .where(Delivery.state != "done")
            .group_by(Delivery.state)
        ).all()
    )
    stale = session.scalar(
        select(func.count())
        .select_from(Delivery)
        .where(Delivery.state == "pending", Delivery.created_at < now - timedelta(days=1))
    )
    outbox = session.execute(
        select(
            OutboxRow.next_hop,
            OutboxRow.state,
            func.count(),
            func.max(OutboxRow.attempts),
            func.min(OutboxRow.created_at),
        ).group_by(OutboxRow.next_hop, OutboxRow.state)
    ).all()
    dead = session.execute(
        select(OutboxRow).where(OutboxRow.state == "dead").order_by(OutboxRow.id.desc()).limit(50)
    ).scalars()
    hubs = session.execute(select(HubRow).order_by(HubRow.code)).scalars()
    return {
        "pending": int(states.get("pending", 0)),
        "failed": int(states.get("failed", 0)),
        "stale": int(stale or 0),
        "outbox": [
            {"next_hop": h, "state": s, "count": int(n), "max_attempts": a, "oldest": o}
            for h, s, n, a, o in outbox
        ],
        "dead": [
            {
                "id": r.id,
                "message_id": r.message_id,
                "next_hop": r.next_hop,
                "attempts": r.attempts,
                "error": r.last_code or r.last_error,
                "at": r.created_at,
            }
            for r in dead
        ],
        "hubs": [
            {"code": h.code, "name": h.name, "url": h.url, "role": h.role, "active": h.active}
            for h in hubs
        ],
    }
