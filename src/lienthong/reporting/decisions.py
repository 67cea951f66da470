"""The receiver's decisions on a submitted report: accept (with consolidation into every
ancestor, in every flow of the regime, in the same transaction) or return with comments.

Only the unit's parent in the regime's flow decides (Decree 09/2019/NĐ-CP Art. 8(4): the
receiving body of each level). A mixin of :class:`lienthong.reporting.service.ReportingService`.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from lienthong.accounts.model import Role
from lienthong.audit import store as audit
from lienthong.clock import Clock
from lienthong.db import Database
from lienthong.errors import ErrorCode
from lienthong.notifications import store as notices
from lienthong.notifications.model import NotificationKind, shorten
from lienthong.reporting import store
from lienthong.reporting.model import Period, Window
from lienthong.reporting.regimes import RegimeVersion
from lienthong.reporting.rules import aggregatable
from lienthong.reporting.submissions import (
    ACCEPTED,
    RETURNED,
    SUBMITTED,
    SUPERSEDED,
    Submission,
    refuse,
    status_of,
    view_of,
)


class ReceiverDecisions:
    """Accept / return; relies on the service's database, clock, ``resolve`` and ``_load``."""

    db: Database
    clock: Clock

    def resolve(self, regime_code: str, period_code: str) -> tuple[RegimeVersion, Period, Window]:
        raise NotImplementedError

    def _load(self, session: Session, submission_id: int) -> store.SubmissionRow:
        raise NotImplementedError

    def _receiver_check(
        self, session: Session, regime: RegimeVersion, row: store.SubmissionRow, receiver: str
    ) -> None:
        unit = store.get_unit(session, regime.flow, row.unit_code)
        if unit is None or unit.parent_code != receiver:
            raise refuse(ErrorCode.REPORT_UNIT_MISMATCH, receiver=receiver)

    def accept(self, receiver: str, submission_id: int, *, actor: str) -> Submission:
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            row = self._load(session, submission_id)
            regime, _period, _window = self.resolve(row.regime, row.period)
            self._receiver_check(session, regime, row, receiver)
            if row.state != SUBMITTED:
                raise refuse(ErrorCode.REPORT_STATE_INVALID, state=row.state)
            old: dict[str, float] = {}
            for earlier in store.submissions_of(session, row.regime, row.period, row.unit_code):
                if earlier.state == ACCEPTED:
                    old = store.values_of(session, earlier.id)
                    earlier.state = SUPERSEDED
            new = store.values_of(session, row.id)
            row.state = ACCEPTED
            row.decided_at = now
            row.decided_by = actor
            status = store.statuses(session, row.regime, row.period)[row.unit_code]
            store.put_status(
                session,
                status_of(row, first_submitted_at=status.first_submitted_at, accepted_at=now),
            )
            self._consolidate(session, regime, row, old, new)
            audit.record(
                session,
                at=now,
                actor=actor,
                action="reporting.accept",
                subject=f"{row.regime}/{row.period}/{row.unit_code}",
                detail={"id": row.id, "version": row.version},
            )
            return view_of(session, row)

    def _consolidate(
        self,
        session: Session,
        regime: RegimeVersion,
        row: store.SubmissionRow,
        old: Mapping[str, float],
        new: Mapping[str, float],
    ) -> None:
        deltas: dict[str, tuple[float, int]] = {}
        for cell in aggregatable(regime.form):
            d_total = new.get(cell, 0.0) - old.get(cell, 0.0)
            d_count = (cell in new) - (cell in old)
            if d_total or d_count:
                deltas[cell] = (d_total, d_count)
        for flow in (regime.flow, *regime.also_flows):
            nodes = store.ancestors_of(session, flow, row.unit_code)
            store.add_to_aggregates(
                session,
                regime=regime.code,
                period=row.period,
                flow=flow,
                nodes=nodes,
                source_level=row.level,
                deltas=deltas,
            )

    def return_report(
        self, receiver: str, submission_id: int, comment: str, *, actor: str
    ) -> Submission:
        if not comment.strip():
            raise refuse(ErrorCode.REPORT_REASON_REQUIRED)
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            row = self._load(session, submission_id)
            regime, period, _window = self.resolve(row.regime, row.period)
            self._receiver_check(session, regime, row, receiver)
            if row.state != SUBMITTED:
                raise refuse(ErrorCode.REPORT_STATE_INVALID, state=row.state)
            row.state = RETURNED
            row.comment = comment.strip()
            row.decided_at = now
            row.decided_by = actor
            row.pdf_digest = row.pdf_length = None
            status = store.statuses(session, row.regime, row.period)[row.unit_code]
            store.put_status(session, status_of(row, first_submitted_at=status.first_submitted_at))
            audit.record(
                session,
                at=now,
                actor=actor,
                action="reporting.return",
                subject=f"{row.regime}/{row.period}/{row.unit_code}",
                detail={"id": row.id, "comment": comment.strip()},
            )
            by = store.get_unit(session, regime.flow, receiver)
            notices.tell_role(
                session,
                row.unit_code,
                Role.REPORTING_OFFICER,
                NotificationKind.REPORT_RETURNED,
                f"{by.name if by else receiver} trả lại báo cáo {regime.name}, {period.label}: "
                f"{shorten(comment)}",
                f"/bao-cao/ky/{row.regime}/{row.period}",
                at=now,
            )
            return view_of(session, row)
