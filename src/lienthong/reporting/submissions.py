"""What the reporting services share: the states of a report version, the value returned to
callers (:class:`Submission`), the status row written on each change, and refusals."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from lienthong.errors import ErrorCode, LienthongError
from lienthong.reporting import store

DRAFT, SUBMITTED, ACCEPTED, RETURNED, SUPERSEDED = (
    "draft",
    "submitted",
    "accepted",
    "returned",
    "superseded",
)
CHANNELS = ("web", "xlsx", "api", "adx", "dhis2")


class ReportingError(LienthongError):
    default_code = ErrorCode.REQUEST_INVALID


def refuse(code: ErrorCode, message: str | None = None, **detail: Any) -> ReportingError:
    return ReportingError(message, code=code, detail=detail)


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    level: str
    parent_code: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass
class Submission:
    id: int
    regime: str
    period: str
    unit_code: str
    level: str
    version: int
    state: str
    channel: str
    created_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    comment: str | None
    reason: str | None
    signer: str | None
    regime_version: int = 1  # the regime version the report was made under (kept for good)
    values: dict[str, float] = field(default_factory=dict)
    sections: dict[str, str] = field(default_factory=dict)


def view_of(session: Session, row: store.SubmissionRow) -> Submission:
    return Submission(
        id=row.id,
        regime=row.regime,
        period=row.period,
        unit_code=row.unit_code,
        level=row.level,
        version=row.version,
        state=row.state,
        channel=row.channel,
        created_at=row.created_at,
        submitted_at=row.submitted_at,
        decided_at=row.decided_at,
        comment=row.comment,
        reason=row.reason,
        signer=row.signer,
        regime_version=row.regime_version,
        values=store.values_of(session, row.id),
        sections=json.loads(row.sections or "{}"),
    )


def status_of(
    row: store.SubmissionRow,
    *,
    first_submitted_at: datetime | None = None,
    accepted_at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "regime": row.regime,
        "period": row.period,
        "unit_code": row.unit_code,
        "submission_id": row.id,
        "version": row.version,
        "state": row.state,
        "first_submitted_at": first_submitted_at,
        "accepted_at": accepted_at,
    }
