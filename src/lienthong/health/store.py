"""The one table the readiness check writes: proof that a transaction can be committed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from lienthong.db import Base


class HealthProbe(Base):
    """One row per probe name, rewritten by every readiness check (never grows)."""

    __tablename__ = "health_probes"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    checked_by: Mapped[str] = mapped_column(String(255))


def write_probe(session: Session, name: str, at: datetime, by: str) -> None:
    """Rewrite the probe row ``name`` (inserted the first time)."""
    changed = session.execute(
        update(HealthProbe)
        .where(HealthProbe.name == name)
        .values(checked_at=at, checked_by=by)
        .execution_options(synchronize_session=False)
    )
    if getattr(changed, "rowcount", 0) == 0:
        session.add(HealthProbe(name=name, checked_at=at, checked_by=by))
