"""Reporting tables and their queries. Stores receive a session and never commit.

- ``reporting_units`` / ``reporting_ancestors``: the trees of reporting units per *flow*
  (geographic, sectoral), with a closure table so that consolidation touches every ancestor
  in one statement;
- ``reporting_submissions`` / ``reporting_values``: every version of every report, its state,
  its signed PDF and its figures (history is never overwritten);
- ``reporting_status``: one row per (regime, period, unit): the current version and the times
  that timeliness is computed from;
- ``reporting_aggregates``: consolidated sums per (regime, period, flow, node, source level,
  cell), updated in the acceptance transaction (no nightly batch);
- ``reporting_closures``, ``reporting_targets``, ``reporting_requests`` (+ recipients),
  ``reporting_notifications`` (the reminder / escalation outbox).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from lienthong.db import MAX_ROW_ID, Base


class UnitRow(Base):
    __tablename__ = "reporting_units"
    flow: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(35), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    level: Mapped[str] = mapped_column(String(32))
    parent_code: Mapped[str | None] = mapped_column(String(35), nullable=True)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    __table_args__ = (Index("ix_reporting_units_parent", "flow", "parent_code"),)


class AncestorRow(Base):
    __tablename__ = "reporting_ancestors"
    flow: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(35), primary_key=True)
    ancestor: Mapped[str] = mapped_column(String(35), primary_key=True)
    depth: Mapped[int] = mapped_column(Integer)


class SubmissionRow(Base):
    __tablename__ = "reporting_submissions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    regime: Mapped[str] = mapped_column(String(32))
    regime_version: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(16))
    unit_code: Mapped[str] = mapped_column(String(35))
    level: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8))
    sections: Mapped[str] = mapped_column(Text, default="{}")
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The PDF itself is in the row (signed_pdf), not in the blob store.
    pdf_digest: Mapped[str | None] = mapped_column(String(64), nullable=True, info={"blob": False})
    pdf_length: Mapped[int | None] = mapped_column(Integer, nullable=True)
    signed_pdf: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    signer: Mapped[str | None] = mapped_column(String(255), nullable=True)
    __table_args__ = (
        UniqueConstraint("regime", "period", "unit_code", "version"),
        Index("ix_reporting_submissions_state", "regime", "period", "state"),
    )


class ValueRow(Base):
    __tablename__ = "reporting_values"
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("reporting_submissions.id", ondelete="CASCADE"), primary_key=True
    )
    cell: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[float] = mapped_column(Double)


class StatusRow(Base):
    __tablename__ = "reporting_status"
    regime: Mapped[str] = mapped_column(String(32), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(35), primary_key=True)
    submission_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    first_submitted_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AggregateRow(Base):
    __tablename__ = "reporting_aggregates"
    regime: Mapped[str] = mapped_column(String(32), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    flow: Mapped[str] = mapped_column(String(32), primary_key=True)
    node: Mapped[str] = mapped_column(String(35), primary_key=True)
    source_level: Mapped[str] = mapped_column(String(32), primary_key=True)
    cell: Mapped[str] = mapped_column(String(64), primary_key=True)
    total: Mapped[float] = mapped_column(Double)
    count: Mapped[int] = mapped_column(Integer)


class ClosureRow(Base):
    __tablename__ = "reporting_closures"
    regime: Mapped[str] = mapped_column(String(32), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str] = mapped_column(String(64))


class TargetRow(Base):
    __tablename__ = "reporting_targets"
    regime: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(35), primary_key=True)
    cell: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[float] = mapped_column(Double)


class RequestRow(Base):
    __tablename__ = "reporting_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text)
    issuer_code: Mapped[str] = mapped_column(String(35))
    cutoff: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class RequestRecipientRow(Base):
    __tablename__ = "reporting_request_recipients"
    request_id: Mapped[int] = mapped_column(
        ForeignKey("reporting_requests.id", ondelete="CASCADE"), primary_key=True
    )
    unit_code: Mapped[str] = mapped_column(String(35), primary_key=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)


class NotificationRow(Base):
    __tablename__ = "reporting_notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # reminder | escalation
    regime: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(16))
    unit_code: Mapped[str] = mapped_column(String(35))
    recipient: Mapped[str] = mapped_column(String(35))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    __table_args__ = (UniqueConstraint("kind", "regime", "period", "unit_code"),)


# --- queries ---------------------------------------------------------------------------


def _upsert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def add_units(
    session: Session, flow: str, units: Sequence[Mapping[str, Any]], chunk: int = 5000
) -> None:
    """Insert units (parents before children) and their closure rows."""
    ancestors: dict[str, list[str]] = {}
    existing = session.execute(
        select(AncestorRow.code, AncestorRow.ancestor, AncestorRow.depth).where(
            AncestorRow.flow == flow
        )
    ).all()
    for code, anc, _depth in sorted(existing, key=lambda r: r[2]):
        ancestors.setdefault(code, []).append(anc)
    closure: list[dict[str, Any]] = []
    for unit in units:
        parent = unit.get("parent_code")
        chain = ([parent, *ancestors.get(parent, [])]) if parent else []
        ancestors[unit["code"]] = chain
        closure += [
            {"flow": flow, "code": unit["code"], "ancestor": a, "depth": i + 1}
            for i, a in enumerate(chain)
        ]
    rows = [{"flow": flow, **u} for u in units]
    for i in range(0, len(rows), chunk):
        session.execute(insert(UnitRow), rows[i : i + chunk])
    for i in range(0, len(closure), chunk):
        session.execute(insert(AncestorRow), closure[i : i + chunk])


def get_unit(session: Session, flow: str, code: str) -> UnitRow | None:
    return session.get(UnitRow, (flow, code))


def unit_names(session: Session, flow: str, codes: Iterable[str]) -> dict[str, str]:
    """The names of the units among ``codes`` (code -> name); unknown codes are absent."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = session.execute(
        select(UnitRow.code, UnitRow.name).where(UnitRow.flow == flow, UnitRow.code.in_(wanted))
    )
    return {code: name for code, name in rows}


