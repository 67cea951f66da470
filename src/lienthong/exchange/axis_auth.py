"""Request signing of the axis transport protocol (the official client SDK), both sides.

How the SDK signs a request (``com.vpcp.services.VnptService``, SDK 2.0.1, read from the jar):

* Its parameters are a map of header names to text: always ``systemid`` (the agency code) and
  ``timestamp``, plus the call's own (``messagetype``, ``docId``, ``hash-file``, ...) and
  ``Content-Type``.
* Each parameter ``H`` travels as the header ``XroadVnpt-H``. The SDK does **not** send the
  plain ``H`` (only ``Content-Type``, which HTTP needs anyway).
* ``XroadVnpt-sign-header-key`` is ``"k1;k2;..."``; ``XroadVnpt-sign-header`` is the JSON
  object ``{"XroadVnpt-k1":"v1",...}`` written by Gson (no spaces, non-ASCII left as is), keys in
  the iteration order of a ``java.util.HashMap``; ``XroadVnpt-hash-header`` is the lower-case
  hex of HMAC-SHA256 keyed by the UTF-8 secret over the UTF-8 bytes of that JSON text;
  ``XroadVnpt-version`` is ``3.0.201608``.
* ``timestamp`` is ``SimpleDateFormat("ddMMyyyy'T'HHmmss+SSSS")`` in the JVM's zone: the
  ``+`` is a literal and ``SSSS`` is the millisecond, zero-padded to four digits (``+0042``),
  not a zone offset. Document software runs on Vietnamese time, so the hub reads it as
  Asia/Ho_Chi_Minh time. The SDK stamps the time once, when the service object is created.
* ``hash-file`` is the SHA-256 of the file as ``Integer.toHexString`` of each byte: bytes below
  0x10 lose their leading zero, so the text is often shorter than 64 characters.

What the hub checks (:func:`authenticate`), refusing with ``AUTH_FAILED`` unless told otherwise:

1. the signed JSON is an object of ``XroadVnpt-*`` keys to text, and agrees with
   ``XroadVnpt-sign-header-key`` when that header is present;
2. ``systemid`` and ``timestamp`` are signed (and whatever else the call requires, e.g.
   ``hash-file`` and ``messagetype`` on ``sendEdoc``);
3. every header the request carries for a signed parameter (``XroadVnpt-H``, and plain ``H``
   except HTTP's own entity and transport headers) has exactly the signed value;
4. ``systemid`` has an active credential, and the HMAC over the JSON text *as received*
   matches (constant-time comparison);
5. ``timestamp`` is readable and within the window of the hub clock, else ``AUTH_REPLAYED``.

Parameters are then read from the signed JSON only: an unsigned header never steers a call.

Timestamps are read tolerantly: the SDK form (with or without ``+SSSS``), epoch milliseconds
(all digits, 11 or more), epoch seconds (all digits, up to 10), or ISO 8601 (without a zone:
Vietnamese time).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from lienthong.clock import VN_TZ
from lienthong.errors import ErrorCode, LienthongError

__all__ = [
    "HASH_HEADER",
    "PREFIX",
    "SDK_VERSION",
    "SIGN_HEADER",
    "SIGN_KEYS_HEADER",
    "VERSION_HEADER",
    "AxisAuthError",
    "AxisCaller",
    "SignedRequest",
    "authenticate",
    "check_signature",
    "check_timestamp",
    "format_timestamp",
    "gson_json",
    "hash_file_matches",
    "hmac_hex",
    "java_hashmap_order",
    "parse_timestamp",
    "read_signed_headers",
    "request_headers",
    "require_signed",
    "sdk_hash_file",
    "sign_headers",
]

PREFIX = "XroadVnpt-"
SIGN_KEYS_HEADER = "XroadVnpt-sign-header-key"
SIGN_HEADER = "XroadVnpt-sign-header"
HASH_HEADER = "XroadVnpt-hash-header"
VERSION_HEADER = "XroadVnpt-version"
SDK_VERSION = "3.0.201608"
ALWAYS_SIGNED = ("systemid", "timestamp")

# Headers of the protocol itself, never parameters.
_PROTOCOL_HEADERS = frozenset(
    h.lower() for h in (SIGN_KEYS_HEADER, SIGN_HEADER, HASH_HEADER, VERSION_HEADER)
)
# HTTP's own headers: a proxy or the HTTP stack may rewrite them (a charset added to
# Content-Type, a Content-Length for a multipart body), so the plain header is not compared
# with its signed copy. Its ``XroadVnpt-`` copy still is.
_TRANSPORT_HEADERS = frozenset(
    {
        "content-type",
        "content-length",
        "content-encoding",
        "transfer-encoding",
        "host",
        "user-agent",
        "accept",
        "accept-encoding",
        "connection",
        "expect",
    }
)


class AxisAuthError(LienthongError):
    """The request is not signed by a registered agency (``AUTH_FAILED``), or its timestamp is
    outside the window (``AUTH_REPLAYED``)."""

    default_code = ErrorCode.AUTH_FAILED


# --- the client's side: what the SDK sends ------------------------------------------------


def _java_string_hash(text: str) -> int:
    """``String.hashCode()``: over UTF-16 code units, in 32-bit arithmetic."""
    value = 0
    units = text.encode("utf-16-be")
    for i in range(0, len(units), 2):
        value = (31 * value + int.from_bytes(units[i : i + 2], "big")) & 0xFFFFFFFF
    return value


def java_hashmap_order(keys: Iterable[str]) -> list[str]:
    """``keys`` (distinct, in insertion order) in the order a ``java.util.HashMap`` iterates them.

    Java 8+: bucket ``(h ^ (h >>> 16)) & (capacity - 1)``, capacity 16 doubled whenever the size
    passes three quarters of it; inside a bucket, insertion order (a resize keeps it).
    """
    ordered = list(dict.fromkeys(keys))
    capacity = 16
    while len(ordered) > capacity * 3 // 4:
        capacity *= 2

    def bucket(key: str) -> int:
        h = _java_string_hash(key)
        return (h ^ (h >> 16)) & (capacity - 1)

    return [key for _, key in sorted(enumerate(ordered), key=lambda p: (bucket(p[1]), p[0]))]


_GSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\t": "\\t", "\b": "\\b", "\n": "\\n", "\r": "\\r",
                 "\f": "\\f", "\u2028": "\\u2028", "\u2029": "\\u2029"}  # fmt: skip


def _gson_string(text: str) -> str:
    out = ['"']
    for ch in text:
        escaped = _GSON_ESCAPES.get(ch)
        if escaped is not None:
            out.append(escaped)
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def gson_json(pairs: Iterable[tuple[str, str]]) -> str:
    """A JSON object of text values written as Gson's ``JsonObject.toString()`` writes it."""
    return "{" + ",".join(f"{_gson_string(k)}:{_gson_string(v)}" for k, v in pairs) + "}"


