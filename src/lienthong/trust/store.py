"""Revocation answers (OCSP or CRL), kept so that validation can go on for a grace period
while a responder is unreachable. One row per certificate (issuer key hash + serial)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, LargeBinary, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lienthong.db import Base

__all__ = ["RevocationAnswer", "load_answer", "save_answer"]


class RevocationAnswer(Base):
    __tablename__ = "revocation_answers"

    cert_key: Mapped[str] = mapped_column(String(200), primary_key=True)  # issuer hash:serial
    source: Mapped[str] = mapped_column(String(8))  # ocsp | crl
    status: Mapped[str] = mapped_column(String(8))  # good | revoked
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(String(32))
    this_update: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    next_update: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    evidence: Mapped[bytes | None] = mapped_column(LargeBinary)  # the OCSP response (DER)


def load_answer(session: Session, cert_key: str) -> RevocationAnswer | None:
    return session.scalars(
        select(RevocationAnswer).where(RevocationAnswer.cert_key == cert_key)
    ).first()


def save_answer(session: Session, answer: RevocationAnswer) -> None:
    """Insert or replace the answer for its certificate."""
    session.merge(answer)
