"""A real ``lienthong serve`` closes slow clients: half a request header, a body that stalls, and
one connection beyond the per-address cap. Bounds of 2 s here; a closed connection is one whose
read returns end-of-file (or a reset) well before 3x the bound."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import prepare_hub
from tests.hub_process import HubProcess
from tests.support import GOV_OFFICE

BOUND = 2.0
CAP = 5


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    data_dir: Path = tmp_path_factory.mktemp("limits")
    prepared = prepare_hub(data_dir, f"sqlite:///{data_dir / 'hub.db'}", [GOV_OFFICE])
    process = prepared.process(
        env={
            "LIENTHONG_HTTP_HEADER_TIMEOUT_SECONDS": str(BOUND),
            "LIENTHONG_HTTP_BODY_IDLE_TIMEOUT_SECONDS": str(BOUND),
            "LIENTHONG_HTTP_MAX_CONNECTIONS_PER_ADDRESS": str(CAP),
        }
    ).start()
    yield process
    process.stop()


def _closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed ``sock`` (EOF or reset), or None if still open."""
    start = time.monotonic()
    sock.settimeout(seconds)
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return time.monotonic() - start
    except (ConnectionResetError, BrokenPipeError):
        return time.monotonic() - start
    except TimeoutError:
        return None


def _connect(hub: HubProcess) -> socket.socket:
    return socket.create_connection(("127.0.0.1", hub.port), timeout=5)


def test_half_a_header_then_silence_is_closed(hub: HubProcess) -> None:
    with _connect(hub) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: hub\r\nX-Slow: ")
        took = _closed_within(sock, 3 * BOUND)
    assert took is not None, "the server kept a half-sent header open"


def test_a_connection_that_sends_nothing_is_closed(hub: HubProcess) -> None:
    with _connect(hub) as sock:
        assert _closed_within(sock, 3 * BOUND) is not None


def test_a_header_trickled_byte_by_byte_is_closed_at_the_bound(hub: HubProcess) -> None:
    # A byte every half second: each arrives in time, but the headers never complete.
    with _connect(hub) as sock:
        start = time.monotonic()
        closed = False
        try:
            for byte in b"GET /healthz HTTP/1.1\r\nX-Padding: " + b"a" * 100:
                sock.sendall(bytes([byte]))
                time.sleep(0.5)
                if time.monotonic() - start > 3 * BOUND:
                    break
        except (BrokenPipeError, ConnectionResetError):
            closed = True
        closed = closed or _closed_within(sock, 0.5) is not None
    assert closed


def test_a_stalled_body_is_closed_and_a_flowing_one_is_not(hub: HubProcess) -> None:
    with _connect(hub) as sock:
        sock.sendall(
            b"POST /api/v1/packages HTTP/1.1\r\nHost: hub\r\nContent-Type: application/xml\r\n"
            b"Content-Length: 100000\r\n\r\n<edXML>"
        )
        assert _closed_within(sock, 3 * BOUND) is not None, "a stalled body stayed open"
    # A body that arrives in pieces, each within the bound, is read to the end (and answered).
    with _connect(hub) as sock:
        sock.sendall(b"POST /livez HTTP/1.1\r\nHost: hub\r\nContent-Length: 6\r\n\r\n")
        for piece in (b"ab", b"cd", b"ef"):
            time.sleep(BOUND / 2)
            sock.sendall(piece)
        sock.settimeout(5)
        assert sock.recv(4096).startswith(b"HTTP/1.1 ")


def test_one_connection_beyond_the_cap_is_closed_the_others_served(hub: HubProcess) -> None:
    held = [_connect(hub) for _ in range(CAP)]
    try:
        time.sleep(0.3)  # all counted
        extra = _connect(hub)
        with extra:
            assert _closed_within(extra, BOUND) is not None, "the connection over the cap stayed"
        # The held ones still work.
        held[0].sendall(b"GET /livez HTTP/1.1\r\nHost: hub\r\n\r\n")
        held[0].settimeout(5)
        assert held[0].recv(4096).startswith(b"HTTP/1.1 200")
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.3)
    assert httpx.get(f"{hub.url}/livez", timeout=5).status_code == 200  # freed again