def hmac_hex(secret: bytes, message: bytes) -> str:
    """Lower-case hex of HMAC-SHA256(``secret``, ``message``)."""
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def sign_headers(headers: Mapping[str, str], secret: str) -> dict[str, str]:
    """The HTTP headers the official SDK sends for the parameters ``headers``.

    ``headers`` maps each parameter name (``systemid``, ``timestamp``, ``docId``, ...) to its
    text, in the order the caller put them; the SDK's ``HashMap`` order is then applied. The
    answer holds ``XroadVnpt-<name>`` for each parameter, the three signature headers,
    ``XroadVnpt-version``, and the plain ``Content-Type`` when it is a parameter. Values may hold
    non-ASCII text: send them as UTF-8 bytes, as the SDK does.
    """
    keys = java_hashmap_order(headers)
    signed = [(PREFIX + key, headers[key]) for key in keys]
    document = gson_json(signed)
    out: dict[str, str] = {}
    for key in keys:
        if key == "Content-Type":
            out["Content-Type"] = headers[key]
    out.update(signed)
    out[SIGN_KEYS_HEADER] = ";".join(keys)
    out[SIGN_HEADER] = document
    out[HASH_HEADER] = hmac_hex(secret.encode("utf-8"), document.encode("utf-8"))
    out[VERSION_HEADER] = SDK_VERSION
    return out


def format_timestamp(at: datetime) -> str:
    """``at`` as the SDK writes it: ``ddMMyyyy'T'HHmmss+SSSS`` in Vietnamese time."""
    local = at.astimezone(VN_TZ)
    return local.strftime("%d%m%YT%H%M%S") + f"+{local.microsecond // 1000:04d}"


def sdk_hash_file(digest: bytes) -> str:
    """The SDK's ``hash-file`` text for a SHA-256 ``digest``: each byte in hex, unpadded."""
    return "".join(f"{b:x}" for b in digest)


