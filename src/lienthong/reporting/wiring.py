"""The reporting system as the composition root builds it: cheap to construct, every part
made on first use (the regime catalogue read from the store, the regime definitions, the demo
PKI's trust and the heads' demo keys), and the geographic reporting tree seeded from the agency
registry.

Units from the registry (geographic flow ``geo``): the Government Office is the root; ministries
and provinces (top-level agencies) report to it; communes, wards and townships report to their
province (two-tier local government since 1 Jul 2025 [U]); departments and districts are not
reporting units of a geographic regime.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from lienthong.agencies.model import Agency
from lienthong.clock import Clock
from lienthong.config import Settings
from lienthong.db import Database
from lienthong.reporting.submissions import UnitSpec

if TYPE_CHECKING:
    from lienthong.agencies.service import AgencyService
    from lienthong.calendar import WorkingCalendar
    from lienthong.reporting.consolidation import ReportingQueries
    from lienthong.reporting.regime_service import RegimeDefinitions, StoredCatalogue
    from lienthong.reporting.requests import RequestService
    from lienthong.reporting.service import ReportingService
    from lienthong.trust.pdf import PdfIdentity

GEO = "geo"
GOVERNMENT_OFFICE = "000.00.00.G22"
_COMMUNE_PREFIXES = ("UBND xã", "UBND phường", "UBND thị trấn", "Ủy ban nhân dân xã")
_PROVINCE_PREFIXES = (
    "UBND tỉnh",
    "UBND thành phố",
    "Ủy ban nhân dân tỉnh",
    "Ủy ban nhân dân thành phố",
)


def unit_level(agency: Agency) -> str | None:
    """The reporting level of a registered agency in the geographic flow, or None."""
    if agency.code == GOVERNMENT_OFFICE:
        return "government"
    if agency.parent_code is None:
        if agency.name.startswith(_PROVINCE_PREFIXES):
            return "province"
        if agency.name.startswith("Bộ "):
            return "ministry"
        return None
    if agency.name.startswith(_COMMUNE_PREFIXES):
        return "commune"
    return None


def geo_units(agencies: Sequence[Agency]) -> list[UnitSpec]:
    """The geographic reporting tree of the registry, parents first."""
    by_code = {a.code: a for a in agencies}
    levels = {a.code: unit_level(a) for a in agencies}
    if levels.get(GOVERNMENT_OFFICE) != "government":
        return []

    def province_of(agency: Agency) -> str | None:
        parent = agency.parent_code
        while parent is not None and parent in by_code:
            if levels.get(parent) == "province":
                return parent
            parent = by_code[parent].parent_code
        return None

    out: list[UnitSpec] = []
    order = {"government": 0, "ministry": 1, "province": 1, "commune": 2}
    for agency in sorted(agencies, key=lambda a: (order.get(levels[a.code] or "", 9), a.code)):
        level = levels[agency.code]
        if level is None:
            continue
        parent: str | None = None
        if level in ("ministry", "province"):
            parent = GOVERNMENT_OFFICE
        elif level == "commune":
            parent = province_of(agency)
            if parent is None:
                continue
        out.append(
            UnitSpec(agency.code, agency.name, level, parent, agency.valid_from, agency.valid_to)
        )
    return out


class Reporting:
    """The reporting services of one process."""

    def __init__(
        self, settings: Settings, db: Database, clock: Clock, agencies: AgencyService
    ) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self.agencies = agencies
        self._lock = threading.Lock()
        self._identities: dict[str, PdfIdentity] = {}
        self._synced = False

    @cached_property
    def _pki(self) -> object | None:
        from lienthong.clerk.signing import load_demo_pki

        return load_demo_pki(self.settings.resolved_pki_dir)

    def _signer_for(self, unit: str) -> PdfIdentity | None:
        """The unit head's demo key held by the server (a real deployment: remote signing)."""
        from lienthong.trust.pdf import PdfIdentity
        from lienthong.trust.pki import DemoPKI

        pki = self._pki
        if not isinstance(pki, DemoPKI) or unit not in pki.signers:
            return None
        if unit not in self._identities:
            self._identities[unit] = PdfIdentity.from_credential(pki.signer(unit))
        return self._identities[unit]

    def signing_since(self, unit: str) -> datetime | None:
        """From when the unit head's demo key signs (its certificate's start), or None when
        the server holds no key for it: the demo's history starts no earlier."""
        from lienthong.trust.pki import DemoPKI

        pki = self._pki
        if not isinstance(pki, DemoPKI) or unit not in pki.signers:
            return None
        return pki.signer(unit).certificate.not_valid_before_utc

    @cached_property
    def calendar(self) -> WorkingCalendar:
        from lienthong.calendar import WorkingCalendar

        return WorkingCalendar.from_settings(self.settings)

    @cached_property
    def catalogue(self) -> StoredCatalogue:
        """The regimes in force, read from the store (the demo seeds ``KTXH`` there)."""
        from lienthong.reporting.regime_service import StoredCatalogue

        return StoredCatalogue(self.db, self.calendar)

    @cached_property
    def definitions(self) -> RegimeDefinitions:
        """Defining, versioning, publishing and retiring regimes (API, CLI, editor)."""
        from lienthong.reporting.regime_service import RegimeDefinitions

        return RegimeDefinitions(self.db, self.clock, self.calendar, self.agencies, self.catalogue)

    @cached_property
    def service(self) -> ReportingService:
        from lienthong.clerk.signing import RenewingDemoTrust
        from lienthong.reporting.service import ReportingService
        from lienthong.trust.pki import DemoPKI

        # The demo trust renews its CRL (valid 24 h) so signed reports still pass after a day.
        pki = self._pki
        trust = RenewingDemoTrust(pki, self.clock) if isinstance(pki, DemoPKI) else None
        return ReportingService(
            self.db, self.clock, self.calendar, self.catalogue, trust, signer_for=self._signer_for
        )

    @cached_property
    def queries(self) -> ReportingQueries:
        from lienthong.reporting.consolidation import ReportingQueries

        return ReportingQueries(self.service)

    @cached_property
    def requests(self) -> RequestService:
        from lienthong.reporting.requests import RequestService

        return RequestService(self.db, self.clock, self.service.calendar, GEO)

    def ensure_units(self, *, force: bool = False) -> int:
        """Add the registry's geographic units missing from the tree (once per process unless
        ``force``); returns how many were added."""
        if self._synced and not force:
            return 0
        with self._lock:
            if self._synced and not force:
                return 0
            from lienthong.reporting import store

            wanted = geo_units(self.agencies.list_all())
            with self.db.read() as session:
                present = store.unit_codes(session, GEO, [u.code for u in wanted])
            fresh = [u for u in wanted if u.code not in present]
            if fresh:
                self.service.add_units(GEO, fresh, actor="registry")
            self._synced = True
            return len(fresh)
