"""Requests the hub cannot serve answer a refusal with its own code, never a 500, and store
nothing: an identifier past 64 bits, a cursor it never gave out, JSON nested without end.
Real HTTP on loopback, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from lienthong.db import Database
from lienthong.web.app import create_app
from lienthong.web.container import Container
from tests.support import (
    GOV_OFFICE,
    NGHE_AN,
    container_for,
    counts,
    document_bytes,
    register,
    send,
)
from tests.web_server import ThreadedServer

TOO_BIG = str(2**63)  # one past the largest 64-bit id


@dataclass
class Hub:
    container: Container
    server: ThreadedServer
    secrets: dict[str, str]

    def client(self, agency: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.server.url, auth=(agency, self.secrets[agency]), timeout=30
        )


@pytest.fixture
def hub(db: Database, tmp_path: Path) -> Iterator[Hub]:
    container = container_for(db, tmp_path)
    secrets = {code: register(container, code) for code in (GOV_OFFICE, NGHE_AN)}
    server = ThreadedServer(create_app(container=container)).start()
    yield Hub(container, server, secrets)
    server.stop()


def refusal(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code, answer.text


def test_a_delivery_id_past_64_bits_is_not_found_and_nothing_changes(hub: Hub) -> None:
    send(hub.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    before = counts(hub.container)
    with hub.client(NGHE_AN) as client:
        for path in (f"/api/v1/inbox/{TOO_BIG}/package", f"/api/v1/inbox/-{TOO_BIG}/package"):
            refusal(client.get(path), 404, "DELIVERY_NOT_FOUND")
        refusal(
            client.post(f"/api/v1/inbox/{TOO_BIG}/ack", json={"result": "done"}),
            404,
            "DELIVERY_NOT_FOUND",
        )
        for path in ("/api/v1/inbox", "/api/v1/statuses"):
            refusal(client.get(path, params={"cursor": TOO_BIG}), 400, "REQUEST_INVALID")
        assert len(client.get("/api/v1/inbox").json()["items"]) == 1  # still pending
    assert counts(hub.container) == before


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "\x00\xff", "QUJD" * 2000, "2026-11-20T02:00:00+00:00|' or 1=1 --"],
    ids=["garbage", "nul-ff", "long base64", "injection"],
)
def test_a_cursor_the_hub_never_gave_out_is_refused(hub: Hub, cursor: str) -> None:
    with hub.client(GOV_OFFICE) as client:
        refusal(client.get("/api/v1/documents", params={"cursor": cursor}), 400, "CURSOR_INVALID")


def test_the_cursors_the_hub_gives_out_still_page_through_every_document(hub: Hub) -> None:
    for number in ("1", "2", "3"):
        send(hub.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], number=number))
    seen: list[str] = []
    cursor: str | None = None
    with hub.client(GOV_OFFICE) as client:
        while True:
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = client.get("/api/v1/documents", params=params)
            assert page.status_code == 200, page.text
            seen += [item["code_number"] for item in page.json()["items"]]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
    assert sorted(seen) == ["1", "2", "3"]


def test_json_nested_100000_levels_is_refused_on_the_portal_and_nothing_is_stored(
    hub: Hub,
) -> None:
    from tests.integration.portal.test_portal_http_sync import stored

    deep = "[" * 100_000 + "]" * 100_000
    deep_object = '{"a":' * 100 + "1" + "}" * 100  # parses, but deeper than any dossier
    with hub.client(NGHE_AN) as client:
        for body in (deep, deep_object):
            headers = {"content-type": "application/json"}
            refusal(
                client.put("/api/v1/portal/dossiers/X-1", content=body, headers=headers),
                400,
                "REQUEST_TOO_DEEP",
            )
            refusal(
                client.post("/api/v1/portal/dossiers/batch", content=body, headers=headers),
                400,
                "REQUEST_TOO_DEEP",
            )
        gateway = client.post("/portal/gateway", content=deep)
        assert gateway.status_code == 200 and gateway.json()["error"] == "REQUEST_TOO_DEEP"
    assert stored(hub.container.db) == (0, 0)
