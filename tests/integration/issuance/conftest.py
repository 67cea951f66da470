"""A demo PKI for the whole session (certificates valid around the tests' fixed clock)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.issuance.service import IssuanceService
from lienthong.trust.pdf import PdfIdentity
from lienthong.trust.pki import DemoPKI
from lienthong.web.container import Container
from tests.support import GOV_OFFICE, NGHE_AN, NOW, container_for, register, trusted_roots_for
from tests.support_pdf import make_pki, pdf_trust


@dataclass
class Parties:
    pki: DemoPKI
    leaders: dict[str, PdfIdentity]
    organisations: dict[str, PdfIdentity]


@pytest.fixture(scope="session")
def parties(tmp_path_factory: pytest.TempPathFactory) -> Parties:
    pki = make_pki(tmp_path_factory.mktemp("pki"), NOW)
    codes = [GOV_OFFICE, NGHE_AN]
    return Parties(
        pki,
        {c: PdfIdentity.from_credential(pki.signer(c)) for c in codes},
        {c: PdfIdentity.from_credential(pki.organisation(c)) for c in codes},
    )


@dataclass
class Desk:
    """A hub with two agencies and an issuance service, on one database."""

    container: Container
    clock: FixedClock
    issuance: IssuanceService


def make_desk(db: Database, tmp_path: Path, parties: Parties, clock: FixedClock) -> Desk:
    # The hub trusts the root of the parties' PKI (beside the test PKI's).
    roots = trusted_roots_for(tmp_path / "var", parties.pki.out_dir)
    container = container_for(db, tmp_path, clock, trusted_roots=roots)
    register(container, GOV_OFFICE, "Văn phòng Chính phủ")
    register(container, NGHE_AN, "Ủy ban nhân dân tỉnh Nghệ An")
    service = IssuanceService(
        db=container.db,
        exchange=container.exchange,
        clock=clock,
        trust=pdf_trust(parties.pki, NOW),
        organisations=parties.organisations,
        staging_dir=container.settings.staging_dir,
    )
    return Desk(container, clock, service)


@pytest.fixture
def desk(db: Database, tmp_path: Path, parties: Parties) -> Iterator[Desk]:
    yield make_desk(db, tmp_path, parties, FixedClock(NOW))
