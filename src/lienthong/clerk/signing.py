"""Who signs a draft as the competent person. The demo keeps each leader's key on the server
(:class:`DemoKeySigner`); a real deployment plugs in a signing device or remote-signing
service behind the same :class:`Signer` protocol (the key never reaches the hub)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from lienthong.accounts.model import User
from lienthong.clock import Clock
from lienthong.trust.pdf import PdfIdentity, PdfTrust, sign_pdf
from lienthong.trust.pki import DemoPKI


class Signer(Protocol):
    def sign(self, pdf: bytes, *, leader: User, at: datetime) -> bytes:
        """The PAdES-signed PDF (the competent person's visible signature)."""
        ...


class DemoKeySigner:
    """Signs with the leader agency's demo personal certificate (``DemoPKI.signer(code)``)."""

    def __init__(self, pki: DemoPKI) -> None:
        self.pki = pki
        self._identities: dict[str, PdfIdentity] = {}

    def sign(self, pdf: bytes, *, leader: User, at: datetime) -> bytes:
        code = leader.agency_code
        if code not in self._identities:
            if code not in self.pki.signers:
                raise KeyError(f"no demo signing certificate for {code}")
            self._identities[code] = PdfIdentity.from_credential(self.pki.signer(code))
        return sign_pdf(pdf, self._identities[code], at=at)


class OrganisationIdentities(Mapping[str, PdfIdentity]):
    """The organisations' credentials of a demo PKI, each key parsed on first use."""

    def __init__(self, pki: DemoPKI) -> None:
        self.pki = pki
        self._cache: dict[str, PdfIdentity] = {}

    def __getitem__(self, code: str) -> PdfIdentity:
        if code not in self._cache:
            self._cache[code] = PdfIdentity.from_credential(self.pki.organisation(code))
        return self._cache[code]

    def __contains__(self, code: object) -> bool:
        return code in self.pki.organisations  # without parsing the key

    def __iter__(self) -> Iterator[str]:
        return iter(self.pki.organisations)

    def __len__(self) -> int:
        return len(self.pki.organisations)


class RenewingDemoTrust:
    """The demo trust, renewed so its CRL (valid 24 h) never goes stale in a running hub.

    Calling it returns the current :class:`PdfTrust`, made again once it is older than
    ``every`` (or dated after the clock): a clerk application running for more than a day would
    otherwise refuse every leader's signature as "revocation data stale".
    """

    def __init__(self, pki: DemoPKI, clock: Clock, every: timedelta = timedelta(hours=12)) -> None:
        self.pki = pki
        self.clock = clock
        self.every = every
        self._lock = threading.Lock()
        self._made: datetime | None = None
        self._trust: PdfTrust | None = None

    def __call__(self) -> PdfTrust:
        now = self.clock.now()
        with self._lock:
            made = self._made
            if self._trust is None or made is None or not made <= now < made + self.every:
                self._trust = demo_pdf_trust(self.pki, self.clock)
                self._made = now
            return self._trust


def demo_pdf_trust(pki: DemoPKI, clock: Clock) -> PdfTrust:
    """Roots, the intermediate and a CRL made now (the demo's cached revocation data)."""
    return PdfTrust.from_certs(
        pki.trust_roots(), [pki.intermediate.certificate], crls=[pki.crl(clock.now())]
    )


def load_demo_pki(pki_dir: Path) -> DemoPKI | None:
    return DemoPKI.load(pki_dir) if (pki_dir / "pki.json").exists() else None
