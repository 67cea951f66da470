"""The monitoring centre's aggregate tables and how they are kept up to date.

* ``stats_daily`` (day, agency, direction): documents sent / received, of which signed,
  validly signed, with attachments; for received ones, how many got status 01 the same day.
  Written by :func:`record_intake`, a write hook of the hub's intake (same transaction as the
  package's rows), so it is exact and never scanned back from the raw tables.
* ``stats_latency`` (day, status, bucket): how long after arrival a recipient's
  FIRST 01 / 03 / 06 came, as a histogram (bucket upper bounds in minutes, :data:`BUCKETS`).
  Filled incrementally from ``status_events`` above a watermark (:func:`refresh_latency`),
  because 01 is also recorded by the hub outside the intake (transport acknowledgement).
* ``stats_refusals`` (day, agency, code): refused requests, written by the API's error path.

Days are Vietnam calendar days. Stores never commit.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Date, Integer, SmallInteger, String, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from lienthong.agencies.store import AgencyRow
from lienthong.clock import VN_TZ, as_utc
from lienthong.db import Base
from lienthong.exchange import intake
from lienthong.exchange.store import Document, StatusEvent

# Histogram bucket upper bounds, in minutes (the last bucket is open-ended).
BUCKETS: tuple[int, ...] = (5, 15, 30, 60, 120, 240, 480, 1440, 2880, 4320, 10080, 43200)
TIMED_STATUSES = ("01", "03", "06")


class StatsDaily(Base):
    __tablename__ = "stats_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(35), primary_key=True)
    direction: Mapped[str] = mapped_column(String(8), primary_key=True)  # sent | received
    level: Mapped[int] = mapped_column(SmallInteger, default=0)  # the agency's level (cấp)
    documents: Mapped[int] = mapped_column(BigInteger, default=0)
    signed: Mapped[int] = mapped_column(BigInteger, default=0)
    valid: Mapped[int] = mapped_column(BigInteger, default=0)
    with_attachments: Mapped[int] = mapped_column(BigInteger, default=0)
    arrived_same_day: Mapped[int] = mapped_column(BigInteger, default=0)


class StatsLevelDaily(Base):
    """``stats_daily`` summed over agencies: per day, level and direction (a few rows a day;
    the dashboard's totals, levels and time series read only this)."""

    __tablename__ = "stats_level_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    direction: Mapped[str] = mapped_column(String(8), primary_key=True)
    documents: Mapped[int] = mapped_column(BigInteger, default=0)
    signed: Mapped[int] = mapped_column(BigInteger, default=0)
    valid: Mapped[int] = mapped_column(BigInteger, default=0)
    with_attachments: Mapped[int] = mapped_column(BigInteger, default=0)
    arrived_same_day: Mapped[int] = mapped_column(BigInteger, default=0)


class StatsMonthly(Base):
    """``stats_daily`` per calendar month (``month`` is its first day): per-agency rankings
    over long periods read whole months here and only the partial months from the daily
    table."""

    __tablename__ = "stats_monthly"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(35), primary_key=True)
    direction: Mapped[str] = mapped_column(String(8), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, default=0)
    documents: Mapped[int] = mapped_column(BigInteger, default=0)
    signed: Mapped[int] = mapped_column(BigInteger, default=0)
    valid: Mapped[int] = mapped_column(BigInteger, default=0)
    with_attachments: Mapped[int] = mapped_column(BigInteger, default=0)
    arrived_same_day: Mapped[int] = mapped_column(BigInteger, default=0)


class StatsLatency(Base):
    """Hub-wide histogram per day of the document (a few dozen rows a day)."""

    __tablename__ = "stats_latency"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    status_code: Mapped[str] = mapped_column(String(2), primary_key=True)
    bucket: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class StatsRefusal(Base):
    __tablename__ = "stats_refusals"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(35), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class StatsWatermark(Base):
    __tablename__ = "stats_watermarks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), default=0)


def local_day(at: datetime) -> date:
    return as_utc(at).astimezone(VN_TZ).date()


def bucket_of(minutes: float) -> int:
    for index, bound in enumerate(BUCKETS):
        if minutes <= bound:
            return index
    return len(BUCKETS)


