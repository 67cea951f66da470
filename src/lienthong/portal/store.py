"""The portal's tables and queries: the procedure catalogue, dossiers and their append-only
history, the per-agency aggregates that the dashboards read (maintained at intake, in the same
transaction), refused updates, and gateway sessions. Functions take the caller's session and
never commit. Feedback tables live in :mod:`lienthong.portal.feedback_store`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    case,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from lienthong.clock import as_utc
from lienthong.db import Base
from lienthong.portal.model import OnlineLevel, ProcedureVersion
from lienthong.portal.sync import Deltas, DossierState, Event

_IN_CHUNK = 500


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


BigId = BigInteger().with_variant(Integer, "sqlite")
STAT_COUNTERS = (
    "synced",
    "wrong_code",
    "finished",
    "early",
    "on_time",
    "late",
    "channel_1",
    "channel_2",
    "channel_3",
    "lag_seconds",
    "lag_count",
)


class ProcedureRow(Base):
    """``portal_procedures``: one version of a catalogued procedure (mã TTHC)."""

    __tablename__ = "portal_procedures"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(500))
    field_code: Mapped[str] = mapped_column(String(50))
    field_name: Mapped[str] = mapped_column(String(255))
    agency_codes: Mapped[list[str]] = mapped_column(JSON)
    levels: Mapped[list[int]] = mapped_column(JSON)
    channels: Mapped[list[int]] = mapped_column(JSON)
    processing_days: Mapped[int] = mapped_column(Integer)
    fees: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    online_level: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    legal_basis: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DossierRow(Base):
    """``portal_dossiers``: a dossier's current state (see :class:`sync.DossierState`)."""

    __tablename__ = "portal_dossiers"
    __table_args__ = (
        Index("ix_portal_dossiers_agency_period", "agency_code", "period"),
        Index(
            "ix_portal_dossiers_wrong",
            "root_code",
            "id",
            postgresql_where=text("wrong_code IS NOT NULL"),
            sqlite_where=text("wrong_code IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    agency_code: Mapped[str] = mapped_column(String(35))
    root_code: Mapped[str] = mapped_column(String(35))
    period: Mapped[str] = mapped_column(String(7))
    status: Mapped[int] = mapped_column(SmallInteger)
    status_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    procedure_code: Mapped[str] = mapped_column(String(20))
    procedure_version_id: Mapped[int | None] = mapped_column(ForeignKey("portal_procedures.id"))
    wrong_code: Mapped[str | None] = mapped_column(String(16))
    code_format_problem: Mapped[str | None] = mapped_column(String(100))
    computed_due: Mapped[date | None] = mapped_column(Date)
    declared_due: Mapped[date | None] = mapped_column(Date)
    due: Mapped[date | None] = mapped_column(Date)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    timeliness: Mapped[str | None] = mapped_column(String(8))
    channel: Mapped[int] = mapped_column(SmallInteger)
    supplement_count: Mapped[int] = mapped_column(Integer)
    applicant: Mapped[str] = mapped_column(String(255))
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    synced_by: Mapped[str] = mapped_column(String(35))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DossierEventRow(Base):
    """``portal_dossier_events``: the append-only history (statuses, steps, supplements).
    ``applied`` is false for an update that arrived after a newer one (kept, not applied)."""

    __tablename__ = "portal_dossier_events"
    __table_args__ = (UniqueConstraint("dossier_id", "event_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("portal_dossiers.id"))
    kind: Mapped[str] = mapped_column(String(12))
    event_key: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[int | None] = mapped_column(SmallInteger)
    applied: Mapped[bool] = mapped_column(Boolean)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    synced_by: Mapped[str] = mapped_column(String(35))


class StatRow(Base):
    """``portal_stats``: counters per reception month and agency, updated at intake."""

    __tablename__ = "portal_stats"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(35), primary_key=True)
    root_code: Mapped[str] = mapped_column(String(35), index=True)
    synced: Mapped[int] = mapped_column(BigInteger, default=0)
    wrong_code: Mapped[int] = mapped_column(BigInteger, default=0)
    finished: Mapped[int] = mapped_column(BigInteger, default=0)
    early: Mapped[int] = mapped_column(BigInteger, default=0)
    on_time: Mapped[int] = mapped_column(BigInteger, default=0)
    late: Mapped[int] = mapped_column(BigInteger, default=0)
    channel_1: Mapped[int] = mapped_column(BigInteger, default=0)
    channel_2: Mapped[int] = mapped_column(BigInteger, default=0)
    channel_3: Mapped[int] = mapped_column(BigInteger, default=0)
    lag_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    lag_count: Mapped[int] = mapped_column(BigInteger, default=0)


class RejectionRow(Base):
    """``portal_rejections``: every refused update, by reason (the quality figures count them;
    nothing of the refused item itself is stored but its code and the reason)."""

    __tablename__ = "portal_rejections"
    __table_args__ = (Index("ix_portal_rejections_period_root", "period", "root_code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    period: Mapped[str] = mapped_column(String(7))
    root_code: Mapped[str] = mapped_column(String(35))
    system_agency: Mapped[str] = mapped_column(String(35))
    dossier_code: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(500))


class SessionRow(Base):
    """``portal_sessions``: gateway session tokens (SHA-256 of the token), per agency."""

    __tablename__ = "portal_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(35))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --- catalogue -------------------------------------------------------------------------------


def _version(row: ProcedureRow) -> ProcedureVersion:
    return ProcedureVersion(
        id=row.id,
        code=row.code,
        version=row.version,
        name=row.name,
        field_code=row.field_code,
        field_name=row.field_name,
        agency_codes=tuple(row.agency_codes),
        levels=tuple(row.levels),
        channels=tuple(row.channels),
        processing_days=row.processing_days,
        fees=tuple(row.fees),
        online_level=OnlineLevel(row.online_level),
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        legal_basis=row.legal_basis,
    )


def save_versions(session: Session, versions: Sequence[ProcedureVersion], at: datetime) -> int:
    """Insert new versions and replace those already stored (same code and version)."""
    existing = {
        (r.code, r.version): r
        for r in session.scalars(
            select(ProcedureRow).where(ProcedureRow.code.in_({v.code for v in versions}))
        )
    }
    for v in versions:
        row = existing.get((v.code, v.version)) or ProcedureRow(code=v.code, version=v.version)
        row.name, row.field_code, row.field_name = v.name, v.field_code, v.field_name
        row.agency_codes, row.levels = list(v.agency_codes), list(v.levels)
        row.channels, row.processing_days = list(v.channels), v.processing_days
        row.fees, row.online_level = list(v.fees), str(v.online_level)
        row.valid_from, row.valid_to, row.legal_basis = v.valid_from, v.valid_to, v.legal_basis
        row.imported_at = at
        session.add(row)
    session.flush()
    return len(versions)


def versions_by_code(session: Session, codes: Iterable[str]) -> dict[str, list[ProcedureVersion]]:
    out: dict[str, list[ProcedureVersion]] = defaultdict(list)
    wanted = sorted({c for c in codes if c})
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        for row in session.scalars(select(ProcedureRow).where(ProcedureRow.code.in_(chunk))):
            out[row.code].append(_version(row))
    return out


def list_versions(session: Session, limit: int = 500) -> list[ProcedureVersion]:
    rows = session.scalars(
        select(ProcedureRow).order_by(ProcedureRow.code, ProcedureRow.version).limit(limit)
    )
    return [_version(r) for r in rows]


def version_by_id(session: Session, version_id: int) -> ProcedureVersion | None:
    row = session.get(ProcedureRow, version_id)
    return _version(row) if row else None


# --- dossiers --------------------------------------------------------------------------------

_STATE_COLUMNS = (
    "code",
    "agency_code",
    "root_code",
    "period",
    "status",
    "status_at",
    "received_at",
    "procedure_code",
    "procedure_version_id",
    "wrong_code",
    "code_format_problem",
    "computed_due",
    "declared_due",
    "due",
    "finished_at",
    "timeliness",
    "channel",
    "supplement_count",
    "applicant",
    "summary",
    "details",
)


def _state(row: Any) -> DossierState:
    values = {name: getattr(row, name) for name in _STATE_COLUMNS}
    for name in ("status_at", "received_at", "finished_at"):
        if values[name] is not None:
            values[name] = as_utc(values[name])
    return DossierState(id=row.id, **values)


def load_states(session: Session, codes: Iterable[str], *, lock: bool) -> dict[str, DossierState]:
    """Current states by dossier code; ``lock`` takes row locks (PostgreSQL) in code order so
    that concurrent batches on the same dossiers queue instead of deadlocking."""
    table = _table(DossierRow)
    wanted = sorted(set(codes))
    out: dict[str, DossierState] = {}
    for start in range(0, len(wanted), _IN_CHUNK):
        query = (
            select(table)
            .where(table.c.code.in_(wanted[start : start + _IN_CHUNK]))
            .order_by(table.c.code)
        )
        if lock and session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        for row in session.execute(query):
            out[row.code] = _state(row)
    return out


def event_keys(
    session: Session, dossier_ids: Iterable[int], keys: Iterable[str]
) -> set[tuple[int, str]]:
    ids, wanted = sorted(set(dossier_ids)), sorted(set(keys))
    if not ids or not wanted:
        return set()
    t = _table(DossierEventRow)
    found: set[tuple[int, str]] = set()
    for start in range(0, len(ids), _IN_CHUNK):
        for key_start in range(0, len(wanted), _IN_CHUNK):
            rows = session.execute(
                select(t.c.dossier_id, t.c.event_key).where(
                    t.c.dossier_id.in_(ids[start : start + _IN_CHUNK]),
                    t.c.event_key.in_(wanted[key_start : key_start + _IN_CHUNK]),
                )
            )
            found.update((r.dossier_id, r.event_key) for r in rows)
    return found


def _state_values(state: DossierState) -> dict[str, Any]:
    return {name: getattr(state, name) for name in _STATE_COLUMNS}


def insert_dossiers(
    session: Session, states: Sequence[DossierState], at: datetime, by: str
) -> dict[str, int]:
    """Insert new dossiers; their ids by code."""
    if not states:
        return {}
    table = _table(DossierRow)
    rows = [
        {**_state_values(s), "synced_by": by, "created_at": at, "updated_at": at} for s in states
    ]
    result = session.execute(table.insert().returning(table.c.id, table.c.code), rows)
    return {r.code: r.id for r in result}


def update_dossiers(session: Session, states: Sequence[DossierState], at: datetime) -> None:
    if not states:
        return
    table = _table(DossierRow)
    values: dict[str, Any] = {
        name: bindparam(f"v_{name}") for name in _STATE_COLUMNS if name != "code"
    }
    statement = update(table).where(table.c.id == bindparam("v_id")).values(**values, updated_at=at)
    rows = [
        {"v_id": s.id, **{f"v_{k}": v for k, v in _state_values(s).items() if k != "code"}}
        for s in states
    ]
    session.connection().execute(statement, rows)


def insert_events(
    session: Session, events: Sequence[tuple[int, Event]], at: datetime, by: str
) -> None:
    if not events:
        return
    rows = [
        {
            "dossier_id": dossier_id,
            "kind": e.kind,
            "event_key": e.event_key,
            "at": e.at,
            "status": e.status,
            "applied": e.applied,
            "data": e.data,
            "synced_at": at,
            "synced_by": by,
        }
        for dossier_id, e in events
    ]
    session.execute(_table(DossierEventRow).insert(), rows)


def add_stats(session: Session, deltas: Deltas) -> None:
    """Add the batch's increments to ``portal_stats`` (one upsert per agency and month, in key
    order so that concurrent batches lock rows in the same order)."""
    grouped: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
    for (period, agency, root, name), amount in deltas.counts.items():
        if amount:
            grouped[(period, agency, root)][name] = (
                grouped[(period, agency, root)].get(name, 0) + amount
            )
    if not grouped:
        return
    table = _table(StatRow)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    rows = [
        {
            "period": p,
            "agency_code": a,
            "root_code": r,
            **{c: counts.get(c, 0) for c in STAT_COUNTERS},
        }
        for (p, a, r), counts in sorted(grouped.items())
    ]
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.period, table.c.agency_code],
        set_={c: table.c[c] + statement.excluded[c] for c in STAT_COUNTERS},
    )
    session.execute(statement, rows)


def rebuild_stats(session: Session) -> None:
    """Recompute ``portal_stats`` from the dossiers (repair, or after a bulk load). Lag
    counters cannot be recomputed (the event times are in the history) and restart at 0."""
    d = _table(DossierRow)
    session.execute(_table(StatRow).delete())

    def when(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    query = select(
        d.c.period,
        d.c.agency_code,
        func.min(d.c.root_code),
        func.count(),
        func.count(d.c.wrong_code),
        func.count(d.c.timeliness),
        when(d.c.timeliness == "EARLY"),
        when(d.c.timeliness == "ON_TIME"),
        when(d.c.timeliness == "LATE"),
        when(d.c.channel == 1),
        when(d.c.channel == 2),
        when(d.c.channel == 3),
        literal(0),
        literal(0),
    ).group_by(d.c.period, d.c.agency_code)
    columns = ["period", "agency_code", "root_code", *STAT_COUNTERS]
    session.execute(_table(StatRow).insert().from_select(columns, query))


def add_rejections(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(_table(RejectionRow).insert(), list(rows))


def dossier_by_code(session: Session, code: str) -> DossierState | None:
    table = _table(DossierRow)
    row = session.execute(select(table).where(table.c.code == code)).first()
    return _state(row) if row else None


def dossier_history(session: Session, dossier_id: int) -> list[dict[str, Any]]:
    t = _table(DossierEventRow)
    rows = session.execute(
        select(t.c.kind, t.c.at, t.c.status, t.c.applied, t.c.data, t.c.synced_at)
        .where(t.c.dossier_id == dossier_id)
        .order_by(t.c.at, t.c.id)
    )
    return [
        {
            "kind": r.kind,
            "at": as_utc(r.at),
            "status": r.status,
            "applied": r.applied,
            "data": r.data,
            "synced_at": as_utc(r.synced_at),
        }
        for r in rows
    ]


def wrong_code_queue(session: Session, root_code: str | None, limit: int) -> list[DossierState]:
    table = _table(DossierRow)
    query = select(table).where(table.c.wrong_code.is_not(None))
    if root_code:
        query = query.where(table.c.root_code == root_code)
    rows = session.execute(query.order_by(table.c.id).limit(limit))
    return [_state(r) for r in rows]


def dossiers_for(
    session: Session, agency_code: str, period: str, timeliness: str | None, limit: int
) -> list[DossierState]:
    table = _table(DossierRow)
    query = select(table).where(table.c.agency_code == agency_code, table.c.period == period)
    if timeliness:
        query = query.where(table.c.timeliness == timeliness)
    rows = session.execute(query.order_by(table.c.id).limit(limit))
    return [_state(r) for r in rows]


# --- aggregates ------------------------------------------------------------------------------


def stats_by(
    session: Session, start: str, end: str, *, by_agency: bool = False
) -> list[dict[str, Any]]:
    """Counters summed per root (province or ministry), or per agency, for months
    ``start``-``end`` (``YYYY-MM``, inclusive)."""
    t = _table(StatRow)
    keys = [t.c.root_code, t.c.agency_code] if by_agency else [t.c.root_code]
    rows = session.execute(
        select(*keys, *[func.sum(t.c[c]).label(c) for c in STAT_COUNTERS])
        .where(t.c.period >= start, t.c.period <= end)
        .group_by(*keys)
    )
    return [dict(r._mapping) for r in rows]


def rejections_by(session: Session, start: str, end: str) -> list[dict[str, Any]]:
    t = _table(RejectionRow)
    rows = session.execute(
        select(t.c.root_code, t.c.reason, func.count().label("n"))
        .where(t.c.period >= start, t.c.period <= end)
        .group_by(t.c.root_code, t.c.reason)
    )
    return [dict(r._mapping) for r in rows]


def dossier_spread(session: Session) -> dict[str, int]:
    """How the dossiers spread: ``status_<n>``, ``wrong_code``, ``code_format_problem``,
    ``early`` / ``on_time`` / ``late``, ``supplemented`` (for the demo's counts and tests)."""
    t = _table(DossierRow)
    out: dict[str, int] = {}
    for status, n in session.execute(select(t.c.status, func.count()).group_by(t.c.status)):
        out[f"status_{status}"] = int(n)
    for timeliness, n in session.execute(
        select(t.c.timeliness, func.count())
        .where(t.c.timeliness.is_not(None))
        .group_by(t.c.timeliness)
    ):
        out[str(timeliness).lower()] = int(n)
    for name, where in (
        ("wrong_code", t.c.wrong_code.is_not(None)),
        ("code_format_problem", t.c.code_format_problem.is_not(None)),
        ("supplemented", t.c.supplement_count > 0),
    ):
        out[name] = int(session.scalar(select(func.count()).select_from(t).where(where)) or 0)
    return out


def count_rows(session: Session, table: str) -> int:
    model = {"dossiers": DossierRow, "events": DossierEventRow, "rejections": RejectionRow}[table]
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


# --- gateway sessions -------------------------------------------------------------------------


def add_session(
    session: Session, token_hash: str, agency: str, at: datetime, until: datetime
) -> None:
    session.add(
        SessionRow(token_hash=token_hash, agency_code=agency, created_at=at, expires_at=until)
    )


def session_agency(session: Session, token_hash: str, now: datetime) -> str | None:
    row = session.get(SessionRow, token_hash)
    if row is None or as_utc(row.expires_at) <= now:
        return None
    return row.agency_code


# The feedback tables register on the same metadata (schema.STORE_MODULES lists this module).
from lienthong.portal import feedback_store as _feedback_store  # noqa: E402, F401