def hash_file_matches(declared: str, digest: bytes) -> bool:
    """Whether ``declared`` is ``digest`` in hex, padded or the SDK's unpadded way (any case)."""
    text = declared.strip().lower()
    return hmac.compare_digest(text, digest.hex()) or hmac.compare_digest(
        text, sdk_hash_file(digest)
    )


# --- the hub's side: reading and checking a signed request -------------------------------

_SDK_STAMP = re.compile(r"(\d{2})(\d{2})(\d{4})T(\d{2})(\d{2})(\d{2})(?:\+(\d{1,4}))?")
_DIGITS = re.compile(r"\d{1,15}")


def parse_timestamp(text: str) -> datetime | None:
    """The instant ``text`` names (aware, UTC), or ``None`` when it is not a timestamp.

    Forms: ``ddMMyyyy'T'HHmmss+SSSS`` (Vietnamese time, ``SSSS`` milliseconds 0-999, the
    suffix optional); all digits: epoch milliseconds (11 digits or more) or seconds; ISO 8601
    (Vietnamese time when it names no zone).
    """
    value = text.strip()
    try:
        match = _SDK_STAMP.fullmatch(value)
        if match:
            day, month, year, hour, minute, second, millis = match.groups()
            ms = int(millis or 0)
            if ms > 999:
                return None
            local = datetime(
                int(year), int(month), int(day), int(hour), int(minute), int(second),
                ms * 1000, tzinfo=VN_TZ,
            )  # fmt: skip
            return local.astimezone(UTC)
        if _DIGITS.fullmatch(value):
            number = int(value)
            seconds = number / 1000 if len(value) >= 11 else float(number)
            return datetime.fromtimestamp(seconds, UTC)
        parsed = datetime.fromisoformat(value)
    except (ValueError, OverflowError, OSError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=VN_TZ)
    return parsed.astimezone(UTC)


@dataclass(frozen=True)
class SignedRequest:
    """What a request signed: the parameters (names lower-cased) and the signature itself."""

    params: dict[str, str]
    document: str
    signature: str

    @property
    def system_id(self) -> str:
        return self.params["systemid"]

    @property
    def timestamp(self) -> str:
        return self.params["timestamp"]


@dataclass(frozen=True)
class AxisCaller:
    """An authenticated axis request: the agency and its signed parameters."""

    agency: str
    params: dict[str, str]

    def get(self, name: str, default: str | None = None) -> str | None:
        """The signed parameter ``name`` (any case), or ``default``."""
        return self.params.get(name.lower(), default)


def _refuse(message: str, **detail: object) -> AxisAuthError:
    return AxisAuthError(message, detail=dict(detail))


def read_signed_headers(
    headers: Mapping[str, str], *, required: Collection[str] = ()
) -> SignedRequest:
    """Read and cross-check the signature headers of a request (steps 1-3 of the module doc).

    ``headers`` maps lower-case header names to their text. ``required`` names parameters
    that must be signed besides ``systemid`` and ``timestamp``. Raises ``AUTH_FAILED``; the
    HMAC itself is checked by :func:`check_signature`.
    """
    document = headers.get(SIGN_HEADER.lower())
    signature = headers.get(HASH_HEADER.lower())
    if not document or not signature:
        raise _refuse(f"The request is not signed: {SIGN_HEADER} and {HASH_HEADER} are required.")
    try:
        parsed = json.loads(document)
    except ValueError:
        raise _refuse(f"{SIGN_HEADER} is not JSON.") from None
    if not isinstance(parsed, dict):
        raise _refuse(f"{SIGN_HEADER} is not a JSON object.")
    params: dict[str, str] = {}
    for key, value in parsed.items():
        if not key.lower().startswith(PREFIX.lower()) or len(key) == len(PREFIX):
            raise _refuse(f"Signed key {key!r} does not start with {PREFIX}.", key=key)
        if not isinstance(value, str):
            raise _refuse(f"Signed value of {key!r} is not text.", key=key)
        name = key[len(PREFIX) :].lower()
        if params.get(name, value) != value:
            raise _refuse(f"Parameter {name!r} is signed twice with different values.")
        params[name] = value
    key_list = headers.get(SIGN_KEYS_HEADER.lower())
    if key_list is not None:
        listed = {k.strip().lower() for k in key_list.split(";") if k.strip()}
        if listed != set(params):
            raise _refuse(
                f"{SIGN_KEYS_HEADER} does not list the keys of {SIGN_HEADER}.",
                listed=sorted(listed),
                signed=sorted(params),
            )
    missing = [name for name in (*ALWAYS_SIGNED, *required) if name.lower() not in params]
    if missing:
        raise _refuse(f"These parameters must be signed: {', '.join(missing)}.", missing=missing)
    for name, value in params.items():
        copies = [PREFIX.lower() + name]
        if name not in _TRANSPORT_HEADERS and name not in _PROTOCOL_HEADERS:
            copies.append(name)
        for header in copies:
            actual = headers.get(header)
            if actual is not None and actual != value:
                raise _refuse(f"Header {header!r} differs from its signed value.", header=header)
    return SignedRequest(params=params, document=document, signature=signature)


