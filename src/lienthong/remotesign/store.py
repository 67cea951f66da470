"""Tables of the demo remote signing service: signature requests and the demo SMS outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lienthong.clock import as_utc
from lienthong.db import Base
from lienthong.remotesign.model import Authorisation, RequestState

_ID = BigInteger().with_variant(Integer(), "sqlite")


class SignatureRequestRow(Base):
    """One ``credentials/authorize``: what the key holder is asked to approve."""

    __tablename__ = "remotesign_requests"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    client: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    credential_id: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    hashes: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    code_digest: Mapped[str] = mapped_column(String(64), info={"blob": False})  # of the code
    sad_digest: Mapped[str | None] = mapped_column(String(64), info={"blob": False})
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sad_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SmsRow(Base):
    """The demo's stand-in for an SMS gateway: what a text message to the holder would say."""

    __tablename__ = "remotesign_sms"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    request_id: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def authorisation(row: SignatureRequestRow) -> Authorisation:
    return Authorisation(
        state=RequestState(row.state),
        created_at=as_utc(row.created_at),
        expires_at=as_utc(row.expires_at),
        attempts=row.attempts,
        code_digest=row.code_digest,
        hashes=tuple(row.hashes),
        sad_digest=row.sad_digest,
        sad_expires_at=None if row.sad_expires_at is None else as_utc(row.sad_expires_at),
    )


def save_authorisation(row: SignatureRequestRow, auth: Authorisation) -> None:
    row.state = auth.state.value
    row.attempts = auth.attempts
    row.sad_digest = auth.sad_digest
    row.sad_expires_at = auth.sad_expires_at


def request(session: Session, request_id: str, *, lock: bool = False) -> SignatureRequestRow | None:
    query = select(SignatureRequestRow).where(SignatureRequestRow.id == request_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def sms_of(session: Session, user_id: str, limit: int = 20) -> list[SmsRow]:
    query = select(SmsRow).where(SmsRow.user_id == user_id).order_by(SmsRow.id.desc()).limit(limit)
    return list(session.scalars(query))
