"""Integers no database column can hold, in every integer parameter of every route: ids in the
path, page numbers, cursors and limits in the query, numbers in forms. ``2**63`` and beyond
make SQLite's driver raise ``OverflowError`` and PostgreSQL answer ``NumericValueOutOfRange``;
a negative one names no row either. Each is a refusal in the documented envelope (the JSON
``{"error": ...}`` or the error page with its code), never a 5xx.

The routes are walked from the app itself, so a route added later is covered without a change
here. API routes are called with the agency's HTTP Basic credentials, pages signed in as a user
holding every role (with the session's anti-forgery token), so that each input reaches the
route's lookup instead of stopping at authentication."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi.params import Form, Path, Query
from fastapi.routing import APIRoute

from lienthong.accounts.model import Role
from lienthong.web.app import _routers
from tests.integration.hostile.conftest import GOV_OFFICE, PASSWORD, Hub, csrf_of, error_code

BACKENDS = ["sqlite", "postgres"]

HUGE = ["9223372036854775808", str(10**30), "-1", "-9223372036854775809"]


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    name: str  # the integer parameter that carries the value
    where: str  # "path", "query" or "form"
    api: bool
    strings: tuple[tuple[str, str], ...]  # the route's other required string parameters


def _params(route: APIRoute) -> Iterator[tuple[str, object, object]]:
    def walk(dependant: object) -> Iterator[tuple[str, object, object]]:
        for param in [
            *getattr(dependant, "path_params", []),
            *getattr(dependant, "query_params", []),
            *getattr(dependant, "body_params", []),
        ]:
            yield param.name, param.field_info, param.field_info.annotation
        for sub in getattr(dependant, "dependencies", []):
            yield from walk(sub)

    yield from walk(route.dependant)


def _where(info: object) -> str | None:
    if isinstance(info, Path):
        return "path"
    if isinstance(info, Query):
        return "query"
    if isinstance(info, Form):
        return "form"
    return None


def integer_calls() -> list[Call]:
    calls: list[Call] = []
    for router in _routers():
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            params = list(_params(route))
            strings = tuple(
                (name, _where(info) or "query")
                for name, info, annotation in params
                if annotation is str and getattr(info, "is_required", lambda: False)()
            )
            for name, info, annotation in params:
                where = _where(info)
                if where is None or "int" not in str(annotation):
                    continue
                for method in sorted(route.methods):
                    api = route.path.startswith(("/api/", "/federation/", "/truclienthong/"))
                    calls.append(Call(method, route.path, name, where, api, strings))
    return calls


CALLS = integer_calls()


def test_the_walk_finds_the_routes_it_is_about() -> None:
    paths = {(c.path, c.name) for c in CALLS}
    assert ("/api/v1/inbox/{delivery_id}/package", "delivery_id") in paths
    assert ("/api/v1/reporting/submissions/{submission_id}/pdf", "submission_id") in paths
    assert ("/van-thu/du-thao/{draft_id}", "draft_id") in paths
    assert ("/thong-bao/{notification_id}", "notification_id") in paths
    assert len(CALLS) >= 30


@dataclass
class Clients:
    api: httpx.Client
    page: httpx.Client
    csrf: str


@pytest.fixture(scope="module")
def clients(hub: Hub) -> Iterator[Clients]:
    assert hub.container.accounts is not None
    hub.container.accounts.create_user("tatca", "Nguyễn Văn Toàn", GOV_OFFICE, list(Role), PASSWORD)
    page = hub.login("tatca")
    csrf = csrf_of(page.get("/van-thu").text)
    api = hub.http(auth=hub.basic(GOV_OFFICE))
    yield Clients(api, page, csrf)
    api.close()
    page.close()


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize("call", CALLS, ids=lambda c: f"{c.method} {c.path} {c.name}")
def test_an_integer_beyond_any_row_is_refused_not_a_server_error(
    hub: Hub, clients: Clients, call: Call, value: str
) -> None:
    path = call.path.replace("{" + call.name + "}", value)
    query: dict[str, str] = {}
    form: dict[str, str] = {}
    for name, where in call.strings:
        if where == "path":
            path = path.replace("{" + name + "}", "x")
        else:
            (form if where == "form" else query)[name] = "x"
    if call.where == "query":
        query[call.name] = value
    elif call.where == "form":
        form[call.name] = value
    if call.api:
        client, headers = clients.api, {"accept": "application/json"}
    else:
        client = clients.page
        headers = {"accept": "text/html", "x-csrf-token": clients.csrf}
    answer = client.request(call.method, path, params=query, data=form or None, headers=headers)
    import re as _re

    print(
        "PROBE",
        call.method,
        path,
        answer.status_code,
        _re.findall(r"<main.*", answer.text, _re.S)[:1][0][:1200]
        if "<main" in answer.text
        else answer.text[:300],
    )
    assert answer.status_code < 500, (answer.status_code, answer.text[:600])
    if answer.status_code >= 400:
        assert refusal_shown(answer), (answer.status_code, answer.text[:600])


def refusal_shown(answer: httpx.Response) -> bool:
    """The documented envelope, the error page with its code, or a form shown again with
    its error (a page form's refusal: what was typed stays, nothing is stored)."""
    return error_code(answer) is not None or 'class="flash error"' in answer.text
