"""Reporting: drafts, signed submissions, acceptance with consolidation, returns, corrections.

States (one row per version)::

    draft --submit (signed PDF)--> submitted --accept--> accepted (locked)
                                       \\--return (comments)--> returned --submit--> submitted
    accepted --correct (reason)--> a new version, draft; its acceptance supersedes the old one

Acceptance updates the consolidated rows of every ancestor, in every flow of the regime, in
the same transaction (no nightly batch): figures are visible the moment the unit of work
commits. Every action writes an audit entry in its transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date

from sqlalchemy.orm import Session

from lienthong.audit import store as audit
from lienthong.calendar import WorkingCalendar
from lienthong.clock import Clock
from lienthong.db import Database
from lienthong.errors import ErrorCode
from lienthong.reporting import store
from lienthong.reporting.decisions import ReceiverDecisions
from lienthong.reporting.exchange import Group, cells_of
from lienthong.reporting.model import Period, PeriodError, Window, local_day
from lienthong.reporting.pdf import render_lines
from lienthong.reporting.regimes import RegimeCatalogue, RegimeVersion
from lienthong.reporting.rules import (
    Problem,
    ReportContent,
    as_problems,
    validate,
)
from lienthong.reporting.submissions import (
    ACCEPTED,
    CHANNELS,
    DRAFT,
    RETURNED,
    SUBMITTED,
    SUPERSEDED,
    ReportingError,
    Submission,
    UnitSpec,
    refuse,
    status_of,
    view_of,
)
from lienthong.reporting.xlsx import XlsxLimits, build_template, parse_upload
from lienthong.trust.pdf import PdfIdentity, sign_pdf, validate_pdf
from lienthong.trust.pdf_validation import TrustSource, current_trust

__all__ = [
    "ACCEPTED",
    "CHANNELS",
    "DRAFT",
    "RETURNED",
    "SUBMITTED",
    "SUPERSEDED",
    "ReportingError",
    "ReportingService",
    "Submission",
    "UnitSpec",
    "refuse",
]


class ReportingService(ReceiverDecisions):
    """Writes of the reporting system; ``signer_for`` is the remote-signing hook used by the
    web form (the head's credential held by the signing service), ``trust`` checks PDFs."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        calendar: WorkingCalendar,
        catalogue: RegimeCatalogue,
        trust: TrustSource | None,
        signer_for: Callable[[str], PdfIdentity | None] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.calendar = calendar
        self.catalogue = catalogue
        self.trust = trust
        self.signer_for = signer_for

    # -- units ----------------------------------------------------------------------------

    def add_units(self, flow: str, units: Sequence[UnitSpec], *, actor: str = "system") -> None:
        with self.db.unit_of_work() as session:
            store.add_units(session, flow, [u.__dict__ for u in units])
            audit.record(
                session,
                at=self.clock.now(),
                actor=actor,
                action="reporting.units.add",
                subject=flow,
                detail={"count": len(units)},
            )

    # -- resolving ------------------------------------------------------------------------

    def resolve(self, regime_code: str, period_code: str) -> tuple[RegimeVersion, Period, Window]:
        try:
            period = Period.parse(period_code)
        except PeriodError as exc:
            raise refuse(ErrorCode.REPORT_PERIOD_INVALID, str(exc), period=period_code) from exc
        if not self.catalogue.versions(regime_code):
            raise refuse(ErrorCode.REGIME_UNKNOWN, regime=regime_code)
        regime = self.catalogue.get(regime_code, period.key_date)
        if regime is None or period.type not in regime.frequencies:
            raise refuse(ErrorCode.REPORT_PERIOD_INVALID, regime=regime_code, period=period_code)
        return regime, period, regime.windows.window(period)

    @staticmethod
    def addressed(session: Session, regime: RegimeVersion, unit: str) -> bool:
        """Whether the regime addresses ``unit`` (its scope and named reporters; the level is
        checked by the caller)."""
        if regime.scope is None and not regime.reporter_units:
            return True
        return regime.addresses(unit, store.ancestors_of(session, regime.flow, unit))

    def deadline(self, regime: RegimeVersion, period: Period, level: str) -> date:
        window = regime.windows.window(period)
        return regime.deadline_rule(level, period.type).due(period, window, self.calendar)

    def _reporter(
        self, session: Session, regime: RegimeVersion, period: Period, unit: str
    ) -> store.UnitRow:
        row = store.get_unit(session, regime.flow, unit)
        if row is None or row.level not in regime.level_codes:
            raise refuse(ErrorCode.REPORT_NOT_EXPECTED, unit=unit, regime=regime.code)
        if not self.addressed(session, regime, unit):
            raise refuse(ErrorCode.REPORT_NOT_EXPECTED, unit=unit, regime=regime.code)
        if not regime.is_expected(period):
            raise refuse(
                ErrorCode.REPORT_NOT_EXPECTED,
                "Kỳ báo cáo này được thay thế bằng báo cáo kỳ dài hơn.",
                period=period.code,
            )
        return row

    def _check_open(
        self, session: Session, regime: RegimeVersion, period: Period, window: Window
    ) -> None:
        if store.is_closed(session, regime.code, period.code):
            raise refuse(ErrorCode.REPORT_PERIOD_CLOSED, period=period.code)
        if local_day(self.clock.now()) < window.start:
            raise refuse(
                ErrorCode.REPORT_PERIOD_INVALID,
                "The period has not begun.",
                period=period.code,
                starts=window.start.isoformat(),
            )

    def _load(self, session: Session, submission_id: int) -> store.SubmissionRow:
        row = store.get_submission(session, submission_id, lock=True)
        if row is None:
            raise refuse(ErrorCode.REPORT_NOT_FOUND, id=submission_id)
        return row

    def _previous_cumulative(
        self, session: Session, regime: RegimeVersion, period: Period, unit: str
    ) -> dict[str, float] | None:
        before = period.previous()
        if before.year != period.year:
            return None
        status = store.statuses(session, regime.code, before.code).get(unit)
        if status is None or status.state != ACCEPTED:
            return None
        return store.values_of(session, status.submission_id)

    # -- drafting -------------------------------------------------------------------------

    def save(
        self,
        unit: str,
        regime_code: str,
        period_code: str,
        content: ReportContent,
        *,
        channel: str,
        actor: str,
        for_unit: str | None = None,
    ) -> Submission:
        """Create or update the unit's open version (draft or returned) of a report."""
        if for_unit is not None and for_unit != unit:
            raise refuse(ErrorCode.REPORT_UNIT_MISMATCH, unit=unit, for_unit=for_unit)
        regime, period, window = self.resolve(regime_code, period_code)
        problems = validate(regime.form, content, require_complete=False)
        if problems:
            raise refuse(ErrorCode.REPORT_VALIDATION_FAILED, problems=as_problems(problems))
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            reporter = self._reporter(session, regime, period, unit)
            self._check_open(session, regime, period, window)
            versions = store.submissions_of(session, regime.code, period.code, unit)
            current = versions[-1] if versions else None
            if current is not None and current.state in (ACCEPTED, SUPERSEDED):
                raise refuse(ErrorCode.REPORT_LOCKED, id=current.id)
            if current is not None and current.state == SUBMITTED:
                raise refuse(ErrorCode.REPORT_STATE_INVALID, id=current.id, state=current.state)
            if current is None:
                current = store.SubmissionRow(
                    regime=regime.code,
                    regime_version=regime.version,
                    period=period.code,
                    unit_code=unit,
                    level=reporter.level,
                    version=1,
                    state=DRAFT,
                    channel=channel,
                    created_at=now,
                )
                session.add(current)
                session.flush()
                store.put_status(session, status_of(current))
            current.channel = channel
            current.sections = json.dumps(content.sections, ensure_ascii=False)
            current.pdf_digest = current.pdf_length = None
            store.replace_values(session, current.id, content.values)
            audit.record(
                session,
                at=now,
                actor=actor,
                action="reporting.save",
                subject=f"{regime.code}/{period.code}/{unit}",
                detail={"id": current.id, "channel": channel, "cells": len(content.values)},
            )
            return view_of(session, current)

    def template(self, unit: str, regime_code: str, period_code: str) -> bytes:
        """The unit's XLSX template for the period, pre-filled with its open version."""
        regime, period, window = self.resolve(regime_code, period_code)
        with self.db.read() as session:
            reporter = self._reporter(session, regime, period, unit)
            versions = store.submissions_of(session, regime.code, period.code, unit)
            view = view_of(session, versions[-1]) if versions else None
            name = reporter.name
        return build_template(
            regime,
            period,
            window,
            unit,
            name,
            values=view.values if view else None,
            sections=view.sections if view else None,
        )

    def save_xlsx(
        self, unit: str, data: bytes, *, actor: str, limits: XlsxLimits | None = None
    ) -> Submission:
        """Save an uploaded template as the unit's open version (channel ``xlsx``); every
        refusal of :func:`parse_upload` stores nothing."""
        upload = parse_upload(data, lambda r, p: self.resolve(r, p)[0], limits=limits)
        return self.save(
            unit,
            upload.meta.regime,
            upload.meta.period,
            upload.content,
            channel="xlsx",
            actor=actor,
            for_unit=upload.meta.unit,
        )

    def import_figures(
        self,
        unit: str,
        regime_code: str,
        period_code: str,
        groups: Sequence[Group],
        *,
        channel: str,
        actor: str,
    ) -> Submission:
        """Save an ADX or DHIS2 file's figures (``groups`` from :mod:`~lienthong.reporting.adx`
        or :mod:`~lienthong.reporting.dhis2`) as ``unit``'s open version of the period, checked
        like the web form (:meth:`save`) after the file's own refusals
        (:func:`exchange.cells_of`; a unit of the file that does not report under the regime:
        ``REPORT_EXCHANGE_UNIT_INVALID``, another reporting unit: ``REPORT_UNIT_MISMATCH``).
        The text sections of the open version are kept (a file carries figures only)."""
        regime, period, _window = self.resolve(regime_code, period_code)
        incoming = cells_of(groups, regime, period)
        with self.db.read() as session:
            for code in sorted(incoming.org_units):
                row = store.get_unit(session, regime.flow, code)
                if row is None or row.level not in regime.level_codes:
                    raise refuse(
                        ErrorCode.REPORT_EXCHANGE_UNIT_INVALID, unit=code, regime=regime.code
                    )
                if code != unit:
                    raise refuse(ErrorCode.REPORT_UNIT_MISMATCH, unit=unit, for_unit=code)
            versions = store.submissions_of(session, regime.code, period.code, unit)
            sections = json.loads(versions[-1].sections or "{}") if versions else {}
        return self.save(
            unit,
            regime.code,
            period.code,
            ReportContent(incoming.values, sections),
            channel=channel,
            actor=actor,
        )

    def correct(
        self, unit: str, regime_code: str, period_code: str, reason: str, *, actor: str
    ) -> Submission:
        """A new version of an accepted report (a copy of its figures), with a reason."""
        if not reason.strip():
            raise refuse(ErrorCode.REPORT_REASON_REQUIRED)
        regime, period, window = self.resolve(regime_code, period_code)
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            reporter = self._reporter(session, regime, period, unit)
            self._check_open(session, regime, period, window)
            versions = store.submissions_of(session, regime.code, period.code, unit)
            if not versions or versions[-1].state != ACCEPTED:
                raise refuse(
                    ErrorCode.REPORT_STATE_INVALID, "Only an accepted report is corrected."
                )
            accepted = versions[-1]
            row = store.SubmissionRow(
                regime=regime.code,
                regime_version=regime.version,
                period=period.code,
                unit_code=unit,
                level=reporter.level,
                version=accepted.version + 1,
                state=DRAFT,
                channel=accepted.channel,
                sections=accepted.sections,
                reason=reason.strip(),
                created_at=now,
            )
            session.add(row)
            session.flush()
            store.replace_values(session, row.id, store.values_of(session, accepted.id))
            audit.record(
                session,
                at=now,
                actor=actor,
                action="reporting.correct",
                subject=f"{regime.code}/{period.code}/{unit}",
                detail={"id": row.id, "version": row.version, "reason": reason.strip()},
            )
            return view_of(session, row)

    # -- signing and submitting -------------------------------------------------------------

    def prepare_pdf(self, unit: str, submission_id: int, *, unit_name: str = "") -> bytes:
        """Render the report for the head's signature and remember its digest: only this
        rendering, signed, is accepted by :meth:`submit`."""
        with self.db.unit_of_work() as session:
            row = self._load(session, submission_id)
            if row.unit_code != unit:
                raise refuse(ErrorCode.REPORT_UNIT_MISMATCH, unit=unit)
            if row.state not in (DRAFT, RETURNED):
                raise refuse(ErrorCode.REPORT_STATE_INVALID, state=row.state)
            regime, period, window = self.resolve(row.regime, row.period)
            view = view_of(session, row)
            problems = self._complete_problems(session, regime, period, view)
            if problems:
                raise refuse(ErrorCode.REPORT_VALIDATION_FAILED, problems=as_problems(problems))
            unit_row = store.get_unit(session, regime.flow, unit)
            name = unit_name or (unit_row.name if unit_row else unit)
            pdf = render_lines(self._pdf_lines(regime, period, window, view, name))
            row.pdf_digest = hashlib.sha256(pdf).hexdigest()
            row.pdf_length = len(pdf)
            return pdf

    def _complete_problems(
        self, session: Session, regime: RegimeVersion, period: Period, view: Submission
    ) -> list[Problem]:
        content = ReportContent(view.values, view.sections)
        previous = self._previous_cumulative(session, regime, period, view.unit_code)
        return validate(regime.form, content, previous_cumulative=previous)

    def _pdf_lines(
        self,
        regime: RegimeVersion,
        period: Period,
        window: Window,
        view: Submission,
        unit_name: str,
    ) -> list[str]:
        lines = [
            regime.name.upper(),
            f"Đơn vị báo cáo: {unit_name} ({view.unit_code})",
            f"Kỳ báo cáo: {period.label} ({period.code}), số liệu từ "
            f"{window.start:%d/%m/%Y} đến {window.end:%d/%m/%Y}",
            f"Phiên bản: {view.version}"
            + (f" - lý do điều chỉnh: {view.reason}" if view.reason else ""),
            "",
            f"{regime.form.title} ({regime.form.template_id})",
        ]
        for ind in regime.form.indicators:
            for cell in regime.form.cells_of(ind):
                value = view.values.get(cell)
                shown = "" if value is None else f"{value:,.2f}".rstrip("0").rstrip(".")
                lines.append(f"  {cell} {ind.name} ({ind.unit}): {shown}")
        for section in regime.form.outline:
            lines += ["", f"{section.code}. {section.title}"]
            text = view.sections.get(section.code, "")
            lines += text.splitlines()
        lines += ["", "THỦ TRƯỞNG ĐƠN VỊ (ký số)"]
        return lines

    def submit(self, unit: str, submission_id: int, signed_pdf: bytes, *, actor: str) -> Submission:
        """Submit a version with its rendering signed (PAdES) by the unit's head."""
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            row = self._load(session, submission_id)
            if row.unit_code != unit:
                raise refuse(ErrorCode.REPORT_UNIT_MISMATCH, unit=unit)
            if row.state not in (DRAFT, RETURNED):
                raise refuse(ErrorCode.REPORT_STATE_INVALID, state=row.state)
            regime, period, window = self.resolve(row.regime, row.period)
            self._check_open(session, regime, period, window)
            signer = self._check_signature(row, signed_pdf, unit)
            row.state = SUBMITTED
            row.submitted_at = now
            row.signed_pdf = signed_pdf
            row.signer = signer
            row.comment = None
            status = store.statuses(session, row.regime, row.period).get(unit)
            first = status.first_submitted_at if status and status.first_submitted_at else now
            store.put_status(session, status_of(row, first_submitted_at=first))
            audit.record(
                session,
                at=now,
                actor=actor,
                action="reporting.submit",
                subject=f"{row.regime}/{row.period}/{unit}",
                detail={"id": row.id, "version": row.version, "signer": signer},
            )
            return view_of(session, row)

    def _check_signature(self, row: store.SubmissionRow, signed_pdf: bytes, unit: str) -> str:
        if row.pdf_digest is None or row.pdf_length is None:
            raise refuse(ErrorCode.REPORT_SIGNATURE_INVALID, "The report was not rendered.")
        original = signed_pdf[: row.pdf_length]
        if hashlib.sha256(original).hexdigest() != row.pdf_digest:
            raise refuse(ErrorCode.REPORT_SIGNATURE_INVALID, "The PDF is not the rendered report.")
        if self.trust is None:
            raise refuse(ErrorCode.REPORT_SIGNATURE_INVALID, "No trust roots are configured.")
        reports = validate_pdf(
            signed_pdf, current_trust(self.trust), now=self.clock.now(), agency=unit
        )
        good = [r for r in reports if r.valid and r.covers_whole_file]
        if not good:
            failed = [f for r in reports for f in r.failed()]
            raise refuse(ErrorCode.REPORT_SIGNATURE_INVALID, failed=failed or ["no signature"])
        return good[-1].signer_name or unit

    def sign_and_submit(self, unit: str, submission_id: int, *, actor: str) -> Submission:
        """The web form's path: render, have the head's credential sign (remote signing),
        then submit as any other channel."""
        identity = self.signer_for(unit) if self.signer_for is not None else None
        if identity is None:
            raise refuse(
                ErrorCode.REPORT_SIGNATURE_INVALID, "No signing credential for this unit's head."
            )
        pdf = self.prepare_pdf(unit, submission_id)
        signed = sign_pdf(pdf, identity, at=self.clock.now(), reason="Thủ trưởng đơn vị ký báo cáo")
        return self.submit(unit, submission_id, signed, actor=actor)

    def close_period(self, regime_code: str, period_code: str, *, actor: str) -> None:
        regime, period, _window = self.resolve(regime_code, period_code)
        with self.db.unit_of_work() as session:
            store.close(session, regime.code, period.code, self.clock.now(), actor)
            audit.record(
                session,
                at=self.clock.now(),
                actor=actor,
                action="reporting.close",
                subject=f"{regime.code}/{period.code}",
            )

    def set_targets(
        self, regime_code: str, year: int, unit: str, targets: Mapping[str, float], *, actor: str
    ) -> None:
        with self.db.unit_of_work() as session:
            store.set_targets(session, regime_code, year, unit, targets)
            audit.record(
                session,
                at=self.clock.now(),
                actor=actor,
                action="reporting.targets",
                subject=f"{regime_code}/{year}/{unit}",
            )

    def submission(self, submission_id: int) -> Submission:
        with self.db.read() as session:
            row = store.get_submission(session, submission_id)
            if row is None:
                raise refuse(ErrorCode.REPORT_NOT_FOUND, id=submission_id)
            return view_of(session, row)

    def regime_of(self, submission_id: int) -> RegimeVersion:
        """The regime version the submission was made under (its ``regime_version``): the
        form that was filled, shown again even after the regime changed."""
        item = self.submission(submission_id)
        found = self.catalogue.version(item.regime, item.regime_version)
        return found if found is not None else self.resolve(item.regime, item.period)[0]

    def signed_pdf(self, submission_id: int) -> bytes | None:
        with self.db.read() as session:
            row = store.get_submission(session, submission_id)
            return None if row is None else row.signed_pdf
