"""Signing and checking axis protocol requests, as the official client SDK signs them.

The constants marked "JDK 17" were printed by a Java program doing what ``VnptService`` does
(a ``java.util.HashMap`` of parameters, ``Mac.getInstance("HmacSHA256")``,
``SimpleDateFormat("ddMMyyyy'T'HHmmss+SSSS")`` in Asia/Ho_Chi_Minh, and
``Integer.toHexString`` of each digest byte): the Python side must give the same bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from lienthong.errors import ErrorCode
from lienthong.exchange.axis_auth import (
    AxisAuthError,
    authenticate,
    format_timestamp,
    hash_file_matches,
    java_hashmap_order,
    parse_timestamp,
    request_headers,
    sdk_hash_file,
    sign_headers,
)

AGENCY = "000.00.00.G22"
SECRET = "s3cr3t"
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội
WINDOW = 300

# JDK 17: the SDK's signature of these parameters with the secret "s3cr3t".
JAVA_PARAMS = {
    "timestamp": "20112026T090000+0042",
    "systemid": AGENCY,
    "Content-Type": "application/json",
    "servicetype": "eDoc",
    "messagetype": "edoc",
    "docId": "17",
}
JAVA_KEYS = "systemid;servicetype;messagetype;docId;timestamp;Content-Type"
JAVA_JSON = (
    '{"XroadVnpt-systemid":"000.00.00.G22","XroadVnpt-servicetype":"eDoc",'
    '"XroadVnpt-messagetype":"edoc","XroadVnpt-docId":"17",'
    '"XroadVnpt-timestamp":"20112026T090000+0042","XroadVnpt-Content-Type":"application/json"}'
)
JAVA_HMAC = "0e34ce1373db9cc942edd43657cb870a9764a700f1e8719c1ff9b3c19c67d61c"


def secrets_of(known: dict[str, str]) -> Callable[[str], tuple[str, bytes]]:
    """The registry's ``hmac_secret`` as a plain function over a dict."""

    def secret_for(system_id: str) -> tuple[str, bytes]:
        if system_id not in known:
            raise AxisAuthError()
        return system_id, known[system_id].encode("utf-8")

    return secret_for


def signed(params: dict[str, str], secret: str = SECRET) -> dict[str, str]:
    """The headers of a request as the hub receives them (names lower-cased)."""
    return {k.lower(): v for k, v in sign_headers(params, secret).items()}


def params_at(at: datetime = NOW, /, **extra: str) -> dict[str, str]:
    return {"timestamp": format_timestamp(at), "systemid": AGENCY, **extra}


def check(headers: dict[str, str], *, required: tuple[str, ...] = (), now: datetime = NOW):  # type: ignore[no-untyped-def]
    return authenticate(
        headers,
        secret_for=secrets_of({AGENCY: SECRET}),
        now=now,
        window_seconds=WINDOW,
        required=required,
    )


def refused(code: ErrorCode, headers: dict[str, str], **kw: object) -> AxisAuthError:
    with pytest.raises(AxisAuthError) as exc:
        check(headers, **kw)  # type: ignore[arg-type]
    assert exc.value.code is code, exc.value.message
    return exc.value


# --- what the client sends ----------------------------------------------------------------


def test_signs_exactly_as_the_sdk_does() -> None:
    headers = sign_headers(JAVA_PARAMS, SECRET)
    assert headers["XroadVnpt-sign-header-key"] == JAVA_KEYS
    assert headers["XroadVnpt-sign-header"] == JAVA_JSON
    assert headers["XroadVnpt-hash-header"] == JAVA_HMAC
    assert headers["XroadVnpt-version"] == "3.0.201608"
    assert headers["XroadVnpt-docId"] == "17"
    assert headers["Content-Type"] == "application/json"
    assert "docId" not in headers  # the SDK sends only the XroadVnpt- copies


def test_the_signature_is_the_hmac_of_the_json_text() -> None:
    by_hand = hmac.new(SECRET.encode(), JAVA_JSON.encode(), hashlib.sha256).hexdigest()
    assert by_hand == JAVA_HMAC


