"""Reporting regimes defined, versioned, published and retired by their issuing bodies, and the
runtime catalogue read from the store.

States of a regime: ``draft`` --publish--> ``published`` --retire--> ``retired``. A version is
``draft`` until its regime is published (publishing publishes every draft version); a version
with any report submitted under it never changes: a change is a new version effective from a
date, and a new version may not start before a period that was already reported under an older
one. Every write checks, before anything is stored: the caller is the issuer
(``REGIME_NOT_ISSUER``), the state allows it (``REGIME_STATE_INVALID``), the document's shape
and Decree 09 Art. 8 (``REGIME_INVALID``), the units addressed (``REGIME_OUT_OF_AUTHORITY``),
the indicators' meanings (``REGIME_INDICATOR_CONFLICT``) and the reports already made
(``REGIME_VERSION_IN_USE``). Each write is one transaction with its audit entry.

``actor_agency`` is the authenticated agency (the API's caller, the web officer's agency);
``None`` is the operator on the server (the CLI), who may act for any issuer.
"""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lienthong.audit import store as audit
from lienthong.calendar import WorkingCalendar
from lienthong.clock import Clock
from lienthong.db import Database
from lienthong.errors import ErrorCode, LienthongError
from lienthong.logs import get_logger
from lienthong.reporting import regime_store as rstore
from lienthong.reporting.authority import RegistryUnit, authority_problems
from lienthong.reporting.documents import (
    FORMAT,
    IndicatorMeaning,
    RegimeDoc,
    VersionDoc,
    definition_json,
    indicator_conflicts,
    parse_regime,
    parse_version,
    to_regime_version,
    version_doc_of,
)
from lienthong.reporting.model import Period, PeriodError, local_day
from lienthong.reporting.regimes import (
    RegimeCatalogue,
    RegimeInvalidError,
    RegimeProblem,
    RegimeVersion,
    validate_regime_version,
)
from lienthong.reporting.rules import Aggregation
from lienthong.reporting.submissions import refuse

if TYPE_CHECKING:
    from lienthong.agencies.model import Agency
    from lienthong.agencies.service import AgencyService

log = get_logger("lienthong.reporting.regimes")

__all__ = [
    "IndicatorEntry",
    "RegimeDefinitions",
    "RegimeView",
    "StoredCatalogue",
    "VersionView",
]


# --- the runtime catalogue -----------------------------------------------------------------


def _load_version(regime: rstore.RegimeRow, row: rstore.RegimeVersionRow) -> RegimeVersion:
    """A stored version through the pure model (raises :class:`RegimeInvalidError`)."""
    doc = parse_version(row.definition)
    if isinstance(doc, list):
        raise RegimeInvalidError(doc)
    built = to_regime_version(
        regime.code, row.version, doc, name=regime.name, legal_basis=regime.legal_basis
    )
    if isinstance(built, list):
        raise RegimeInvalidError(built)
    if regime.status == rstore.RETIRED and regime.retired_on is not None:
        end = built.effective_to
        if end is None or end > regime.retired_on:
            from dataclasses import replace

            built = replace(built, effective_to=regime.retired_on)
    return built


class StoredCatalogue(RegimeCatalogue):
    """The regimes in force as the store holds them: the published versions of published and
    retired regimes (a retired regime's versions end on its retirement day, so its past
    periods still resolve). Reloaded when this process writes a regime, and when another one
    did (the store's fingerprint is checked at most every ``ttl`` seconds)."""

    def __init__(self, db: Database, cal: WorkingCalendar, *, ttl: float = 2.0) -> None:
        super().__init__(cal)
        self._db = db
        self._ttl = ttl
        self._stamp: tuple[int, int] | None = None
        self._checked = -1e18
        self._reload_lock = threading.Lock()

    def reload(self) -> None:
        with self._reload_lock:
            versions: dict[str, list[RegimeVersion]] = {}
            with self._db.read() as session:
                stamp = rstore.fingerprint(session)
                for regime, row in rstore.in_force_rows(session):
                    try:
                        built = _load_version(regime, row)
                    except RegimeInvalidError as exc:
                        log.warning(
                            "stored regime version refused on load",
                            extra={
                                "regime": regime.code,
                                "version": row.version,
                                "why": exc.problems,
                            },
                        )
                        continue
                    versions.setdefault(regime.code, []).append(built)
            for found in versions.values():
                found.sort(key=lambda v: v.effective_from)
            self._versions = versions
            self._stamp = stamp
            self._checked = time.monotonic()

    def _fresh(self) -> None:
        now = time.monotonic()
        if self._stamp is not None and now - self._checked < self._ttl:
            return
        with self._db.read() as session:
            stamp = rstore.fingerprint(session)
        self._checked = now
        if stamp != self._stamp:
            self.reload()

    def add(self, regime: RegimeVersion) -> None:
        raise TypeError("stored regimes are defined through RegimeDefinitions")

    def get(self, code: str, on: date | None = None) -> RegimeVersion | None:
        self._fresh()
        return super().get(code, on)

    def versions(self, code: str) -> list[RegimeVersion]:
        self._fresh()
        return super().versions(code)

    def codes(self) -> list[str]:
        self._fresh()
        return super().codes()


