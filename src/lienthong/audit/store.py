"""The audit log: one row per action, written in the same transaction as the action, and
the hash chain that seals it afterwards (:mod:`lienthong.audit.chain`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, String, Text, func, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lienthong.db import Base

_ID = BigInteger().with_variant(Integer(), "sqlite")


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session's transaction (it commits with the action)."""
    event = AuditEvent(at=at, actor=actor, action=action, subject=subject, detail=detail or {})
    session.add(event)
    return event


# --- the hash chain -----------------------------------------------------------------------
# A separate table rather than columns on ``audit_events``: the action's transaction keeps
# inserting exactly what it inserted before (no hash, no lock, no read of the previous row),
# and an existing database gains the chain by creating one table. See lienthong.audit.chain.


class AuditLink(Base):
    """One sealed audit event: its place in the chain and the chain's hash up to it."""

    __tablename__ = "audit_chain"

    seq: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=False)
    # No foreign key on purpose: a deleted event must leave its link behind as evidence.
    event_id: Mapped[int] = mapped_column(_ID, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditCheckpoint(Base):
    """The chain's head at a moment, signed by the hub (a JWS), to detect a rewritten or
    truncated chain: anyone able to write the tables can recompute unkeyed hashes."""

    __tablename__ = "audit_checkpoints"

    seq: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signature: Mapped[str | None] = mapped_column(Text)


def chain_head(session: Session) -> AuditLink | None:
    """The last link of the chain, or ``None`` when nothing is sealed yet."""
    return session.scalars(select(AuditLink).order_by(AuditLink.seq.desc()).limit(1)).first()


def unsealed_events(session: Session, *, after_id: int, limit: int) -> list[AuditEvent]:
    """Events above ``after_id`` without a link, in id order (the sealing order)."""
    linked = select(AuditLink.event_id).where(AuditLink.event_id == AuditEvent.id).exists()
    query = (
        select(AuditEvent)
        .where(AuditEvent.id > after_id, ~linked)
        .order_by(AuditEvent.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def add_links(session: Session, links: list[dict[str, Any]]) -> None:
    if links:
        session.execute(insert(AuditLink), links)


def links_with_events(
    session: Session, *, after_seq: int, limit: int
) -> list[tuple[AuditLink, AuditEvent | None]]:
    """Links above ``after_seq`` in chain order, each with its event (``None``: deleted)."""
    query = (
        select(AuditLink, AuditEvent)
        .outerjoin(AuditEvent, AuditEvent.id == AuditLink.event_id)
        .where(AuditLink.seq > after_seq)
        .order_by(AuditLink.seq)
        .limit(limit)
    )
    return [(link, event) for link, event in session.execute(query)]


def count_unsealed(session: Session) -> int:
    linked = select(AuditLink.event_id).where(AuditLink.event_id == AuditEvent.id).exists()
    return int(session.scalar(select(func.count()).select_from(AuditEvent).where(~linked)) or 0)


def last_checkpoint(session: Session) -> AuditCheckpoint | None:
    return session.scalars(
        select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1)
    ).first()


def link_at(session: Session, seq: int) -> AuditLink | None:
    return session.get(AuditLink, seq)
