"""POST /token (OAuth2 client credentials) and the Bearer token on the calls, over real HTTP:
issue, expiry, revocation, rotation; every refusal with its codes, and nothing written."""

from __future__ import annotations

import base64
from datetime import timedelta

import httpx

from lienthong.errors import ErrorCode
from tests.integration.lgsp.conftest import Lgsp
from tests.lgsp_client import BASE_PATH, LgspClient
from tests.support import CAO_BANG, GOV_OFFICE


def test_a_connected_system_trades_its_consumer_key_for_a_bearer_token(lgsp: Lgsp) -> None:
    client = lgsp.client(GOV_OFFICE, token=False)
    answer = client.token_answer()
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"access_token", "scope", "token_type", "expires_in"}
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    assert answer.headers["cache-control"] == "no-store"
    client.token = body["access_token"]
    listed = client.vanbans_get(lgsp.secret(GOV_OFFICE))
    assert (listed["status"], listed["errorCode"], listed["data"]) == ("OK", 0, [])


def test_the_hub_keeps_only_the_hash_of_a_token(lgsp: Lgsp) -> None:
    from sqlalchemy import select

    from lienthong.lgsp.store import TokenRow

    token = lgsp.client(GOV_OFFICE).token
    assert token is not None
    with lgsp.container.db.read() as session:
        stored = list(session.scalars(select(TokenRow.token_hash)))
    assert len(stored) == 1 and token not in stored and len(stored[0]) == 64


def test_client_credentials_in_the_form_body_are_accepted_too(lgsp: Lgsp) -> None:
    issued = lgsp.issued[GOV_OFFICE]
    answer = httpx.post(
        f"{lgsp.url}/token",
        data={
            "grant_type": "client_credentials",
            "client_id": issued.consumer_key,
            "client_secret": issued.consumer_secret,
        },
    )
    assert answer.status_code == 200 and answer.json()["access_token"]


def test_a_wrong_consumer_secret_gets_no_token_and_writes_nothing(lgsp: Lgsp) -> None:
    client = lgsp.client(GOV_OFFICE, token=False)
    before = lgsp.rows()
    for key, secret in ((None, "not-the-secret"), ("no-such-key", None)):
        answer = client.token_answer(key, secret)
        assert answer.status_code == 401
        assert answer.json()["error"] == "invalid_client"
        assert answer.json()["code"] == ErrorCode.AUTH_FAILED
        assert answer.headers["www-authenticate"].startswith("Basic")
    assert lgsp.rows() == before


