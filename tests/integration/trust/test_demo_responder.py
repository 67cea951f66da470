"""The demo responder's port is a setting: the demo certificates carry its URLs (made again
when the port changes), and a port already taken stops the demo instead of leaving the
certificates pointing at someone else's responder."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from lienthong.trust.cli import ResponderPortBusyError, start_demo_responder
from lienthong.trust.pki import DemoPKI
from tests.hub_process import free_port


def _ocsp_url(pki: DemoPKI) -> str:
    cert = pki.organisations["000.00.00.G22"].certificate
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    return str(aia[0].access_location.value)


def test_the_certificates_follow_the_responder_port(tmp_path: Path) -> None:
    first, second = free_port(), free_port()
    responder = start_demo_responder(tmp_path / "pki", first)
    try:
        assert _ocsp_url(DemoPKI.load(tmp_path / "pki")) == f"http://127.0.0.1:{first}/ocsp"
        assert httpx.get(f"http://127.0.0.1:{first}/crl", timeout=5).status_code == 200
    finally:
        responder.stop()
    responder = start_demo_responder(tmp_path / "pki", second)
    try:
        assert _ocsp_url(DemoPKI.load(tmp_path / "pki")) == f"http://127.0.0.1:{second}/ocsp"
        assert httpx.get(f"http://127.0.0.1:{second}/crl", timeout=5).status_code == 200
    finally:
        responder.stop()


def test_a_taken_port_is_refused_before_anything_is_made(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ResponderPortBusyError) as caught:
            start_demo_responder(tmp_path / "pki", port)
    assert f"LIENTHONG_DEMO_RESPONDER_PORT={port + 1}" in str(caught.value)
    assert not (tmp_path / "pki").exists()