def test_orders_keys_as_a_java_hashmap_even_after_it_grows() -> None:
    keys = [
        *("timestamp", "systemid", "Content-Type", "from", "servicetype", "messagetype", "to"),
        *("hash-file", "docId", "status", "desc", "fromDate", "toDate", "pageSize", "pageIndex"),
    ]
    # JDK 17, 15 keys: the table has grown from 16 to 32 buckets.
    assert ";".join(java_hashmap_order(keys)) == (
        "systemid;messagetype;docId;toDate;pageSize;fromDate;servicetype;pageIndex;hash-file;"
        "from;to;timestamp;Content-Type;status;desc"
    )


def test_colliding_keys_keep_their_insertion_order() -> None:
    assert java_hashmap_order(["BB", "Aa"]) == ["BB", "Aa"]  # "Aa".hashCode() == "BB".hashCode()
    assert java_hashmap_order(["Aa", "BB"]) == ["Aa", "BB"]


def test_writes_non_ascii_and_escapes_as_gson_does() -> None:
    document = sign_headers({"desc": 'Sai "địa chỉ"\n'}, SECRET)["XroadVnpt-sign-header"]
    assert document == '{"XroadVnpt-desc":"Sai \\"địa chỉ\\"\\n"}'
    assert json.loads(document) == {"XroadVnpt-desc": 'Sai "địa chỉ"\n'}


def test_timestamps_are_written_in_vietnam_time_with_four_digit_milliseconds() -> None:
    # JDK 17: SimpleDateFormat("ddMMyyyy'T'HHmmss+SSSS").format(new Date(1795309200042L))
    at = datetime.fromtimestamp(1795309200.042, UTC)
    assert format_timestamp(at) == "22112026T080000+0042"
    assert parse_timestamp("22112026T080000+0042") == at


def test_hash_file_is_written_as_the_sdk_does_and_read_both_ways() -> None:
    digest = hashlib.sha256(b"abc").digest()
    # JDK 17: Integer.toHexString(0xFF & b) for each byte (0x0f loses its zero).
    assert sdk_hash_file(digest) == "ba7816bf8f1cfea414140de5dae2223b0361a396177a9cb410ff61f2015ad"
    assert hash_file_matches(sdk_hash_file(digest), digest)
    assert hash_file_matches(digest.hex(), digest)
    assert hash_file_matches(digest.hex().upper(), digest)
    assert not hash_file_matches(hashlib.sha256(b"abd").hexdigest(), digest)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20112026T090000+0042", datetime(2026, 11, 20, 2, 0, 0, 42000, tzinfo=UTC)),
        ("20112026T090000", datetime(2026, 11, 20, 2, 0, tzinfo=UTC)),
        ("1795140000000", datetime(2026, 11, 20, 2, 0, tzinfo=UTC)),
        ("1795140000", datetime(2026, 11, 20, 2, 0, tzinfo=UTC)),
        ("2026-11-20T09:00:00+07:00", datetime(2026, 11, 20, 2, 0, tzinfo=UTC)),
        ("2026-11-20T02:00:00Z", datetime(2026, 11, 20, 2, 0, tzinfo=UTC)),
        ("2026-11-20 09:00:00", datetime(2026, 11, 20, 2, 0, tzinfo=UTC)),
    ],
)
def test_reads_timestamps_tolerantly(text: str, expected: datetime) -> None:
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "32132026T090000+0000", "20112026T090000+1234"])
def test_refuses_what_is_not_a_timestamp(text: str) -> None:
    assert parse_timestamp(text) is None


# --- what the hub checks ------------------------------------------------------------------


def test_accepts_a_request_signed_with_the_agency_secret() -> None:
    caller = check(signed(params_at(docId="17", messagetype="edoc")))
    assert caller.agency == AGENCY
    assert caller.get("docId") == "17"
    assert caller.get("DOCID") == "17"
    assert caller.get("messagetype") == "edoc"


def test_accepts_the_sdk_signature_itself() -> None:
    at = datetime(2026, 11, 20, 2, 0, 0, 42000, tzinfo=UTC)
    caller = check(signed(JAVA_PARAMS), now=at + timedelta(seconds=30))
    assert caller.params["docid"] == "17"


def test_refuses_a_wrong_secret() -> None:
    error = refused(ErrorCode.AUTH_FAILED, signed(params_at(), secret="not-the-secret"))
    assert "signature" in error.message


