"""Stored reporting regimes and the shared indicator catalogue. Stores receive a session and
never commit.

- ``reporting_regimes``: one row per regime (code, name, issuing agency, legal basis, status
  ``draft`` / ``published`` / ``retired``, ``revision`` counting its changes);
- ``reporting_regime_versions``: its versions, each with ``effective_from``, a state (``draft``
  / ``published``) and the whole definition as a JSON document
  (:class:`lienthong.reporting.documents.VersionDoc`), read back through the pure model;
- ``reporting_indicators``: the indicator catalogue shared by regimes (code, name, unit,
  aggregation, disaggregations).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from lienthong.db import Base
from lienthong.reporting.store import SubmissionRow

DRAFT = "draft"
PUBLISHED = "published"
RETIRED = "retired"


class RegimeRow(Base):
    __tablename__ = "reporting_regimes"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    issuer_code: Mapped[str] = mapped_column(String(35), index=True)
    legal_basis: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    retired_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    revision: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RegimeVersionRow(Base):
    __tablename__ = "reporting_regime_versions"
    regime: Mapped[str] = mapped_column(
        ForeignKey("reporting_regimes.code", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class IndicatorRow(Base):
    __tablename__ = "reporting_indicators"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    unit: Mapped[str] = mapped_column(String(64))
    aggregation: Mapped[str] = mapped_column(String(16))
    disaggregations: Mapped[str] = mapped_column(Text, default="")  # codes, comma-separated
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def get_regime(session: Session, code: str, *, lock: bool = False) -> RegimeRow | None:
    return session.get(RegimeRow, code, with_for_update=lock)


def regimes(session: Session, issuer: str | None = None) -> list[RegimeRow]:
    query = select(RegimeRow).order_by(RegimeRow.code)
    if issuer is not None:
        query = query.where(RegimeRow.issuer_code == issuer)
    return list(session.scalars(query))


def versions_of(session: Session, code: str) -> list[RegimeVersionRow]:
    return list(
        session.scalars(
            select(RegimeVersionRow)
            .where(RegimeVersionRow.regime == code)
            .order_by(RegimeVersionRow.version)
        )
    )


def all_versions(session: Session, codes: Sequence[str] | None = None) -> list[RegimeVersionRow]:
    query = select(RegimeVersionRow).order_by(RegimeVersionRow.regime, RegimeVersionRow.version)
    if codes is not None:
        query = query.where(RegimeVersionRow.regime.in_(list(codes)))
    return list(session.scalars(query))


def add_regime(session: Session, values: Mapping[str, Any]) -> RegimeRow:
    row = RegimeRow(**values)
    session.add(row)
    session.flush()
    return row


def add_version(session: Session, values: Mapping[str, Any]) -> RegimeVersionRow:
    row = RegimeVersionRow(**values)
    session.add(row)
    session.flush()
    return row


def fingerprint(session: Session) -> tuple[int, int]:
    """(regimes, sum of revisions): changes whenever a regime or version is written."""
    count, total = session.execute(
        select(func.count(RegimeRow.code), func.coalesce(func.sum(RegimeRow.revision), 0))
    ).one()
    return int(count), int(total)


def in_force_rows(session: Session) -> list[tuple[RegimeRow, RegimeVersionRow]]:
    """The published versions of published or retired regimes (the runtime catalogue)."""
    rows = session.execute(
        select(RegimeRow, RegimeVersionRow)
        .join(RegimeVersionRow, RegimeVersionRow.regime == RegimeRow.code)
        .where(
            RegimeRow.status.in_([PUBLISHED, RETIRED]),
            RegimeVersionRow.state == PUBLISHED,
        )
        .order_by(RegimeRow.code, RegimeVersionRow.version)
    ).all()
    return [(r, v) for r, v in rows]


def submitted_periods(session: Session, code: str) -> list[tuple[str, int]]:
    """The (period, regime version) pairs that hold any report of regime ``code``."""
    rows = session.execute(
        select(SubmissionRow.period, SubmissionRow.regime_version)
        .where(SubmissionRow.regime == code)
        .distinct()
    ).all()
    return sorted((str(p), int(v)) for p, v in rows)


def indicators(session: Session) -> list[IndicatorRow]:
    return list(session.scalars(select(IndicatorRow).order_by(IndicatorRow.code)))


def put_indicators(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert or update catalogue indicators by code."""
    for values in rows:
        row = session.get(IndicatorRow, values["code"])
        if row is None:
            session.add(IndicatorRow(**values))
        else:
            for key, value in values.items():
                setattr(row, key, value)
    session.flush()
