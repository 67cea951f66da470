"""Property-based fuzzing of the whole HTTP API from its own ``/openapi.json`` (schemathesis):
the real hub app (shipped defaults, a small registry and one document) served by uvicorn on a
loopback port, every operation called with generated inputs, authenticated (HTTP Basic for the
hub's API, a bearer token from ``POST /token`` for the LGSP-style one). No answer is a 5xx, and
every answer matches what the schema declares for it (content type, body schema).

The number of examples per operation is bounded (``FUZZ_EXAMPLES``, default 25) so the test stays
under two minutes on CI; set ``LIENTHONG_FUZZ_EXAMPLES`` to fuzz longer. Every failing operation
is reported together, with the request that failed, rather than stopping at the first."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from lienthong.db import Database
from lienthong.web.app import create_app
from tests.support import (
    GOV_OFFICE,
    NGHE_AN,
    container_for,
    document_bytes,
    register,
    send,
)
from tests.web_server import ThreadedServer

FUZZ_EXAMPLES = int(os.environ.get("LIENTHONG_FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]


@dataclass
class Fuzzed:
    url: str
    basic: tuple[str, str]
    bearer: str


@pytest.fixture
def hub(sqlite_db: Database, tmp_path: Path) -> Iterator[Fuzzed]:
    container = container_for(sqlite_db, tmp_path)
    secret = register(container, GOV_OFFICE)
    register(container, NGHE_AN)
    send(container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], subject="Kiểm thử"))
    issued = container.lgsp.issue_consumer(GOV_OFFICE)
    server = ThreadedServer(create_app(container=container)).start()
    try:
        token = httpx.post(
            f"{server.url}/token",
            data={"grant_type": "client_credentials"},
            auth=(issued.consumer_key, issued.consumer_secret),
            timeout=30,
        )
        assert token.status_code == 200, token.text
        yield Fuzzed(server.url, (GOV_OFFICE, secret), str(token.json()["access_token"]))
    finally:
        server.stop()
        container.close()


def _fuzzer(
    operation: Any,
    url: str,
    auth: tuple[str, str] | None,
    headers: dict[str, str] | None,
    counter: list[int],
) -> Callable[[], None]:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def call(case: schemathesis.Case) -> None:
        counter[0] += 1
        case.call_and_validate(base_url=url, headers=headers, auth=auth, checks=CHECKS, timeout=30)

    return call  # type: ignore[no-any-return]


def test_no_operation_answers_5xx_or_outside_its_schema(hub: Fuzzed) -> None:
    schema = schemathesis.openapi.from_url(f"{hub.url}/openapi.json")
    failures: list[str] = []
    operations = 0
    counter = [0]
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        lgsp = operation.path.startswith("/truclienthong/")
        auth = None if lgsp else hub.basic
        headers = {"Authorization": f"Bearer {hub.bearer}"} if lgsp else None

        call = _fuzzer(operation, hub.url, auth, headers, counter)
        try:
            call()
        except (Exception, BaseExceptionGroup) as exc:  # a check failed: collect, go on
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:2000])
    print(f"fuzzed {operations} operations, {counter[0]} calls, {FUZZ_EXAMPLES} examples each")
    assert operations > 50
    assert failures == [], "\n\n".join(failures)


def test_an_id_no_row_can_have_is_not_found_not_a_server_error(hub: Fuzzed) -> None:
    """Found by the fuzzer: 10**25 in a reporting URL reached SQLite (OverflowError, a 500)."""
    huge = 10**25
    for method, path, code in (
        ("GET", f"/api/v1/reporting/submissions/{huge}/pdf", "REPORT_NOT_FOUND"),
        ("POST", f"/api/v1/reporting/submissions/{huge}/accept", "REPORT_NOT_FOUND"),
        ("POST", f"/api/v1/reporting/requests/{huge}/close", "REPORT_REQUEST_NOT_FOUND"),
    ):
        answer = httpx.request(method, f"{hub.url}{path}", auth=hub.basic, timeout=30)
        assert answer.status_code == 404, (path, answer.text)
        assert answer.json()["error"]["code"] == code
