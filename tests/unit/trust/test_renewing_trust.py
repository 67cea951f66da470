"""The demo trust of a running hub renews its CRL (valid 24 h) instead of going stale."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lienthong.clerk.signing import RenewingDemoTrust, demo_pdf_trust
from lienthong.clock import FixedClock
from lienthong.trust.pdf import PdfIdentity, sign_pdf, validate_pdf
from lienthong.trust.pdf_validation import current_trust
from lienthong.trust.pki import DemoPKI
from tests.support import GOV_OFFICE, NOW
from tests.support_pdf import draft_pdf, make_pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPKI:
    return make_pki(tmp_path_factory.mktemp("renew-pki"), NOW)


def test_a_trust_made_at_start_up_refuses_a_signature_two_days_later(pki: DemoPKI) -> None:
    later = NOW + timedelta(days=2)
    signed = sign_pdf(draft_pdf(), PdfIdentity.from_credential(pki.signer(GOV_OFFICE)), at=later)
    (stale,) = validate_pdf(signed, demo_pdf_trust(pki, FixedClock(NOW)), now=later)
    assert not stale.valid


def test_the_renewing_trust_accepts_it_and_renews_only_when_due(pki: DemoPKI) -> None:
    clock = FixedClock(NOW)
    source = RenewingDemoTrust(pki, clock)
    first = current_trust(source)
    assert current_trust(source) is first  # not renewed within 12 hours
    clock.advance(timedelta(days=2))
    signed = sign_pdf(
        draft_pdf(), PdfIdentity.from_credential(pki.signer(GOV_OFFICE)), at=clock.now()
    )
    renewed = current_trust(source)
    assert renewed is not first
    (report,) = validate_pdf(signed, renewed, now=clock.now())
    assert report.valid, report.as_dict()