def check_signature(request: SignedRequest, secret: bytes) -> None:
    """Raise ``AUTH_FAILED`` unless the HMAC matches the JSON text as received."""
    expected = hmac_hex(secret, request.document.encode("utf-8"))
    if not hmac.compare_digest(expected, request.signature.strip().lower()):
        raise _refuse("The request signature does not match (wrong secret or altered headers).")


def _signed_with(request: SignedRequest, secret: bytes) -> bool:
    expected = hmac_hex(secret, request.document.encode("utf-8"))
    return hmac.compare_digest(expected, request.signature.strip().lower())


def check_timestamp(request: SignedRequest, now: datetime, window_seconds: int) -> datetime:
    """The request's instant; ``AUTH_FAILED`` when unreadable, ``AUTH_REPLAYED`` when it is
    more than ``window_seconds`` away from ``now`` (either way)."""
    at = parse_timestamp(request.timestamp)
    if at is None:
        raise _refuse(
            "The timestamp is not of the form ddMMyyyy'T'HHmmss+SSSS (nor epoch, nor ISO 8601).",
            timestamp=request.timestamp,
        )
    if abs(now - at) > timedelta(seconds=window_seconds):
        raise AxisAuthError(
            code=ErrorCode.AUTH_REPLAYED,
            detail={
                "timestamp": request.timestamp,
                "hub_time": now.astimezone(VN_TZ).isoformat(),
                "window_seconds": window_seconds,
            },
        )
    return at


def authenticate(
    headers: Mapping[str, str],
    *,
    secret_for: Callable[[str], tuple[str, bytes]],
    now: datetime,
    window_seconds: int,
    required: Collection[str] = (),
    previous_for: Callable[[str], Sequence[bytes]] | None = None,
) -> AxisCaller:
    """The agency that signed the request (all five checks of the module doc).

    ``secret_for(system_id)`` returns ``(agency code, secret bytes)`` or raises
    ``AUTH_FAILED`` for an unknown system id; ``previous_for(system_id)``, asked only when
    the current secret does not match, the secrets a rotation replaced whose overlap still
    runs. The timestamp is checked last, so that only a holder of the secret learns about the
    window.
    """
    request = read_signed_headers(headers, required=required)
    agency, secret = secret_for(request.system_id)
    try:
        check_signature(request, secret)
    except AxisAuthError:
        earlier = previous_for(request.system_id) if previous_for is not None else []
        if not any(_signed_with(request, old) for old in earlier):
            raise
    check_timestamp(request, now, window_seconds)
    return AxisCaller(agency=agency, params=request.params)


def request_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Raw HTTP headers as ``{lower-case name: text}``.

    Values are read as UTF-8 (the SDK's HTTP client writes header text in UTF-8), falling back
    to Latin-1. A repeated header is joined with ``", "`` (RFC 9110), so a repeated signed
    header never equals its signed value.
    """
    out: dict[str, str] = {}
    for name_bytes, value_bytes in raw:
        name = name_bytes.decode("latin-1").lower()
        try:
            value = value_bytes.decode("utf-8")
        except UnicodeDecodeError:
            value = value_bytes.decode("latin-1")
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def require_signed(*required: str) -> Callable[[Request], Awaitable[AxisCaller]]:
    """A FastAPI dependency: the :class:`AxisCaller` of a request signed with the agency's
    secret, where ``required`` parameters must be signed too. Raises :class:`AxisAuthError`."""

    async def axis_caller(request: Request) -> AxisCaller:
        from lienthong.web.auth import container_of

        container = container_of(request)
        caller = await run_in_threadpool(
            authenticate,
            request_headers(request.headers.raw),
            secret_for=container.agencies.hmac_secret,
            previous_for=container.agencies.previous_hmac_secrets,
            now=container.clock.now(),
            window_seconds=container.settings.axis_timestamp_window_seconds,
            required=required,
        )
        request.state.agency = caller.agency
        return caller

    return axis_caller