def units_of(session: Session, flow: str, levels: Iterable[str]) -> list[UnitRow]:
    return list(
        session.scalars(
            select(UnitRow)
            .where(UnitRow.flow == flow, UnitRow.level.in_(list(levels)))
            .order_by(UnitRow.code)
        )
    )


def unit_tuples(session: Session, flow: str, levels: Iterable[str]) -> list[Any]:
    """Light rows (code, name, level, parent_code, valid_from, valid_to) for big listings."""
    return list(
        session.execute(
            select(
                UnitRow.code,
                UnitRow.name,
                UnitRow.level,
                UnitRow.parent_code,
                UnitRow.valid_from,
                UnitRow.valid_to,
            )
            .where(UnitRow.flow == flow, UnitRow.level.in_(list(levels)))
            .order_by(UnitRow.code)
        ).all()
    )


def status_tuples(session: Session, regime: str, period: str) -> dict[str, Any]:
    """Light rows (unit_code, state, first_submitted_at, submission_id) per unit."""
    rows = session.execute(
        select(
            StatusRow.unit_code,
            StatusRow.state,
            StatusRow.first_submitted_at,
            StatusRow.submission_id,
        ).where(StatusRow.regime == regime, StatusRow.period == period)
    )
    return {row.unit_code: row for row in rows}


def ancestors_of(session: Session, flow: str, code: str) -> list[str]:
    return list(
        session.scalars(
            select(AncestorRow.ancestor)
            .where(AncestorRow.flow == flow, AncestorRow.code == code)
            .order_by(AncestorRow.depth)
        )
    )


def descendants_of(session: Session, flow: str, code: str) -> set[str]:
    return set(
        session.scalars(
            select(AncestorRow.code).where(AncestorRow.flow == flow, AncestorRow.ancestor == code)
        )
    )


def roots(session: Session, flow: str) -> list[UnitRow]:
    return list(
        session.scalars(select(UnitRow).where(UnitRow.flow == flow, UnitRow.parent_code.is_(None)))
    )


def children(session: Session, flow: str, code: str) -> list[UnitRow]:
    return list(
        session.scalars(
            select(UnitRow)
            .where(UnitRow.flow == flow, UnitRow.parent_code == code)
            .order_by(UnitRow.code)
        )
    )