def test_a_token_request_without_the_client_credentials_grant_is_refused(lgsp: Lgsp) -> None:
    issued = lgsp.issued[GOV_OFFICE]
    basic = base64.b64encode(f"{issued.consumer_key}:{issued.consumer_secret}".encode()).decode()
    before = lgsp.rows()
    cases = ((b"grant_type=password", "unsupported_grant_type"), (b"", "invalid_request"))
    for body, error in cases:
        answer = httpx.post(
            f"{lgsp.url}/token",
            content=body,
            headers={
                "Authorization": f"Basic {basic}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        assert (answer.status_code, answer.json()["error"]) == (400, error)
        assert answer.json()["code"] == ErrorCode.REQUEST_INVALID
    assert lgsp.rows() == before


def _refused_token(answer: dict[str, object]) -> None:
    assert answer["_http"] == 401
    assert (answer["status"], answer["errorCode"], answer["code"]) == (
        "FAIL",
        15,
        ErrorCode.TOKEN_INVALID,
    )


def test_a_call_without_a_token_or_with_a_made_up_one_is_refused(lgsp: Lgsp) -> None:
    client = lgsp.client(GOV_OFFICE, token=False)
    before = lgsp.rows()
    _refused_token(client.vanbans_get(lgsp.secret(GOV_OFFICE)))
    client.token = "stolen-or-made-up"
    answer = client.http.get("/vanbans", headers=client._headers(secret=lgsp.secret(GOV_OFFICE)))
    assert answer.status_code == 401
    assert 'error="invalid_token"' in answer.headers["www-authenticate"]
    assert answer.headers["x-error-code"] == ErrorCode.TOKEN_INVALID
    assert lgsp.rows() == before


def test_a_token_expires_after_its_lifetime(lgsp: Lgsp) -> None:
    client = lgsp.client(GOV_OFFICE)
    secret = lgsp.secret(GOV_OFFICE)
    lgsp.clock.advance(timedelta(seconds=3599))
    assert client.vanbans_get(secret)["status"] == "OK"
    lgsp.clock.advance(timedelta(seconds=1))
    _refused_token(client.vanbans_get(secret))
    client.generate()  # a new token works again
    assert client.vanbans_get(secret)["status"] == "OK"


def test_a_revoked_consumer_key_loses_its_tokens_at_once(lgsp: Lgsp) -> None:
    client = lgsp.client(GOV_OFFICE)
    assert lgsp.container.lgsp is not None
    lgsp.container.lgsp.revoke_consumer(lgsp.issued[GOV_OFFICE].consumer_key)
    _refused_token(client.vanbans_get(lgsp.secret(GOV_OFFICE)))
    answer = client.token_answer()
    assert (answer.status_code, answer.json()["code"]) == (401, ErrorCode.AUTH_FAILED)
    # Another system of another agency is untouched.
    other = lgsp.client(CAO_BANG)
    assert other.vanbans_get(lgsp.secret(CAO_BANG))["status"] == "OK"


def test_a_rotated_secret_is_refused_at_once_with_the_tokens_it_got(lgsp: Lgsp) -> None:
    client = lgsp.client(GOV_OFFICE)
    assert lgsp.container.lgsp is not None
    new_secret = lgsp.container.lgsp.rotate_consumer(lgsp.issued[GOV_OFFICE].consumer_key)
    _refused_token(client.vanbans_get(lgsp.secret(GOV_OFFICE)))
    assert client.token_answer().status_code == 401  # the old secret
    rotated = LgspClient(lgsp.url, lgsp.issued[GOV_OFFICE].consumer_key, new_secret)
    lgsp.clients.append(rotated)
    rotated.generate()
    assert rotated.vanbans_get(lgsp.secret(GOV_OFFICE))["status"] == "OK"


def test_a_secret_rotated_with_an_overlap_works_beside_the_new_one_until_it_ends(
    lgsp: Lgsp,
) -> None:
    """As ``agencies rotate-credentials --overlap-hours``: both secrets get tokens, and the
    old secret's tokens keep working, for the overlap; then the old secret is AUTH_FAILED
    and its tokens TOKEN_INVALID, and the new secret's tokens are untouched."""
    assert lgsp.container.lgsp is not None
    key = lgsp.issued[GOV_OFFICE].consumer_key
    old = lgsp.client(GOV_OFFICE)  # a token got with the old secret before the rotation
    new_secret = lgsp.container.lgsp.rotate_consumer(key, overlap=timedelta(minutes=30))
    assert old.vanbans_get(lgsp.secret(GOV_OFFICE))["status"] == "OK"
    again = LgspClient(lgsp.url, key, lgsp.issued[GOV_OFFICE].consumer_secret)
    rotated = LgspClient(lgsp.url, key, new_secret)
    lgsp.clients += [again, rotated]
    again.generate()  # the old secret still gets a token during the overlap
    rotated.generate()
    lgsp.clock.advance(timedelta(minutes=29, seconds=59))
    for client in (old, again, rotated):
        assert client.vanbans_get(lgsp.secret(GOV_OFFICE))["status"] == "OK"
    lgsp.clock.advance(timedelta(seconds=1))  # the overlap's end
    before = lgsp.rows()
    refused = again.token_answer()
    assert refused.status_code == 401 and refused.json()["code"] == ErrorCode.AUTH_FAILED
    for client in (old, again):
        _refused_token(client.vanbans_get(lgsp.secret(GOV_OFFICE)))
    assert lgsp.rows() == before
    assert rotated.vanbans_get(lgsp.secret(GOV_OFFICE))["status"] == "OK"
    assert rotated.token_answer().status_code == 200


def test_a_second_rotation_ends_the_first_ones_overlap_at_once(lgsp: Lgsp) -> None:
    assert lgsp.container.lgsp is not None
    key = lgsp.issued[GOV_OFFICE].consumer_key
    first = lgsp.client(GOV_OFFICE)
    second = lgsp.container.lgsp.rotate_consumer(key, overlap=timedelta(hours=1))
    third = lgsp.container.lgsp.rotate_consumer(key, overlap=timedelta(hours=1))
    _refused_token(first.vanbans_get(lgsp.secret(GOV_OFFICE)))  # two rotations old
    assert first.token_answer().status_code == 401
    assert LgspClient(lgsp.url, key, second).token_answer().status_code == 200
    assert LgspClient(lgsp.url, key, third).token_answer().status_code == 200
    lgsp.container.lgsp.rotate_consumer(key)  # without an overlap: only the newest works
    assert LgspClient(lgsp.url, key, third).token_answer().status_code == 401


def test_an_expired_consumer_key_gets_no_token_and_its_tokens_stop(lgsp: Lgsp) -> None:
    assert lgsp.container.lgsp is not None
    issued = lgsp.container.lgsp.issue_consumer(GOV_OFFICE, valid_days=1)
    assert issued.unit_secret is None  # the unit was connected already: its secret stays
    client = LgspClient(lgsp.url, issued.consumer_key, issued.consumer_secret)
    lgsp.clients.append(client)
    client.generate()
    lgsp.clock.advance(timedelta(days=1))
    _refused_token(client.vanbans_get(lgsp.secret(GOV_OFFICE)))
    assert client.token_answer().status_code == 401
    views = lgsp.container.lgsp.consumers(GOV_OFFICE)
    (view,) = [c for c in views if c.consumer_key == issued.consumer_key]
    assert view.state == "expired"


def test_the_openapi_description_names_the_example_clients_calls(lgsp: Lgsp) -> None:
    assert BASE_PATH == "/truclienthong/v1.0.0"
    paths = httpx.get(f"{lgsp.url}/openapi.json").json()["paths"]
    calls = {(method, path): op for path, ops in paths.items() for method, op in ops.items()}
    ids = {
        op["operationId"]: (method, path)
        for (method, path), op in calls.items()
        if path.startswith(BASE_PATH)
    }
    assert ids == {
        "vanbansGet": ("get", f"{BASE_PATH}/vanbans"),
        "vanbansDocIdGet": ("get", f"{BASE_PATH}/vanbans/{{docId}}"),
        "vanbansPost": ("post", f"{BASE_PATH}/vanbans"),
        "vanbansDocIdPut": ("put", f"{BASE_PATH}/vanbans/{{docId}}"),
        "donvilienthongsGet": ("get", f"{BASE_PATH}/donvilienthongs"),
        "donvilienthongsQnGet": ("get", f"{BASE_PATH}/donvilienthongs/qn"),
        "donvilienthongsPost": ("post", f"{BASE_PATH}/donvilienthongs"),
        "donvilienthongsPut": ("put", f"{BASE_PATH}/donvilienthongs"),
    }
    for method, path in ids.values():
        op = calls[(method, path)]
        assert any(p["name"] == "secret" and p["in"] == "header" for p in op["parameters"])
        assert op["security"] == [{"bearer": []}]
    assert calls[("post", "/token")]["operationId"] == "token"