# --- views ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionView:
    version: int
    effective_from: date
    state: str
    in_use: bool  # reports were submitted under it: immutable
    definition: dict[str, Any]
    published_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "effective_from": self.effective_from.isoformat(),
            "state": self.state,
            "in_use": self.in_use,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "definition": self.definition,
        }


@dataclass(frozen=True)
class RegimeView:
    code: str
    name: str
    issuer: str
    legal_basis: str
    status: str
    retired_on: date | None
    revision: int
    versions: list[VersionView] = field(default_factory=list)

    def as_dict(self, *, definitions: bool = True) -> dict[str, Any]:
        versions = [v.as_dict() for v in self.versions]
        if not definitions:
            for v in versions:
                v.pop("definition")
        return {
            "code": self.code,
            "name": self.name,
            "issuer": self.issuer,
            "legal_basis": self.legal_basis,
            "status": self.status,
            "retired_on": self.retired_on.isoformat() if self.retired_on else None,
            "revision": self.revision,
            "versions": versions,
        }

    def document(self) -> dict[str, Any]:
        """The whole regime as one ``lienthong.regime/1`` document (export)."""
        return {
            "format": FORMAT,
            "code": self.code,
            "name": self.name,
            "issuer": self.issuer,
            "legal_basis": self.legal_basis,
            "status": self.status,
            "retired_on": self.retired_on.isoformat() if self.retired_on else None,
            "versions": [{"version": v.version, **v.definition} for v in self.versions],
        }


@dataclass(frozen=True)
class IndicatorEntry:
    code: str
    name: str
    unit: str
    aggregation: str
    disaggregations: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "unit": self.unit,
            "aggregation": self.aggregation,
            "disaggregations": list(self.disaggregations),
        }


