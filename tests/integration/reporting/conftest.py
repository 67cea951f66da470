"""A two-level reporting network on a real database and a real demo PKI (session-scoped)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lienthong.calendar import WorkingCalendar
from lienthong.clock import VN_TZ, FixedClock
from lienthong.db import Database
from lienthong.reporting.consolidation import ReportingQueries
from lienthong.reporting.regimes import RegimeCatalogue, demo_regime
from lienthong.reporting.service import ReportingService, UnitSpec
from lienthong.trust.pdf import PdfIdentity, PdfTrust
from lienthong.trust.pki import DemoPKI

GOV = "000.00.00.G22"
PROVINCE = "000.00.00.H41"
OTHER_PROVINCE = "000.00.00.H12"
COMMUNES = ["H41.01.01", "H41.01.02", "H41.01.03", "H41.01.04"]
OTHER_COMMUNE = "H12.01.01"
PKI_TIME = datetime(2026, 1, 1, tzinfo=UTC)
START = datetime(2026, 4, 15, 9, 0, tzinfo=VN_TZ)  # period 2026-M04 ended on 14 Apr

UNITS = [
    UnitSpec(GOV, "Văn phòng Chính phủ", "government"),
    UnitSpec(PROVINCE, "UBND tỉnh Nghệ An", "province", GOV),
    UnitSpec(OTHER_PROVINCE, "UBND tỉnh Cao Bằng", "province", GOV),
    *[UnitSpec(c, f"UBND xã số {i + 1}", "commune", PROVINCE) for i, c in enumerate(COMMUNES)],
    UnitSpec(OTHER_COMMUNE, "UBND xã Cao Bằng 1", "commune", OTHER_PROVINCE),
]


@pytest.fixture(scope="session")
def reporting_pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPKI:
    codes = [u.code for u in UNITS]
    return DemoPKI.create(
        tmp_path_factory.mktemp("reporting-pki"),
        agencies=[(u.code, u.name) for u in UNITS],
        signers=[(c, f"Thủ trưởng {c}", "Chủ tịch") for c in codes],
        hubs=[],
        ocsp_url="http://127.0.0.1:9/ocsp",
        crl_url="http://127.0.0.1:9/crl",
        now=PKI_TIME,
    )


@pytest.fixture(scope="session")
def identities(reporting_pki: DemoPKI) -> dict[str, PdfIdentity]:
    return {u.code: PdfIdentity.from_credential(reporting_pki.signer(u.code)) for u in UNITS}


@pytest.fixture(scope="session")
def trust(reporting_pki: DemoPKI) -> PdfTrust:
    return PdfTrust.from_certs(
        reporting_pki.trust_roots(),
        [reporting_pki.intermediate.certificate],
        crls=[reporting_pki.crl(PKI_TIME, validity=timedelta(days=400))],
    )


@dataclass
class Network:
    service: ReportingService
    queries: ReportingQueries
    clock: FixedClock
    identities: dict[str, PdfIdentity]
    db: Database


@pytest.fixture
def network(db: Database, trust: PdfTrust, identities: dict[str, PdfIdentity]) -> Iterator[Network]:
    cal = WorkingCalendar()
    catalogue = RegimeCatalogue(cal)
    catalogue.add(demo_regime())
    clock = FixedClock(START)
    service = ReportingService(db, clock, cal, catalogue, trust, signer_for=identities.get)
    service.add_units("geo", UNITS)
    yield Network(service, ReportingQueries(service), clock, identities, db)


def path_of(tmp: Path, name: str) -> Path:
    return tmp / name