def _upsert(session: Session, table: Any, keys: list[str], rows: list[dict[str, Any]]) -> None:
    """Add the counters of ``rows`` to existing rows (INSERT ... ON CONFLICT DO UPDATE)."""
    if not rows:
        return
    counters = tuple(k for k in rows[0] if k not in keys and k != "level")
    stmt = _upsert_statement(session.get_bind().dialect.name, table, tuple(keys), counters)
    session.execute(stmt, rows)


@functools.cache
def _upsert_statement(
    dialect: str, table: Any, keys: tuple[str, ...], counters: tuple[str, ...]
) -> Any:
    """The upsert of one table, built once (building ``excluded`` costs more than running it;
    SQLAlchemy statements are immutable and safe to share)."""
    build = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = build(table)
    return stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={k: getattr(table.c, k) + getattr(stmt.excluded, k) for k in counters},
    )


COUNTERS = ("documents", "signed", "valid", "with_attachments", "arrived_same_day")


def add_daily(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add per (day, agency, direction) counters to ``stats_daily`` and its two rollups."""
    if not rows:
        return
    _upsert(session, StatsDaily.__table__, ["day", "agency_code", "direction"], rows)
    levels: dict[tuple[date, int, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(COUNTERS, 0)
    )
    months: dict[tuple[date, str, str], dict[str, Any]] = {}
    for row in rows:
        by_level = levels[(row["day"], row["level"], row["direction"])]
        month_key = (row["day"].replace(day=1), row["agency_code"], row["direction"])
        by_month = months.setdefault(
            month_key, {"level": row["level"], **dict.fromkeys(COUNTERS, 0)}
        )
        for name in COUNTERS:
            by_level[name] += row[name]
            by_month[name] += row[name]
    _upsert(
        session,
        StatsLevelDaily.__table__,
        ["day", "level", "direction"],
        [
            {"day": d, "level": lv, "direction": dr, **v}
            for (d, lv, dr), v in sorted(levels.items())
        ],
    )
    _upsert(
        session,
        StatsMonthly.__table__,
        ["month", "agency_code", "direction"],
        [
            {"month": m, "agency_code": a, "direction": dr, **v}
            for (m, a, dr), v in sorted(months.items())
        ],
    )


# --- the intake hook (same transaction as the package's rows) ---------------------------


def record_intake(session: Session, rows: Mapping[str, list[dict[str, Any]]]) -> None:
    """Count the documents an accepted package created, for its sender and its recipients."""
    documents = rows.get("documents")
    if not documents:
        return
    messages = {m["id"]: m for m in rows.get("messages", [])}
    counts: dict[tuple[date, str, str], dict[str, int]] = defaultdict(
        lambda: {"documents": 0, "signed": 0, "valid": 0, "with_attachments": 0}
    )

    def add(key: tuple[date, str, str], doc: dict[str, Any], valid: bool) -> None:
        c = counts[key]
        c["documents"] += 1
        c["signed"] += int(bool(doc.get("signed")))
        c["valid"] += int(valid)
        c["with_attachments"] += int((doc.get("attachment_count") or 0) > 0)

    by_doc = {d["id"]: d for d in documents}
    valid_of: dict[str, bool] = {}
    for doc in documents:
        origin = messages.get(doc.get("origin_message_id", ""), {})
        validation: dict[str, Any] = origin.get("validation") or {}
        valid = bool(doc.get("signed")) and validation.get("overall") == "ok"
        valid_of[doc["id"]] = valid
        add((local_day(doc["created_at"]), doc["sender_code"], "sent"), doc, valid)
    for delivery in rows.get("deliveries", []):
        target = by_doc.get(delivery.get("document_id") or "")
        if target is None or delivery.get("kind") != "edoc":
            continue
        if delivery.get("message_id") != target.get("origin_message_id"):
            continue
        day = local_day(target["created_at"])
        add((day, delivery["recipient_code"], "received"), target, valid_of[target["id"]])
    levels = _levels(session, {code for _day, code, _dir in counts})
    add_daily(
        session,
        [
            {
                "day": day,
                "agency_code": code,
                "direction": direction,
                "level": int(levels.get(code, 0)),
                **values,
                "arrived_same_day": 0,
            }
            for (day, code, direction), values in sorted(counts.items())
        ],
    )


_LEVELS = select(AgencyRow.code, AgencyRow.level).where(
    AgencyRow.code.in_(bindparam("codes", expanding=True))
)


def _levels(session: Session, codes: set[str]) -> dict[str, int]:
    if not codes:
        return {}
    rows = session.execute(_LEVELS, {"codes": sorted(codes)}).all()
    return {code: int(level) for code, level in rows}


def install() -> None:
    """Register :func:`record_intake` with the intake (idempotent)."""
    if record_intake not in intake.WRITE_HOOKS:
        intake.WRITE_HOOKS.append(record_intake)


# --- status latencies (incremental, above a watermark) ----------------------------------

LATENCY_WATERMARK = "status_events"


def refresh_latency(session: Session, *, now: datetime, batch: int = 20000) -> int:
    """Fold status events above the watermark (and older than a few seconds, so that a
    transaction still open with a lower id is not skipped) into ``stats_latency`` and the
    same-day arrivals of ``stats_daily``. Returns how many events were read."""
    mark = session.get(StatsWatermark, LATENCY_WATERMARK, with_for_update=True)
    if mark is None:
        mark = StatsWatermark(name=LATENCY_WATERMARK, value=0)
        session.add(mark)
        session.flush()
    settle = now - timedelta(seconds=5)
    events = session.execute(
        select(
            StatusEvent.id,
            StatusEvent.document_id,
            StatusEvent.recipient_code,
            StatusEvent.status_code,
            StatusEvent.created_at,
            Document.created_at,
        )
        .join(Document, Document.id == StatusEvent.document_id)
        .where(StatusEvent.id > mark.value, StatusEvent.created_at <= settle)
        .order_by(StatusEvent.id)
        .limit(batch)
    ).all()
    if not events:
        return 0
    seen_before = _earlier_firsts(session, events)
    latency: dict[tuple[date, str, int], int] = defaultdict(int)
    same_day: dict[tuple[date, str], int] = defaultdict(int)
    firsts: set[tuple[str, str, str]] = set()
    for _id, doc_id, recipient, code, at, created in events:
        if code not in TIMED_STATUSES:
            continue
        key = (doc_id, recipient, code)
        if key in firsts or key in seen_before:
            continue
        firsts.add(key)
        day = local_day(created)
        minutes = (as_utc(at) - as_utc(created)).total_seconds() / 60
        latency[(day, code, bucket_of(max(minutes, 0)))] += 1
        if code == "01" and local_day(at) == day:
            same_day[(day, recipient)] += 1
    _upsert(
        session,
        StatsLatency.__table__,
        ["day", "status_code", "bucket"],
        [
            {"day": d, "status_code": s, "bucket": b, "count": n}
            for (d, s, b), n in sorted(latency.items())
        ],
    )
    levels = _levels(session, {a for _d, a in same_day})
    add_daily(
        session,
        [
            {
                "day": d,
                "agency_code": a,
                "direction": "received",
                "level": levels.get(a, 0),
                "documents": 0,
                "signed": 0,
                "valid": 0,
                "with_attachments": 0,
                "arrived_same_day": n,
            }
            for (d, a), n in sorted(same_day.items())
        ],
    )
    mark.value = int(events[-1][0])
    return len(events)


def _earlier_firsts(session: Session, events: Sequence[Any]) -> set[tuple[str, str, str]]:
    """(document, recipient, status) already counted before this batch's first event."""
    first_id = events[0][0]
    doc_ids = sorted({e[1] for e in events if e[3] in TIMED_STATUSES})
    found: set[tuple[str, str, str]] = set()
    for start in range(0, len(doc_ids), 500):
        chunk = doc_ids[start : start + 500]
        rows = session.execute(
            select(StatusEvent.document_id, StatusEvent.recipient_code, StatusEvent.status_code)
            .where(
                StatusEvent.document_id.in_(chunk),
                StatusEvent.id < first_id,
                StatusEvent.status_code.in_(TIMED_STATUSES),
            )
            .distinct()
        ).all()
        found.update((d, r, s) for d, r, s in rows)
    return found


# --- refusals --------------------------------------------------------------------------


def record_refusal(session: Session, *, at: datetime, agency: str, code: str) -> None:
    _upsert(
        session,
        StatsRefusal.__table__,
        ["day", "agency_code", "code"],
        [{"day": local_day(at), "agency_code": agency[:35], "code": code[:40], "count": 1}],
    )
