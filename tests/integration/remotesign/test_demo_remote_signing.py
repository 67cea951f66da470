"""The demo remote signing service ``make run`` starts beside the hub: the demo leaders hold
their agency's demo signer key, the hub's settings point at it with its token, and a taken
port falls back to a free one. Real uvicorn on loopback, a real demo PKI, real SQLite."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from lienthong.accounts.demo import demo_people
from lienthong.accounts.model import Role, User
from lienthong.agencies.demo import DEMO_AGENCIES, demo_signer
from lienthong.clerk.remote import CscClient, RemoteSigner
from lienthong.config import Settings
from lienthong.errors import ErrorCode
from lienthong.remotesign.demo import DemoRemoteSigning, start_demo_remote_signing
from lienthong.remotesign.model import RemoteSigningError
from lienthong.trust.pki import DemoPKI
from tests.support import GOV_OFFICE, NGHE_AN
from tests.support_pdf import draft_pdf


@pytest.fixture(scope="module")
def demo_pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPKI:
    """Two demo agencies' PKI, their signers named as ``make run`` names them."""
    agencies = [a for a in DEMO_AGENCIES if a.code in (GOV_OFFICE, NGHE_AN)]
    return DemoPKI.create(
        tmp_path_factory.mktemp("demo-pki"),
        agencies=[(a.code, a.name) for a in agencies],
        signers=[(a.code, *demo_signer(a)) for a in agencies],
        hubs=[],
        ocsp_url="http://127.0.0.1:9/ocsp",
        crl_url="http://127.0.0.1:9/crl",
        now=datetime.now(UTC),
    )


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


@pytest.fixture
def started(
    tmp_path: Path, demo_pki: DemoPKI, taken_port: int
) -> Iterator[tuple[DemoRemoteSigning, bool]]:
    settings = Settings(data_dir=tmp_path / "var")
    remote, taken = start_demo_remote_signing(settings, demo_pki, taken_port)
    yield remote, taken
    remote.server.should_exit = True


def _leader(agency: str) -> User:
    (username, full_name, code, roles), *_ = [
        p for p in demo_people() if p[2] == agency and Role.LEADER in p[3]
    ]
    return User(1, username, full_name, code, roles)


def test_a_taken_port_falls_back_to_a_free_one_and_the_hub_is_pointed_at_it(
    started: tuple[DemoRemoteSigning, bool], taken_port: int, tmp_path: Path
) -> None:
    remote, taken = started
    assert taken and not remote.base_url.endswith(f":{taken_port}")
    assert httpx.post(f"{remote.csc_url}/info", json={}, timeout=5).status_code == 200
    hub = remote.configure(Settings(data_dir=tmp_path / "var"))
    assert (hub.remote_signing_url, hub.remote_signing_token) == (remote.csc_url, remote.token)
    assert (tmp_path / "var" / "remote-signing.db").exists()


def test_each_demo_leader_holds_their_agencys_demo_key_and_only_the_hub_may_ask(
    started: tuple[DemoRemoteSigning, bool],
) -> None:
    remote, _ = started
    signer = RemoteSigner(CscClient(remote.csc_url, remote.token))
    for agency in (GOV_OFFICE, NGHE_AN):
        leader = _leader(agency)
        begun = signer.start(
            draft_pdf(text="Du thao"), leader=leader, at=datetime.now(UTC), description="Thử"
        )  # the certificate names the demo leader: not refused SIGNER_CERTIFICATE_NOT_OWN
        assert begun.approval_uri.startswith(f"{remote.base_url}/ky-so-tu-xa/yeu-cau/")
        sms = httpx.get(remote.sms_url(leader.username), timeout=5)
        assert sms.status_code == 200 and "Mã xác thực ký số" in sms.text
    with pytest.raises(RemoteSigningError) as refused:
        CscClient(remote.csc_url, "not-the-hub").credentials(_leader(GOV_OFFICE).username)
    assert refused.value.code is ErrorCode.AUTH_FAILED
