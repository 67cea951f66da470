"""Hostile forwards between hubs (``/federation/v1/forward``): a missing, forged or garbage
hub signature, and hostile bodies. Each is refused with its code and changes nothing stored.
(Plain HTTP with ``federation_mtls='off'``: the signed forward alone is what is checked.)"""

from __future__ import annotations

import base64
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lienthong.db import Database
from lienthong.trust.pki import DemoPKI
from tests.integration.hostile.conftest import GOV_OFFICE, NGHE_AN, Hub, error_code, make_hub
from tests.support import NOW, document_bytes

HUB = "HUB.QG"


@pytest.fixture(scope="module")
def hub(hostile_db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    pki = DemoPKI.create(
        Path(tempfile.mkdtemp(prefix="hostile-hubs-")),
        agencies=[],
        signers=[],
        hubs=[HUB, "HUB.X"],
        ocsp_url="http://127.0.0.1:1/ocsp",
        crl_url="http://127.0.0.1:1/crl",
        now=NOW,
    )
    folder = pki.out_dir / "hubs" / HUB
    made = make_hub(
        hostile_db,
        tmp_path_factory.mktemp("hostile-federation"),
        hub_id=HUB,
        national_hub_id=HUB,
        federation_mtls="off",
        hub_cert=folder / "cert.pem",
        hub_key=folder / "key.pem",
    )
    yield made
    made.server.stop()


def _b64(value: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


SIGNATURES = [
    pytest.param(None, "HUB_SIGNATURE_INVALID", id="no-signature"),
    pytest.param("", "HUB_SIGNATURE_INVALID", id="empty-signature"),
    pytest.param("garbage", "HUB_SIGNATURE_INVALID", id="garbage-signature"),
    pytest.param("a.b.c", "HUB_SIGNATURE_INVALID", id="three-garbage-parts"),
    pytest.param(
        _b64({"alg": "none"}) + "." + _b64({"from_hub": "HUB.X"}) + ".",
        "HUB_UNKNOWN",
        id="alg-none-unlisted-hub",
    ),
    pytest.param(
        _b64({"alg": "HS256", "typ": "JWT"}) + "." + _b64({"from_hub": "HUB.X"}) + ".c2ln",
        "HUB_UNKNOWN",
        id="alg-hs256-unlisted-hub",
    ),
    pytest.param("x" * 20_000, "HUB_SIGNATURE_INVALID", id="huge-signature"),
]


@pytest.mark.parametrize(("signature", "code"), SIGNATURES)
def test_a_forward_without_a_valid_hub_signature_is_refused(
    hub: Hub, signature: str | None, code: str
) -> None:
    data = document_bytes(GOV_OFFICE, [NGHE_AN], number="701")
    headers = {} if signature is None else {"X-Lienthong-Hub-Signature": signature}
    with hub.http() as http:
        answer = hub.unchanged(
            lambda: http.post("/federation/v1/forward", content=data, headers=headers)
        )
    assert 400 <= answer.status_code < 500, answer.text[:500]
    assert error_code(answer) == code, answer.text[:500]