def submissions_of(session: Session, regime: str, period: str, unit: str) -> list[SubmissionRow]:
    return list(
        session.scalars(
            select(SubmissionRow)
            .where(
                SubmissionRow.regime == regime,
                SubmissionRow.period == period,
                SubmissionRow.unit_code == unit,
            )
            .order_by(SubmissionRow.version)
        )
    )


def values_of(session: Session, submission_id: int) -> dict[str, float]:
    rows = session.execute(
        select(ValueRow.cell, ValueRow.value).where(ValueRow.submission_id == submission_id)
    )
    return {cell: value for cell, value in rows}


def replace_values(session: Session, submission_id: int, values: Mapping[str, float]) -> None:
    session.query(ValueRow).filter(ValueRow.submission_id == submission_id).delete()
    if len(values) > BULK_VALUES:  # an imported file of many values: COPY / Core executemany
        bulk_values(session, ((submission_id, c, v) for c, v in values.items()))
    elif values:
        session.execute(
            insert(ValueRow),
            [{"submission_id": submission_id, "cell": c, "value": v} for c, v in values.items()],
        )


BULK_VALUES = 1000


def bulk_values(session: Session, rows: Iterable[tuple[int, str, float]]) -> int:
    """Insert many value rows: ``COPY`` on PostgreSQL, batched executemany on SQLite."""
    count = 0
    if session.get_bind().dialect.name == "postgresql":
        raw: Any = session.connection().connection.driver_connection
        with (
            raw.cursor() as cur,
            cur.copy("COPY reporting_values (submission_id, cell, value) FROM STDIN") as cp,
        ):
            for row in rows:
                cp.write_row(row)
                count += 1
        return count
    # The driver's own executemany (qmark parameters): no ORM or statement compilation per row.
    sql = "INSERT INTO reporting_values (submission_id, cell, value) VALUES (?, ?, ?)"
    connection = session.connection()
    batch: list[tuple[int, str, float]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= 10000:
            connection.exec_driver_sql(sql, batch)
            count += len(batch)
            batch = []
    if batch:
        connection.exec_driver_sql(sql, batch)
        count += len(batch)
    return count


def put_status(session: Session, values: Mapping[str, Any]) -> None:
    ins = _upsert(session)(StatusRow).values(**values)
    keys = ("regime", "period", "unit_code")
    session.execute(
        ins.on_conflict_do_update(
            index_elements=list(keys),
            set_={k: ins.excluded[k] for k in values if k not in keys},
        )
    )


def statuses(session: Session, regime: str, period: str) -> dict[str, StatusRow]:
    rows = session.scalars(
        select(StatusRow).where(StatusRow.regime == regime, StatusRow.period == period)
    )
    return {row.unit_code: row for row in rows}


def add_to_aggregates(
    session: Session,
    *,
    regime: str,
    period: str,
    flow: str,
    nodes: Sequence[str],
    source_level: str,
    deltas: Mapping[str, tuple[float, int]],
) -> None:
    """Add ``(total, count)`` deltas per cell to every node's consolidated row (upsert)."""
    if not nodes or not deltas:
        return
    rows = [
        {
            "regime": regime,
            "period": period,
            "flow": flow,
            "node": node,
            "source_level": source_level,
            "cell": cell,
            "total": total,
            "count": count,
        }
        for node in nodes
        for cell, (total, count) in deltas.items()
    ]
    ins = _upsert(session)(AggregateRow)
    stmt = ins.on_conflict_do_update(
        index_elements=["regime", "period", "flow", "node", "source_level", "cell"],
        set_={
            "total": AggregateRow.total + ins.excluded.total,
            "count": AggregateRow.count + ins.excluded.count,
        },
    )
    session.execute(stmt, rows)


def aggregates(
    session: Session, regime: str, period: str, flow: str, node: str, source_level: str
) -> dict[str, tuple[float, int]]:
    rows = session.execute(
        select(AggregateRow.cell, AggregateRow.total, AggregateRow.count).where(
            AggregateRow.regime == regime,
            AggregateRow.period == period,
            AggregateRow.flow == flow,
            AggregateRow.node == node,
            AggregateRow.source_level == source_level,
        )
    )
    return {cell: (total, count) for cell, total, count in rows}


def is_closed(session: Session, regime: str, period: str) -> bool:
    return session.get(ClosureRow, (regime, period)) is not None


def close(session: Session, regime: str, period: str, at: datetime, by: str) -> None:
    if not is_closed(session, regime, period):
        session.add(ClosureRow(regime=regime, period=period, closed_at=at, closed_by=by))


def set_targets(
    session: Session, regime: str, year: int, unit: str, targets: Mapping[str, float]
) -> None:
    ins = _upsert(session)(TargetRow)
    stmt = ins.on_conflict_do_update(
        index_elements=["regime", "year", "unit_code", "cell"], set_={"value": ins.excluded.value}
    )
    session.execute(
        stmt,
        [
            {"regime": regime, "year": year, "unit_code": unit, "cell": c, "value": v}
            for c, v in targets.items()
        ],
    )


def targets(session: Session, regime: str, year: int, unit: str) -> dict[str, float]:
    rows = session.execute(
        select(TargetRow.cell, TargetRow.value).where(
            TargetRow.regime == regime, TargetRow.year == year, TargetRow.unit_code == unit
        )
    )
    return {cell: value for cell, value in rows}


def add_notifications(session: Session, rows: Sequence[Mapping[str, Any]]) -> int:
    """Queue notifications; one per (kind, regime, period, unit), later ones ignored."""
    if not rows:
        return 0
    existing = set(
        session.execute(
            select(
                NotificationRow.kind,
                NotificationRow.regime,
                NotificationRow.period,
                NotificationRow.unit_code,
            ).where(NotificationRow.unit_code.in_({row["unit_code"] for row in rows}))
        ).all()
    )
    fresh = [
        row
        for row in rows
        if (row["kind"], row["regime"], row["period"], row["unit_code"]) not in existing
    ]
    if fresh:
        ins = _upsert(session)(NotificationRow).on_conflict_do_nothing(
            index_elements=["kind", "regime", "period", "unit_code"]
        )
        session.execute(ins, fresh)
    return len(fresh)


def notifications(session: Session, unsent_only: bool = True) -> list[NotificationRow]:
    query = select(NotificationRow).order_by(NotificationRow.id)
    if unsent_only:
        query = query.where(NotificationRow.sent_at.is_(None))
    return list(session.scalars(query))


def mark_sent(session: Session, ids: Sequence[int], at: datetime) -> None:
    if ids:
        session.execute(
            update(NotificationRow).where(NotificationRow.id.in_(list(ids))).values(sent_at=at)
        )


def add_request(
    session: Session, values: Mapping[str, Any], recipients: Sequence[str]
) -> RequestRow:
    row = RequestRow(**values)
    session.add(row)
    session.flush()
    session.execute(
        insert(RequestRecipientRow),
        [{"request_id": row.id, "unit_code": code} for code in recipients],
    )
    return row


def get_request(session: Session, request_id: int, *, lock: bool = False) -> RequestRow | None:
    if not 0 < request_id <= MAX_ROW_ID:
        return None  # no row has that id (and the driver could not even send it)
    return session.get(RequestRow, request_id, with_for_update=lock)


def get_submission(
    session: Session, submission_id: int, *, lock: bool = False
) -> SubmissionRow | None:
    """The submission, or ``None`` (also for an id no row can have: a URL's 10**30)."""
    if not 0 < submission_id <= MAX_ROW_ID:
        return None
    return session.get(SubmissionRow, submission_id, with_for_update=lock)


def recipients_of(session: Session, request_id: int) -> list[RequestRecipientRow]:
    return list(
        session.scalars(
            select(RequestRecipientRow)
            .where(RequestRecipientRow.request_id == request_id)
            .order_by(RequestRecipientRow.unit_code)
        )
    )


def requests_for(session: Session, unit: str) -> list[RequestRow]:
    """Requests issued by ``unit`` or addressed to it, newest first."""
    addressed = select(RequestRecipientRow.request_id).where(RequestRecipientRow.unit_code == unit)
    return list(
        session.scalars(
            select(RequestRow)
            .where((RequestRow.issuer_code == unit) | RequestRow.id.in_(addressed))
            .order_by(RequestRow.id.desc())
        )
    )


def unit_codes(session: Session, flow: str, codes: Iterable[str]) -> set[str]:
    return set(
        session.scalars(
            select(UnitRow.code).where(UnitRow.flow == flow, UnitRow.code.in_(list(codes)))
        )
    )
