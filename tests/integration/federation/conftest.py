"""Fixtures of the federation tests: a hub PKI (one per session) and hub containers."""

from __future__ import annotations

from pathlib import Path

import pytest

from lienthong.trust.pki import DemoPKI
from tests.support import NOW

HUBS = ("HUB.QG", "HUB.A", "HUB.M", "HUB.X")


@pytest.fixture(scope="session")
def hub_pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPKI:
    return DemoPKI.create(
        tmp_path_factory.mktemp("hub-pki"),
        agencies=[],
        signers=[],
        hubs=list(HUBS),
        ocsp_url="http://127.0.0.1:1/ocsp",
        crl_url="http://127.0.0.1:1/crl",
        now=NOW,  # the tests' fixed clock; certificates valid from the day before
    )


def hub_files(pki: DemoPKI, hub: str) -> dict[str, Path]:
    folder = pki.out_dir / "hubs" / hub
    return {"hub_cert": folder / "cert.pem", "hub_key": folder / "key.pem"}
