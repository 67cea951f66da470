"""The portal service: catalogue import, dossier sync (single or batches, all-or-nothing per
item), look-ups, corrections, quality and on-time figures, gateway sessions.

Each call is one transaction. A batch is checked item by item in memory against the current
states (loaded, and locked on PostgreSQL, in one query); valid items are written together with
bulk statements and the aggregates' increments, refused ones are reported with their code and
counted in ``portal_rejections``; no item is ever half-applied.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from lienthong.agencies.model import Agency
from lienthong.agencies.service import AgencyService
from lienthong.audit.store import record as audit
from lienthong.calendar import WorkingCalendar
from lienthong.clock import Clock
from lienthong.db import Database
from lienthong.errors import ErrorCode, LienthongError
from lienthong.portal import store
from lienthong.portal.model import (
    MAX_BATCH,
    PortalError,
    ProcedureVersion,
    check_procedure,
    due_date,
    period_of,
    vn_day,
)
from lienthong.portal.sync import (
    Deltas,
    DossierInput,
    DossierState,
    Event,
    Outcome,
    StepInput,
    apply_dossier,
    apply_step,
    create_dossier,
    new_state,
    parse_dossier,
    parse_step,
    recode,
)
from lienthong.portal.views import ScopeFigures, figures

SESSION_TTL = timedelta(hours=8)


@dataclass
class BatchResult:
    """Per item, in the order sent: ``{"index", "MaHoSo", "result"}`` or ``{"index",
    "MaHoSo", "error": {"code", "message"}}``."""

    items: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(1 for i in self.items if "result" in i)

    @property
    def refused(self) -> int:
        return len(self.items) - self.accepted

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "refused": self.refused, "items": self.items}


@dataclass(frozen=True)
class DossierView:
    state: DossierState
    history: list[dict[str, Any]]
    procedure: ProcedureVersion | None
    agency_name: str | None = None  # the handling agency's full name, when registered


class _Registry:
    """The agency hierarchy, cached for a short time (the registry changes rarely)."""

    def __init__(self, agencies: AgencyService, ttl: float = 30.0) -> None:
        self.agencies, self.ttl = agencies, ttl
        self._by_code: dict[str, Agency] = {}
        self._loaded = 0.0
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        with self._lock:
            self._by_code = {a.code: a for a in self.agencies.list_all()}
            self._loaded = time.monotonic()

    def get(self, code: str) -> Agency | None:
        if time.monotonic() - self._loaded > self.ttl:
            self._refresh()
        found = self._by_code.get(code)
        if found is None:
            # Registered since the last refresh? One query; unknown codes stay unknown.
            try:
                found = self.agencies.get(code)
            except LienthongError:
                return None
            with self._lock:
                self._by_code[code] = found
        return found

    def chain(self, code: str) -> list[str]:
        """The agency and its ancestors, nearest first."""
        out: list[str] = []
        current = self.get(code)
        while current is not None and current.code not in out:
            out.append(current.code)
            current = self.get(current.parent_code) if current.parent_code else None
        return out


class PortalService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        agencies: AgencyService,
        calendar: WorkingCalendar | None = None,
        *,
        cutoff_hour: int | None = None,
    ) -> None:
        self.db, self.clock, self.agencies = db, clock, agencies
        self.calendar = calendar or WorkingCalendar()
        self.cutoff_hour = cutoff_hour
        self.registry = _Registry(agencies)

    # --- catalogue ---------------------------------------------------------------------------

    def import_catalogue(self, versions: Sequence[ProcedureVersion], actor: str) -> int:
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            count = store.save_versions(session, versions, now)
            audit(
                session,
                at=now,
                actor=actor,
                action="portal.catalogue.import",
                detail={"versions": count, "codes": sorted({v.code for v in versions})[:50]},
            )
        return count

    def procedure(self, code: str) -> list[ProcedureVersion]:
        with self.db.read() as session:
            versions = store.versions_by_code(session, [code]).get(code, [])
        if not versions:
            raise PortalError(f"no procedure {code}", code=ErrorCode.PORTAL_PROCEDURE_NOT_FOUND)
        return sorted(versions, key=lambda v: v.version)

    def catalogue(self) -> list[ProcedureVersion]:
        with self.db.read() as session:
            return store.list_versions(session)

    # --- sync ----------------------------------------------------------------------------------

    def _scope(self, system_agency: str, agency_code: str) -> list[str]:
        chain = self.registry.chain(agency_code)
        if not chain:
            raise PortalError(
                f"agency {agency_code} is not registered", code=ErrorCode.AGENCY_UNKNOWN
            )
        if system_agency not in chain:
            raise PortalError(
                f"{agency_code} is not under {system_agency}",
                code=ErrorCode.PORTAL_AGENCY_NOT_IN_SCOPE,
            )
        return chain

    def _new_state(
        self, data: DossierInput, chain: list[str], versions: dict[str, list[ProcedureVersion]]
    ) -> DossierState:
        agency = self.registry.get(data.agency_code)
        assert agency is not None
        received = data.received_at or data.event_at
        version, wrong = check_procedure(
            data.procedure_code,
            versions.get(data.procedure_code, []),
            chain,
            int(agency.level),
            vn_day(received),
        )
        computed = None
        if version is not None and data.received_at is not None:
            computed = due_date(
                self.calendar,
                data.received_at,
                version.processing_days,
                cutoff_hour=self.cutoff_hour,
            )
        return new_state(
            data, root_code=chain[-1], version=version, wrong=wrong, computed_due=computed
        )

    def sync_dossiers(self, system_agency: str, items: Sequence[object]) -> BatchResult:
        """``DongBoHoSoMC``: insert or update dossiers (1 to 1,000 per call)."""
        return self._sync(system_agency, items, parse_dossier)

    def sync_steps(self, system_agency: str, items: Sequence[object]) -> BatchResult:
        """``CapNhatTienDoHoSoMC``: append processing steps (1 to 1,000 per call)."""
        return self._sync(system_agency, items, parse_step)

    def _sync(self, system_agency: str, items: Sequence[object], parse: Any) -> BatchResult:
        if len(items) > MAX_BATCH:
            raise PortalError(
                f"{len(items)} items; at most {MAX_BATCH} per call",
                code=ErrorCode.PORTAL_BATCH_TOO_LARGE,
                detail={"limit": MAX_BATCH, "items": len(items)},
            )
        if not items:
            raise PortalError("the batch is empty", code=ErrorCode.REQUEST_INVALID)
        for attempt in (1, 2):
            try:
                return self._sync_once(system_agency, items, parse)
            except IntegrityError:
                # Another batch created one of these dossiers at the same moment: the retry
                # sees it and updates it instead.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _sync_once(self, system_agency: str, items: Sequence[object], parse: Any) -> BatchResult:
        now = self.clock.now()
        results: list[dict[str, Any]] = [{} for _ in items]
        parsed: list[tuple[int, DossierInput | StepInput, list[str]]] = []
        for index, item in enumerate(items):
            code = item.get("MaHoSo") if isinstance(item, dict) else None
            results[index] = {"index": index, "MaHoSo": code if isinstance(code, str) else None}
            try:
                value = parse(item)
                chain: list[str] = []
                if isinstance(value, DossierInput):
                    chain = self._scope(system_agency, value.agency_code)
                parsed.append((index, value, chain))
            except LienthongError as exc:
                results[index]["error"] = {"code": str(exc.code), "message": exc.message}
        rejections: list[dict[str, Any]] = []
        with self.db.unit_of_work() as session:
            codes = {_code_of(v) for _, v, _ in parsed}
            states = store.load_states(session, codes, lock=True)
            versions = store.versions_by_code(
                session, {v.procedure_code for _, v, _ in parsed if isinstance(v, DossierInput)}
            )
            keys = store.event_keys(
                session,
                [s.id for s in states.values() if s.id],
                [v.event_key for _, v, _ in parsed],
            )
            seen: dict[str, set[str]] = {
                code: {k for (i, k) in keys if i == state.id} for code, state in states.items()
            }
            original = dict(states)
            deltas = Deltas()
            new_events: dict[str, list[Event]] = {}
            ordered = sorted(parsed, key=lambda p: (_code_of(p[1]), _at(p[1]), p[0]))
            for index, value, chain in ordered:
                code = _code_of(value)
                try:
                    outcome = self._apply(
                        value,
                        chain,
                        states.get(code),
                        seen.setdefault(code, set()),
                        versions,
                        now,
                        deltas,
                        system_agency,
                    )
                except LienthongError as exc:
                    results[index]["error"] = {"code": str(exc.code), "message": exc.message}
                    continue
                states[code] = outcome.state
                seen[code].update(e.event_key for e in outcome.events)
                new_events.setdefault(code, []).extend(outcome.events)
                results[index]["result"] = outcome.result
            for result in results:
                if "error" in result:
                    rejections.append(self._rejection(system_agency, result, now))
            created = [s for c, s in states.items() if c not in original]
            changed = [s for c, s in states.items() if c in original and s != original[c]]
            ids = store.insert_dossiers(session, created, now, system_agency)
            ids.update({c: s.id for c, s in original.items() if s.id is not None})
            store.update_dossiers(session, changed, now)
            store.insert_events(
                session,
                [(ids[code], e) for code, events in new_events.items() for e in events],
                now,
                system_agency,
            )
            store.add_stats(session, deltas)
            store.add_rejections(session, rejections)
        return BatchResult(results)

    def _apply(
        self,
        value: DossierInput | StepInput,
        chain: list[str],
        state: DossierState | None,
        seen: set[str],
        versions: dict[str, list[ProcedureVersion]],
        now: datetime,
        deltas: Deltas,
        system_agency: str,
    ) -> Outcome:
        if isinstance(value, StepInput):
            if state is None:
                raise PortalError(
                    f"no dossier {value.dossier_code}; sync it (DongBoHoSoMC) first",
                    code=ErrorCode.PORTAL_DOSSIER_NOT_FOUND,
                )
            self._scope(system_agency, state.agency_code)
            return apply_step(state, value, seen, now, deltas)
        if state is None:
            return create_dossier(self._new_state(value, chain, versions), value, now, deltas)
        # Scope before the duplicate check: another unit's dossier, even re-sent unchanged,
        # is refused (no "duplicate" success, no equality oracle).
        self._scope(system_agency, state.agency_code)
        return apply_dossier(state, value, seen, now, deltas)

    def _rejection(
        self, system_agency: str, result: dict[str, Any], now: datetime
    ) -> dict[str, Any]:
        chain = self.registry.chain(system_agency)
        return {
            "at": now,
            "period": period_of(now),
            "root_code": chain[-1] if chain else system_agency,
            "system_agency": system_agency,
            "dossier_code": (result.get("MaHoSo") or "")[:64],
            "reason": result["error"]["code"],
            "message": result["error"]["message"][:500],
        }

    # --- look-ups and corrections -----------------------------------------------------------

    def lookup(self, code: str) -> DossierView:
        with self.db.read() as session:
            state = store.dossier_by_code(session, code)
            if state is None or state.id is None:
                raise PortalError(f"no dossier {code}", code=ErrorCode.PORTAL_DOSSIER_NOT_FOUND)
            history = store.dossier_history(session, state.id)
            version = (
                store.version_by_id(session, state.procedure_version_id)
                if state.procedure_version_id
                else None
            )
        agency = self.registry.get(state.agency_code)
        return DossierView(state, history, version, agency.name if agency else None)

    def recode(self, code: str, procedure_code: str, actor: str) -> DossierState:
        """Correction queue: pin a dossier to ``procedure_code`` when that code is published
        for the dossier's agency at its reception; the figures follow; audited."""
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            state = store.load_states(session, [code], lock=True).get(code)
            if state is None:
                raise PortalError(f"no dossier {code}", code=ErrorCode.PORTAL_DOSSIER_NOT_FOUND)
            agency = self.registry.get(state.agency_code)
            received = state.received_at or state.status_at
            versions = store.versions_by_code(session, [procedure_code]).get(procedure_code, [])
            version, wrong = check_procedure(
                procedure_code,
                versions,
                self.registry.chain(state.agency_code),
                int(agency.level) if agency else 1,
                vn_day(received),
            )
            if version is None:
                raise PortalError(
                    f"{procedure_code!r} is wrong for this dossier ({wrong})",
                    code=ErrorCode.PORTAL_RECODE_INVALID,
                    detail={"reason": str(wrong)},
                )
            computed = (
                due_date(
                    self.calendar,
                    state.received_at,
                    version.processing_days,
                    cutoff_hour=self.cutoff_hour,
                )
                if state.received_at
                else None
            )
            deltas = Deltas()
            updated = recode(state, version, computed, deltas)
            store.update_dossiers(session, [updated], now)
            store.add_stats(session, deltas)
            audit(
                session,
                at=now,
                actor=actor,
                action="portal.dossier.recode",
                subject=code,
                detail={
                    "from": state.procedure_code,
                    "to": procedure_code,
                    "version": version.version,
                    "wrong_code_was": state.wrong_code,
                },
            )
        return updated

    def correction_queue(
        self, root_code: str | None = None, limit: int = 100
    ) -> list[DossierState]:
        with self.db.read() as session:
            return store.wrong_code_queue(session, root_code, limit)

    def dossiers_behind(
        self, agency_code: str, period: str, timeliness: str | None = None, limit: int = 200
    ) -> list[DossierState]:
        """The dossiers behind an agency's figures for a month (traceability)."""
        with self.db.read() as session:
            return store.dossiers_for(session, agency_code, period, timeliness, limit)

    # --- figures -----------------------------------------------------------------------------

    def stats(self, start: str, end: str, *, by_agency: bool = False) -> list[dict[str, Any]]:
        with self.db.read() as session:
            return store.stats_by(session, start, end, by_agency=by_agency)

    def rejections(self, start: str, end: str) -> list[dict[str, Any]]:
        with self.db.read() as session:
            return store.rejections_by(session, start, end)

    # --- gateway sessions ---------------------------------------------------------------------

    def login(self, system_id: str, secret: str) -> tuple[str, datetime]:
        """``LayToken``: a session token for the agency whose credentials these are."""
        agency = self.agencies.authenticate(system_id, secret)
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        until = now + SESSION_TTL
        with self.db.unit_of_work() as session:
            store.add_session(session, _hash(token), agency, now, until)
        return token, until

    def session_agency(self, token: str | None) -> str:
        if token:
            with self.db.read() as session:
                agency = store.session_agency(session, _hash(token), self.clock.now())
            if agency is not None:
                return agency
        raise PortalError(code=ErrorCode.PORTAL_SESSION_INVALID)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _code_of(value: DossierInput | StepInput) -> str:
    return value.code if isinstance(value, DossierInput) else value.dossier_code


def _at(value: DossierInput | StepInput) -> datetime:
    return value.event_at if isinstance(value, DossierInput) else value.at


def scope_figures(
    service: PortalService, start: str, end: str, *, by_agency: bool = False
) -> list[ScopeFigures]:
    """Figures per province and ministry (every level-1 agency valid today listed, even with
    nothing synced), or per agency, for months ``start``-``end``."""
    everyone = service.agencies.list_all()
    names = {a.code: a.name for a in everyone}
    today = vn_day(service.clock.now())
    roots = [a.code for a in everyone if a.level == 1 and a.validity(today) == "VALID"]
    stats = service.stats(start, end, by_agency=by_agency)
    if by_agency:
        return figures(stats, [], names, key="agency_code")
    return figures(stats, service.rejections(start, end), names, roots=roots)
