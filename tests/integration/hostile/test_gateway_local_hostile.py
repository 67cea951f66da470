"""Hostile inputs on the gateway's local API (``lienthong gateway``: the agency's document
software talks to it): malformed JSON, wrong types, oversize fields and bodies, traversal and
out-of-range ids, a reused idempotency key. Each is refused with its stable code and nothing is
stored, neither in the gateway's own SQLite file and package folder nor on the hub.

The gateway app is built with ``create_gateway_app`` over a real :class:`GatewayService` whose
signing client talks to the module's real hub over loopback HTTP."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from lienthong.client.signing import SigningClient
from lienthong.clock import FixedClock
from lienthong.gateway import store
from lienthong.gateway.api import create_gateway_app
from lienthong.gateway.service import GatewayService
from tests.integration.hostile.conftest import GOV_OFFICE, NGHE_AN, Hub, refused
from tests.support import NOW, organisation_credential, shared_pki, unsigned_document_bytes
from tests.web_server import ThreadedServer


@dataclass
class Gateway:
    service: GatewayService
    server: ThreadedServer
    hub: Hub

    def http(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        return httpx.Client(base_url=self.server.url, timeout=60, headers=headers)

    def snapshot(self) -> dict[str, str]:
        digests = dict(self.hub.snapshot())
        with self.service.db.read() as session:
            for table in store.GatewayBase.metadata.sorted_tables:
                rows = sorted(repr(tuple(r)) for r in session.execute(select(table)))
                digests[f"gateway.{table.name}"] = hashlib.sha256(
                    "\n".join(rows).encode()
                ).hexdigest()
        files = sorted(str(p) for p in self.service.packages.rglob("*") if p.is_file())
        digests["gateway.<packages>"] = "\n".join(files)
        return digests

    def unchanged(self, act: Callable[[], httpx.Response]) -> httpx.Response:
        before = self.snapshot()
        answer = act()
        after = self.snapshot()
        changed = {k for k in after if before.get(k) != after[k]}
        assert not changed, f"stored state changed: {changed} (answer {answer.status_code})"
        return answer


TOKEN = "hostile-suite-local-api-token-0123456789"


@pytest.fixture(scope="module")
def gateway(hub: Hub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    client = SigningClient(
        hub.url,
        organisation_credential(GOV_OFFICE),
        [shared_pki().root.certificate],
        system_id=GOV_OFFICE,
        secret=hub.secrets[GOV_OFFICE],
        backoff=0.01,
    )
    folder: Path = tmp_path_factory.mktemp("gateway")
    service = GatewayService(client, folder, FixedClock(NOW))
    server = ThreadedServer(create_gateway_app(service, token=TOKEN)).start()
    yield Gateway(service, server, hub)
    server.stop()
    service.close()


STATUS = {
    "document_id": "000.00.00.G22,2026/01/01,7/VPCP",
    "original_sender": GOV_OFFICE,
    "status_code": "03",
    "description": "",
}
XML = {"Content-Type": "application/xml"}
JSON = {"Content-Type": "application/json"}
BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    b"<edXML>&lol3;</edXML>"
)


def _post(path: str, **kw: object) -> Callable[[httpx.Client], httpx.Response]:
    return lambda c: c.post(path, **kw)  # type: ignore[arg-type]


def _get(path: str, **kw: object) -> Callable[[httpx.Client], httpx.Response]:
    return lambda c: c.get(path, **kw)  # type: ignore[arg-type]


CASES: dict[str, tuple[Callable[[httpx.Client], httpx.Response], str, int]] = {
    "send: empty body": (_post("/send", content=b"", headers=XML), "REQUEST_INVALID", 400),
    "send: not XML": (
        _post("/send", content=b"hello, hub", headers=XML),
        "PACKAGE_MALFORMED",
        400,
    ),
    "send: an entity bomb": (_post("/send", content=BOMB, headers=XML), "PACKAGE_MALFORMED", 400),
    "send: an idempotency key of 500 characters": (
        _post("/send", content=b"<edXML/>", headers={**XML, "Idempotency-Key": "k" * 500}),
        "REQUEST_INVALID",
        422,
    ),
    "status: malformed JSON": (
        _post("/status", content=b'{"document_id": ', headers=JSON),
        "REQUEST_INVALID",
        422,
    ),
    "status: a JSON array, not an object": (
        _post("/status", json=[STATUS]),
        "REQUEST_INVALID",
        422,
    ),
    "status: a field missing": (
        _post("/status", json={k: v for k, v in STATUS.items() if k != "status_code"}),
        "REQUEST_INVALID",
        422,
    ),
    "status: a number where text is due": (
        _post("/status", json={**STATUS, "status_code": 3}),
        "REQUEST_INVALID",
        422,
    ),
    "status: a status code of three characters": (
        _post("/status", json={**STATUS, "status_code": "003"}),
        "REQUEST_INVALID",
        422,
    ),
    "status: a description of 100 000 characters": (
        _post("/status", json={**STATUS, "description": "x" * 100_000}),
        "REQUEST_INVALID",
        422,
    ),
    "status: XML where JSON is due": (
        _post("/status", content=b"<status/>", headers=XML),
        "REQUEST_INVALID",
        422,
    ),
    "package: traversal in the id": (
        _get("/inbox/..%2F..%2Fgateway.db/package"),
        "ROUTE_NOT_FOUND",
        404,
    ),
    "package: a name, not an id": (_get("/inbox/gateway.db/package"), "REQUEST_INVALID", 422),
    "package: an id beyond any row": (
        _get(f"/inbox/{10**25}/package"),
        "DELIVERY_NOT_FOUND",
        404,
    ),
    "package: a negative id": (_get("/inbox/-1/package"), "DELIVERY_NOT_FOUND", 404),
    "package: an id not stored": (_get("/inbox/4242/package"), "DELIVERY_NOT_FOUND", 404),
    "inbox: a limit of a million": (
        _get("/inbox", params={"limit": "1000000", "pull": "false"}),
        "REQUEST_INVALID",
        422,
    ),
    "inbox: a negative cursor": (
        _get("/inbox", params={"after": "-5", "pull": "false"}),
        "REQUEST_INVALID",
        422,
    ),
    "inbox: a cursor beyond 64 bits": (
        _get("/inbox", params={"after": str(2**63), "pull": "false"}),
        "REQUEST_INVALID",
        422,
    ),
    "inbox: pull is not a boolean": (
        _get("/inbox", params={"pull": "perhaps"}),
        "REQUEST_INVALID",
        422,
    ),
    "unknown route": (_get("/../../etc/passwd"), "ROUTE_NOT_FOUND", 404),
    "method not taken": (_get("/send"), "METHOD_NOT_ALLOWED", 405),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_hostile_input_is_refused_and_nothing_is_stored(gateway: Gateway, name: str) -> None:
    act, code, status = CASES[name]
    with gateway.http() as client:
        answer = gateway.unchanged(lambda: act(client))
    refused(answer, code, status)


def test_a_body_over_the_hubs_limit_is_refused_and_nothing_is_stored(gateway: Gateway) -> None:
    from tests.integration.hostile.conftest import MAX_PACKAGE_BYTES

    raw = unsigned_document_bytes(GOV_OFFICE, [NGHE_AN], number="9901")
    huge = raw.replace(b"</edXML>", b"<!--" + b"x" * (MAX_PACKAGE_BYTES + 1) + b"--></edXML>")
    with gateway.http() as client:
        answer = gateway.unchanged(lambda: client.post("/send", content=huge, headers=XML))
    refused(answer, "PACKAGE_TOO_LARGE", 413)


def test_a_reused_idempotency_key_with_other_bytes_is_refused(gateway: Gateway) -> None:
    first = unsigned_document_bytes(GOV_OFFICE, [NGHE_AN], number="9902")
    other = unsigned_document_bytes(GOV_OFFICE, [NGHE_AN], number="9903")
    key = {"Idempotency-Key": "gw-hostile-1", **XML}
    with gateway.http() as client:
        assert client.post("/send", content=first, headers=key).status_code == 201
        answer = gateway.unchanged(lambda: client.post("/send", content=other, headers=key))
    refused(answer, "IDEMPOTENCY_KEY_REUSED", 409)
