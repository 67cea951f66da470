"""The gateway's own SQLite file: the outbox (signed packages and the hub's answers, so that a
retry resends the same bytes under the same key) and the inbox (received packages with their
verification report). Its own metadata: these tables never live in the hub's database.
Package bytes live in files next to it (``<data_dir>/packages/<sha256>.xml``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, MetaData, String, Text, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from lienthong.db import NAMING


class GatewayBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Outgoing(GatewayBase):
    __tablename__ = "gateway_outbox"

    idempotency_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    raw_sha256: Mapped[str] = mapped_column(String(64))  # what the document software gave
    package_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    receipt: Mapped[str | None] = mapped_column(Text)


class Incoming(GatewayBase):
    __tablename__ = "gateway_inbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hub_delivery_id: Mapped[int] = mapped_column(Integer, unique=True)
    message_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    sender: Mapped[str] = mapped_column(String(64))
    package_sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    verified: Mapped[bool] = mapped_column(Boolean)
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    acked: Mapped[str | None] = mapped_column(String(8))  # done | fail, once the hub took it


def outgoing(session: Session, key: str) -> Outgoing | None:
    return session.get(Outgoing, key)


def incoming_by_delivery(session: Session, hub_delivery_id: int) -> Incoming | None:
    return session.scalars(
        select(Incoming).where(Incoming.hub_delivery_id == hub_delivery_id)
    ).first()


def incoming_by_package(session: Session, sender: str, package_sha256: str) -> Incoming | None:
    """The first inbox entry holding exactly these bytes from ``sender``."""
    return session.scalars(
        select(Incoming)
        .where(Incoming.sender == sender, Incoming.package_sha256 == package_sha256)
        .order_by(Incoming.id)
    ).first()


def list_incoming(
    session: Session, *, after: int, limit: int, verified: bool | None
) -> list[Incoming]:
    query = select(Incoming).where(Incoming.id > after).order_by(Incoming.id).limit(limit)
    if verified is not None:
        query = query.where(Incoming.verified.is_(verified))
    return list(session.scalars(query))


def unacked(session: Session) -> list[Incoming]:
    return list(session.scalars(select(Incoming).where(Incoming.acked.is_(None))))