class NewRegime(BaseModel):
    """``POST /api/v1/reporting/regimes``: a regime and its first version (a draft)."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(..., pattern=r"^[A-Za-z0-9_-]{1,32}$")
    name: str = Field(..., min_length=1, max_length=255)
    issuer: str | None = Field(None, max_length=35, description="Default: the caller")
    legal_basis: str = Field(..., min_length=1, max_length=255)
    version: dict[str, Any]


# --- the service ---------------------------------------------------------------------------


def _invalid(problems: Sequence[RegimeProblem]) -> RegimeInvalidError:
    return RegimeInvalidError(problems)


class RegimeDefinitions:
    """Define, version, publish, retire, export and import regimes; the indicator catalogue."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        calendar: WorkingCalendar,
        agencies: AgencyService,
        catalogue: StoredCatalogue | None = None,
        *,
        geo_level: Any = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.calendar = calendar
        self.agencies = agencies
        self.catalogue = catalogue
        if geo_level is None:
            from lienthong.reporting.wiring import unit_level

            geo_level = unit_level
        self._geo_level = geo_level

    # -- reading --------------------------------------------------------------------------

    def list_regimes(self, *, issuer: str | None = None) -> list[RegimeView]:
        with self.db.read() as session:
            return [self._view(session, row) for row in rstore.regimes(session, issuer)]

    def get(self, code: str) -> RegimeView:
        with self.db.read() as session:
            row = rstore.get_regime(session, code)
            if row is None:
                raise refuse(ErrorCode.REGIME_UNKNOWN, regime=code)
            return self._view(session, row)

    def export(self, code: str) -> dict[str, Any]:
        """The whole regime as one JSON document (``docs/schemas/regime.schema.json``)."""
        return self.get(code).document()

    def _view(self, session: Session, row: rstore.RegimeRow) -> RegimeView:
        used = {v for _p, v in rstore.submitted_periods(session, row.code)}
        return RegimeView(
            code=row.code,
            name=row.name,
            issuer=row.issuer_code,
            legal_basis=row.legal_basis,
            status=row.status,
            retired_on=row.retired_on,
            revision=row.revision,
            versions=[
                VersionView(
                    v.version,
                    v.effective_from,
                    v.state,
                    v.version in used,
                    dict(v.definition),
                    v.published_at,
                )
                for v in rstore.versions_of(session, row.code)
            ],
        )

    # -- writing --------------------------------------------------------------------------

    def create(self, actor_agency: str | None, data: Mapping[str, Any]) -> RegimeView:
        """A new regime (``draft``) with its first version; ``data`` as :class:`NewRegime`."""
        try:
            body = NewRegime.model_validate(data)
        except ValidationError as exc:
            raise _invalid(
                [
                    RegimeProblem(".".join(str(x) for x in e["loc"]), "", "", e["msg"])
                    for e in exc.errors(include_url=False)
                ]
            ) from exc
        issuer = body.issuer or actor_agency
        if issuer is None:
            raise _invalid([RegimeProblem("issuer", "", "", "the issuing agency is required")])
        self._check_issuer(actor_agency, issuer, body.code)
        doc = self._parse_version(body.version)
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            if rstore.get_regime(session, body.code) is not None:
                raise refuse(ErrorCode.REGIME_EXISTS, regime=body.code)
            self._check_version(
                session, body.code, 1, doc, issuer, body.name, body.legal_basis, others=[]
            )
            row = rstore.add_regime(
                session,
                {
                    "code": body.code,
                    "name": body.name,
                    "issuer_code": issuer,
                    "legal_basis": body.legal_basis,
                    "status": rstore.DRAFT,
                    "retired_on": None,
                    "revision": 1,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            self._add_version(session, body.code, 1, doc, rstore.DRAFT, now)
            self._audit(session, actor_agency, "reporting.regime.create", body.code, {"v": 1})
            view = self._view(session, row)
        self._changed()
        return view

    def edit_version(
        self, actor_agency: str | None, code: str, number: int, data: Mapping[str, Any]
    ) -> RegimeView:
        """Replace version ``number``'s definition: only while no report was submitted under it
        (``REGIME_VERSION_IN_USE`` otherwise), never on a retired regime."""
        doc = self._parse_version(data)
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            regime = self._regime_for_write(session, actor_agency, code)
            rows = rstore.versions_of(session, code)
            target = next((v for v in rows if v.version == number), None)
            if target is None:
                raise refuse(ErrorCode.REGIME_UNKNOWN, regime=code, version=number)
            if any(v == number for _p, v in rstore.submitted_periods(session, code)):
                raise refuse(ErrorCode.REGIME_VERSION_IN_USE, regime=code, version=number)
            others = [v for v in rows if v.version != number]
            self._check_version(
                session,
                code,
                number,
                doc,
                regime.issuer_code,
                regime.name,
                regime.legal_basis,
                others=others,
            )
            target.definition = definition_json(doc)
            target.effective_from = doc.effective_from
            target.updated_at = now
            self._touch(regime, now)
            self._audit(session, actor_agency, "reporting.regime.edit", code, {"v": number})
            view = self._view(session, regime)
        self._changed()
        return view

    def add_version(
        self, actor_agency: str | None, code: str, data: Mapping[str, Any]
    ) -> RegimeView:
        """A new version (``draft`` until the regime is published again) effective from its
        ``effective_from``: after every earlier version's, and after every period already
        reported."""
        doc = self._parse_version(data)
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            regime = self._regime_for_write(session, actor_agency, code)
            rows = rstore.versions_of(session, code)
            number = max((v.version for v in rows), default=0) + 1
            self._check_version(
                session,
                code,
                number,
                doc,
                regime.issuer_code,
                regime.name,
                regime.legal_basis,
                others=rows,
            )
            self._add_version(session, code, number, doc, rstore.DRAFT, now)
            self._touch(regime, now)
            self._audit(session, actor_agency, "reporting.regime.version", code, {"v": number})
            view = self._view(session, regime)
        self._changed()
        return view

    def publish(self, actor_agency: str | None, code: str) -> RegimeView:
        """Publish the regime and every draft version (they govern from their dates)."""
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            regime = self._regime_for_write(session, actor_agency, code)
            drafts = [v for v in rstore.versions_of(session, code) if v.state == rstore.DRAFT]
            if not drafts and regime.status == rstore.PUBLISHED:
                raise refuse(
                    ErrorCode.REGIME_STATE_INVALID,
                    "Nothing to publish: every version is published.",
                    regime=code,
                    status=regime.status,
                )
            for v in drafts:
                v.state = rstore.PUBLISHED
                v.published_at = now
            regime.status = rstore.PUBLISHED
            self._touch(regime, now)
            self._audit(
                session,
                actor_agency,
                "reporting.regime.publish",
                code,
                {"versions": [v.version for v in drafts]},
            )
            view = self._view(session, regime)
        self._changed()
        return view

    def retire(self, actor_agency: str | None, code: str, on: date | None = None) -> RegimeView:
        """Retire a published regime from ``on`` (default: today, Vietnam's date): periods
        after it are no longer due; past reports stay readable."""
        now = self.clock.now()
        day = on or local_day(now)
        with self.db.unit_of_work() as session:
            regime = self._regime_for_write(session, actor_agency, code)
            if regime.status != rstore.PUBLISHED:
                raise refuse(ErrorCode.REGIME_STATE_INVALID, regime=code, status=regime.status)
            regime.status = rstore.RETIRED
            regime.retired_on = day
            self._touch(regime, now)
            self._audit(
                session, actor_agency, "reporting.regime.retire", code, {"on": day.isoformat()}
            )
            view = self._view(session, regime)
        self._changed()
        return view

    def import_document(
        self, actor_agency: str | None, data: Any, *, trusted: bool = False
    ) -> RegimeView:
        """A whole regime document: a new regime is created with every version (and published
        or retired as the document says); an existing one gets the versions it lacks and the
        changed definitions of versions without reports. All or nothing. ``trusted``: a
        regime shipped with the code (the demo's), whose addressing is not checked against
        the registry."""
        parsed = parse_regime(data)
        if isinstance(parsed, list):
            raise _invalid(parsed)
        doc: RegimeDoc = parsed
        self._check_issuer(actor_agency, doc.issuer, doc.code)
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            regime = rstore.get_regime(session, doc.code, lock=True)
            if regime is None:
                regime = rstore.add_regime(
                    session,
                    {
                        "code": doc.code,
                        "name": doc.name,
                        "issuer_code": doc.issuer,
                        "legal_basis": doc.legal_basis,
                        "status": rstore.DRAFT,
                        "retired_on": None,
                        "revision": 1,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
            else:
                if regime.issuer_code != doc.issuer:
                    raise refuse(
                        ErrorCode.REGIME_NOT_ISSUER,
                        regime=doc.code,
                        issuer=regime.issuer_code,
                    )
                if regime.status == rstore.RETIRED:
                    raise refuse(ErrorCode.REGIME_STATE_INVALID, regime=doc.code, status="retired")
            rows = {v.version: v for v in rstore.versions_of(session, doc.code)}
            used = {v for _p, v in rstore.submitted_periods(session, doc.code)}
            state = rstore.DRAFT if doc.status == "draft" else rstore.PUBLISHED
            changed: list[int] = []
            for version in doc.versions:
                number = version.version or max(rows, default=0) + 1
                self._apply_scope(version, doc.issuer)
                definition = definition_json(version)
                existing = rows.get(number)
                if existing is not None and existing.definition == definition:
                    continue
                if existing is not None and number in used:
                    raise refuse(ErrorCode.REGIME_VERSION_IN_USE, regime=doc.code, version=number)
                others = [v for n, v in rows.items() if n != number]
                self._check_version(
                    session,
                    doc.code,
                    number,
                    version,
                    doc.issuer,
                    doc.name,
                    doc.legal_basis,
                    others=others,
                    trusted=trusted,
                )
                if existing is None:
                    rows[number] = self._add_version(session, doc.code, number, version, state, now)
                else:
                    existing.definition = definition
                    existing.effective_from = version.effective_from
                    existing.updated_at = now
                changed.append(number)
            if doc.status != "draft":
                for v in rows.values():
                    if v.state == rstore.DRAFT:
                        v.state = rstore.PUBLISHED
                        v.published_at = now
                regime.status = rstore.PUBLISHED
            if doc.status == "retired":
                regime.status = rstore.RETIRED
                regime.retired_on = doc.retired_on or local_day(now)
            regime.name, regime.legal_basis = doc.name, doc.legal_basis
            self._touch(regime, now)
            self._audit(
                session, actor_agency, "reporting.regime.import", doc.code, {"versions": changed}
            )
            view = self._view(session, regime)
        self._changed()
        return view

    def ensure_demo_regime(self) -> bool:
        """Seed the demo regime ``KTXH`` (published, issued by the Government Office) when the
        store lacks it; True when it was added."""
        from lienthong.reporting.regimes import demo_regime
        from lienthong.reporting.wiring import GOVERNMENT_OFFICE

        with self.db.read() as session:
            if rstore.get_regime(session, "KTXH") is not None:
                return False
        regime = demo_regime()
        version = version_doc_of(regime)
        document = {
            "format": FORMAT,
            "code": regime.code,
            "name": regime.name,
            "issuer": GOVERNMENT_OFFICE,
            "legal_basis": regime.legal_basis,
            "status": "published",
            "versions": [version.model_dump(mode="json")],
        }
        try:
            self.import_document(None, document, trusted=True)
        except IntegrityError:  # another process seeded it at the same moment
            return False
        return True

    # -- the indicator catalogue ----------------------------------------------------------

    def indicators(self) -> list[IndicatorEntry]:
        with self.db.read() as session:
            return [
                IndicatorEntry(
                    r.code,
                    r.name,
                    r.unit,
                    r.aggregation,
                    tuple(x for x in r.disaggregations.split(",") if x),
                )
                for r in rstore.indicators(session)
            ]

    def import_indicators_csv(self, text: str, *, actor: str) -> int:
        """Add or update catalogue indicators from CSV (``code,name,unit,aggregation,
        disaggregations``; disaggregations separated by ``;``). All or nothing: a row with a
        problem refuses the file (``REGIME_INVALID``), a code that regimes already use with
        another meaning refuses it (``REGIME_INDICATOR_CONFLICT``)."""
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        problems: list[RegimeProblem] = []
        rows: list[dict[str, Any]] = []
        need = {"code", "name", "unit", "aggregation"}
        if not need <= set(reader.fieldnames or []):
            raise _invalid([RegimeProblem("csv", "", "", f"columns required: {sorted(need)}")])
        now = self.clock.now()
        seen: set[str] = set()
        for line, rec in enumerate(reader, start=2):
            code = (rec.get("code") or "").strip()
            name = (rec.get("name") or "").strip()
            unit = (rec.get("unit") or "").strip()
            aggregation = (rec.get("aggregation") or "").strip().lower() or "sum"
            if not code or not name or len(code) > 40 or len(name) > 255 or len(unit) > 64:
                problems.append(RegimeProblem(f"line {line}", "", "", "code and name required"))
                continue
            if aggregation not in {a.value for a in Aggregation}:
                problems.append(
                    RegimeProblem(f"line {line}", "", "", f"unknown aggregation {aggregation}")
                )
                continue
            if code in seen:
                problems.append(RegimeProblem(f"line {line}", "", "", f"{code} appears twice"))
                continue
            seen.add(code)
            disaggregations = ",".join(
                x.strip() for x in (rec.get("disaggregations") or "").split(";") if x.strip()
            )
            rows.append(
                {
                    "code": code,
                    "name": name,
                    "unit": unit,
                    "aggregation": aggregation,
                    "disaggregations": disaggregations,
                    "updated_at": now,
                }
            )
        if problems:
            raise _invalid(problems)
        with self.db.unit_of_work() as session:
            known = self._meanings(session, exclude=None, catalogue=False)
            ours = [
                IndicatorMeaning(r["code"], r["name"], r["unit"], r["aggregation"]) for r in rows
            ]
            conflicts = indicator_conflicts(ours, known)
            if conflicts:
                raise refuse(
                    ErrorCode.REGIME_INDICATOR_CONFLICT,
                    conflicts=[c.as_dict() for c in conflicts],
                )
            rstore.put_indicators(session, rows)
            audit.record(
                session,
                at=now,
                actor=actor,
                action="reporting.indicators.import",
                subject="catalogue",
                detail={"count": len(rows)},
            )
        return len(rows)

    # -- checks ---------------------------------------------------------------------------

    def _check_issuer(self, actor_agency: str | None, issuer: str, code: str) -> None:
        if actor_agency is not None and actor_agency != issuer:
            raise refuse(ErrorCode.REGIME_NOT_ISSUER, regime=code, issuer=issuer)

    def _regime_for_write(
        self, session: Session, actor_agency: str | None, code: str
    ) -> rstore.RegimeRow:
        regime = rstore.get_regime(session, code, lock=True)
        if regime is None:
            raise refuse(ErrorCode.REGIME_UNKNOWN, regime=code)
        self._check_issuer(actor_agency, regime.issuer_code, code)
        if regime.status == rstore.RETIRED:
            raise refuse(ErrorCode.REGIME_STATE_INVALID, regime=code, status=regime.status)
        return regime

    def _parse_version(self, data: Any) -> VersionDoc:
        doc = parse_version(data)
        if isinstance(doc, list):
            raise _invalid(doc)
        return doc

    def _check_version(
        self,
        session: Session,
        code: str,
        number: int,
        doc: VersionDoc,
        issuer: str,
        name: str,
        legal_basis: str,
        *,
        others: Sequence[rstore.RegimeVersionRow],
        trusted: bool = False,
    ) -> RegimeVersion:
        """Every check of a version about to be stored (raises; stores nothing)."""
        self._apply_scope(doc, issuer)
        built = to_regime_version(code, number, doc, name=name, legal_basis=legal_basis)
        if isinstance(built, list):
            raise _invalid(built)
        problems = validate_regime_version(built, calendar=self.calendar)
        starts = sorted((v.effective_from, v.version) for v in others)
        earlier = [d for d, n in starts if n < number]
        later = [d for d, n in starts if n > number]
        if earlier and doc.effective_from <= max(earlier):
            problems.append(
                RegimeProblem(
                    "effective_from",
                    "",
                    "",
                    f"version {number} must take effect after {max(earlier).isoformat()} "
                    "(the previous version's effective date)",
                )
            )
        if later and doc.effective_from >= min(later):
            problems.append(
                RegimeProblem(
                    "effective_from",
                    "",
                    "",
                    f"version {number} must take effect before {min(later).isoformat()} "
                    "(the next version's effective date)",
                )
            )
        if problems:
            raise _invalid(problems)
        if not trusted:
            self._check_authority(doc, issuer, built)
        self._check_indicators(session, code, doc)
        self._check_reported(session, code, number, doc.effective_from, later)
        return built

    def _apply_scope(self, doc: VersionDoc, issuer: str) -> None:
        """A province's regime in the geographic flow addresses only the province's own units
        (its ``scope``); the Government's and a ministry's address the whole flow."""
        try:
            agency = self.agencies.get(issuer)
        except LienthongError:
            doc.scope = None
            return
        level = self._geo_level(agency)
        doc.scope = issuer if doc.flow == "geo" and level == "province" else None

    def _check_authority(self, doc: VersionDoc, issuer: str, built: RegimeVersion) -> None:
        by_code = {a.code: a for a in self.agencies.list_all()}
        named = {issuer, *doc.reporter_units, *doc.receiver_units}

        def unit(code: str) -> RegistryUnit | None:
            agency = by_code.get(code)
            if agency is None:
                return None
            chain: list[str] = []
            parent = agency.parent_code
            while parent is not None and parent not in chain:
                chain.append(parent)
                above: Agency | None = by_code.get(parent)
                parent = above.parent_code if above is not None else None
            return RegistryUnit(code, self._geo_level(agency), tuple(chain))

        units = {c: u for c in named if (u := unit(c)) is not None}
        for u in list(units.values()):
            for a in u.ancestors:
                if a not in units and (au := unit(a)) is not None:
                    units[a] = au
        first = ""
        for pt in built.frequencies:
            first = first or Period(built.effective_from.year, pt, 1).code
        problems = authority_problems(
            units.get(issuer),
            issuer_code=issuer,
            flow=doc.flow,
            levels=[lv.level for lv in doc.levels],
            reporter_units=doc.reporter_units,
            receiver_units=doc.receiver_units,
            units=units,
            first_period=first,
        )
        if problems:
            raise refuse(
                ErrorCode.REGIME_OUT_OF_AUTHORITY,
                "; ".join(str(p) for p in problems),
                problems=[p.as_dict() for p in problems],
            )

    def _meanings(
        self, session: Session, *, exclude: str | None, catalogue: bool = True
    ) -> dict[str, list[tuple[str, IndicatorMeaning]]]:
        known: dict[str, list[tuple[str, IndicatorMeaning]]] = {}
        if catalogue:
            for row in rstore.indicators(session):
                known.setdefault(row.code, []).append(
                    ("catalogue", IndicatorMeaning(row.code, row.name, row.unit, row.aggregation))
                )
        for vrow in rstore.all_versions(session):
            if vrow.regime == exclude:
                continue
            form = vrow.definition.get("form") or {}
            for ind in form.get("indicators") or []:
                try:
                    meaning = IndicatorMeaning(
                        str(ind["code"]),
                        str(ind["name"]),
                        str(ind["unit"]),
                        str(ind.get("aggregation", "sum")),
                    )
                except KeyError:
                    continue
                known.setdefault(meaning.code, []).append((vrow.regime, meaning))
        return known

    def _check_indicators(self, session: Session, code: str, doc: VersionDoc) -> None:
        known = self._meanings(session, exclude=code)
        conflicts = indicator_conflicts(
            [IndicatorMeaning.of(i) for i in doc.form.indicators], known
        )
        if conflicts:
            raise refuse(
                ErrorCode.REGIME_INDICATOR_CONFLICT,
                "; ".join(
                    f"{c.code}: used by {c.where} with another {', '.join(c.fields)}"
                    for c in conflicts
                ),
                conflicts=[c.as_dict() for c in conflicts],
            )

    def _check_reported(
        self, session: Session, code: str, number: int, start: date, later: Sequence[date]
    ) -> None:
        """No period already reported under another version falls in this version's span."""
        end = min(later) if later else None
        clashes: list[str] = []
        for period_code, used in rstore.submitted_periods(session, code):
            if used == number:
                continue
            try:
                key = Period.parse(period_code).key_date
            except PeriodError:
                continue
            if key >= start and (end is None or key < end):
                clashes.append(f"{period_code} (v{used})")
        if clashes:
            raise refuse(
                ErrorCode.REGIME_VERSION_IN_USE,
                f"Periods already reported under another version fall from "
                f"{start.isoformat()}: {', '.join(sorted(set(clashes)))}.",
                regime=code,
                periods=sorted(set(clashes)),
            )

    # -- helpers --------------------------------------------------------------------------

    def _add_version(
        self,
        session: Session,
        code: str,
        number: int,
        doc: VersionDoc,
        state: str,
        now: datetime,
    ) -> rstore.RegimeVersionRow:
        return rstore.add_version(
            session,
            {
                "regime": code,
                "version": number,
                "effective_from": doc.effective_from,
                "state": state,
                "definition": definition_json(doc),
                "created_at": now,
                "updated_at": now,
                "published_at": now if state == rstore.PUBLISHED else None,
            },
        )

    @staticmethod
    def _touch(regime: rstore.RegimeRow, now: datetime) -> None:
        regime.revision += 1
        regime.updated_at = now

    def _audit(
        self,
        session: Session,
        actor_agency: str | None,
        action: str,
        code: str,
        detail: dict[str, Any],
    ) -> None:
        audit.record(
            session,
            at=self.clock.now(),
            actor=actor_agency or "operator",
            action=action,
            subject=code,
            detail=detail,
        )

    def _changed(self) -> None:
        if self.catalogue is not None:
            self.catalogue.reload()