def test_refuses_an_unknown_system_id() -> None:
    headers = signed({"timestamp": format_timestamp(NOW), "systemid": "000.00.00.X99"})
    refused(ErrorCode.AUTH_FAILED, headers)


def test_refuses_an_unsigned_request() -> None:
    refused(ErrorCode.AUTH_FAILED, {"systemid": AGENCY, "timestamp": format_timestamp(NOW)})


def test_refuses_a_tampered_signed_value() -> None:
    headers = signed(params_at(docId="17"))
    headers["xroadvnpt-sign-header"] = headers["xroadvnpt-sign-header"].replace('"17"', '"18"')
    headers["xroadvnpt-docid"] = "18"
    refused(ErrorCode.AUTH_FAILED, headers)


def test_refuses_a_header_that_differs_from_its_signed_value() -> None:
    headers = signed(params_at(docId="17"))
    headers["xroadvnpt-docid"] = "18"
    error = refused(ErrorCode.AUTH_FAILED, headers)
    assert error.detail == {"header": "xroadvnpt-docid"}


def test_refuses_a_plain_header_that_differs_from_its_signed_value() -> None:
    headers = signed(params_at(docId="17"))
    headers["docid"] = "18"
    refused(ErrorCode.AUTH_FAILED, headers)


def test_lets_http_rewrite_its_own_content_type() -> None:
    headers = signed(params_at(**{"Content-Type": "application/json"}))
    headers["content-type"] = "application/json; charset=UTF-8"
    assert check(headers).agency == AGENCY


@pytest.mark.parametrize("name", ["systemid", "timestamp"])
def test_refuses_a_request_whose_identity_is_not_signed(name: str) -> None:
    params = params_at()
    del params[name]
    error = refused(ErrorCode.AUTH_FAILED, signed(params))
    assert error.detail["missing"] == [name]


def test_refuses_a_send_whose_hash_and_message_type_are_not_signed() -> None:
    headers = signed(params_at(messagetype="edoc"))
    headers["hash-file"] = "00"  # sent, but outside the signature: it counts for nothing
    error = refused(ErrorCode.AUTH_FAILED, headers, required=("hash-file", "messagetype"))
    assert error.detail["missing"] == ["hash-file"]


def test_refuses_a_key_list_that_disagrees_with_the_signed_json() -> None:
    headers = signed(params_at(docId="17"))
    headers["xroadvnpt-sign-header-key"] = "systemid;timestamp"
    refused(ErrorCode.AUTH_FAILED, headers)


@pytest.mark.parametrize("shift", [timedelta(seconds=-301), timedelta(hours=2), timedelta(days=-1)])
def test_refuses_a_timestamp_outside_the_window(shift: timedelta) -> None:
    error = refused(ErrorCode.AUTH_REPLAYED, signed(params_at(NOW + shift)))
    assert error.detail["window_seconds"] == WINDOW


@pytest.mark.parametrize("shift", [timedelta(seconds=-299), timedelta(seconds=299)])
def test_accepts_a_timestamp_inside_the_window(shift: timedelta) -> None:
    assert check(signed(params_at(NOW + shift))).agency == AGENCY


def test_an_old_timestamp_with_a_wrong_secret_says_only_auth_failed() -> None:
    refused(ErrorCode.AUTH_FAILED, signed(params_at(NOW - timedelta(days=1)), secret="x"))


def test_refuses_an_unreadable_timestamp() -> None:
    refused(ErrorCode.AUTH_FAILED, signed({"timestamp": "soon", "systemid": AGENCY}))


def test_reads_utf8_header_bytes_and_checks_the_hmac_over_them() -> None:
    sent = sign_headers(params_at(desc="Sai địa chỉ"), SECRET)
    raw = [(k.encode("ascii"), v.encode("utf-8")) for k, v in sent.items()]
    caller = check(request_headers(raw))
    assert caller.get("desc") == "Sai địa chỉ"


def test_a_repeated_signed_header_never_matches() -> None:
    sent = sign_headers(params_at(docId="17"), SECRET)
    raw = [(k.encode("ascii"), v.encode("utf-8")) for k, v in sent.items()]
    raw.append((b"XroadVnpt-docId", b"18"))
    refused(ErrorCode.AUTH_FAILED, request_headers(raw))
