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


# --- the operator's outbox and the public directory (issue 18 items 14 and 9) ---------------


def test_the_outbox_asks_for_credentials_even_from_loopback(hub: Hub) -> None:
    """Behind a reverse proxy every client is loopback: the address authorises nothing."""
    with hub.http() as http:
        answer = http.get("/federation/v1/outbox")
        forwarded = http.get("/federation/v1/outbox", headers={"X-Forwarded-For": "127.0.0.1"})
    assert answer.status_code == 401 and error_code(answer) == "AUTH_FAILED", answer.text
    assert forwarded.status_code == 401 and error_code(forwarded) == "AUTH_FAILED"
    assert "counts" not in answer.text


def test_the_outbox_is_for_the_hub_operators_agency_only(hub: Hub) -> None:
    with hub.http(auth=hub.basic(NGHE_AN)) as http:
        other = http.get("/federation/v1/outbox")
    assert other.status_code == 403 and error_code(other) == "FORBIDDEN", other.text
    assert hub.container.settings.hub_code == GOV_OFFICE
    with hub.http(auth=hub.basic(GOV_OFFICE)) as http:
        own = http.get("/federation/v1/outbox", params={"state": "dead"})
    assert own.status_code == 200, own.text
    assert set(own.json()) == {"counts", "items"}


def test_the_directory_is_public_read(hub: Hub) -> None:
    """Decided (docs/federation.md): no hub certificate, no credentials; it lists hubs, their
    public certificates and the agencies they serve, nothing secret."""
    with hub.http() as http:
        answer = http.get("/federation/v1/directory")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"hub", "cursor", "agencies", "hubs"}
    assert GOV_OFFICE in {a["code"] for a in body["agencies"]}
    assert "secret" not in answer.text.lower() and "PRIVATE KEY" not in answer.text
