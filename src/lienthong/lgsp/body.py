"""Reading the bodies of the LGSP style's calls.

``POST vanbans`` carries the edXML package in base64. A Swagger client generated for
``vanbansPost(String, ...)`` sends it as a JSON string (``Content-Type: application/json``),
written by Gson, which escapes ``=`` as ``\\u003d``; other clients send the bare base64 text,
a JSON object ``{"data": "..."}`` or a form field ``data=...``. The JSON string and the bare
text are decoded as they arrive into a staged file (never held whole in memory); an object or a
form is read whole (its size bounded) and decoded the same way.

The other calls carry a few short fields (``status``, a unit's ``code``, ``pcode``, ...) as a
JSON object, a JSON string (the single value of the call) or a form, read by
:func:`read_fields`.
"""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl

from lienthong.blobs.staging import StagedFile, StagingArea
from lienthong.errors import ErrorCode
from lienthong.exchange.errors import ExchangeError

__all__ = [
    "SMALL_BODY_BYTES",
    "Base64Decoder",
    "JsonStringReader",
    "parse_fields",
    "read_fields",
    "spool_base64",
]

SMALL_BODY_BYTES = 64 * 1024
# The field of an object or form body that carries the package (the first one present).
PACKAGE_FIELDS = ("data", "file", "edxml", "content")
SINGLE_VALUE = ""  # the key under which a JSON-string body's value is returned

_SPACE = b" \t\r\n"
_URLSAFE = bytes.maketrans(b"-_", b"+/")
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/=]")
_JSON_ESCAPES = {
    ord('"'): b'"',
    ord("\\"): b"\\",
    ord("/"): b"/",
    ord("b"): b"\b",
    ord("f"): b"\f",
    ord("n"): b"\n",
    ord("r"): b"\r",
    ord("t"): b"\t",
}
_STRING_SPECIAL = re.compile(rb'["\\]')


class Base64Decoder:
    """Base64 text fed in pieces, bytes out. Whitespace is skipped, the URL-safe alphabet is
    read as the standard one, and a missing final padding is tolerated; ``ValueError`` for a
    character outside the alphabet or text after the padding."""

    def __init__(self) -> None:
        self._rest = b""
        self._pad = 0

    def feed(self, text: bytes) -> bytes:
        text = text.translate(_URLSAFE, delete=_SPACE)
        if not text:
            return b""
        if _NOT_BASE64.search(text):
            raise ValueError("a character outside the base64 alphabet")
        if self._pad:
            if text.strip(b"="):
                raise ValueError("text after the base64 padding")
            self._pad += len(text)
            return b""
        head, equals, tail = text.partition(b"=")
        if equals:
            if tail.strip(b"="):
                raise ValueError("text after the base64 padding")
            self._pad = 1 + len(tail)
        buffer = self._rest + head
        cut = len(buffer) - len(buffer) % 4
        self._rest = buffer[cut:]
        return _decode(buffer[:cut]) if cut else b""

    def finish(self) -> bytes:
        """The last bytes; ``ValueError`` when the text ends in the middle of a group."""
        rest, pad = self._rest, self._pad
        self._rest, self._pad = b"", 0
        if not rest and not pad:
            return b""
        if pad == 0 and len(rest) in (2, 3):
            pad = 4 - len(rest)
        if len(rest) + pad != 4 or len(rest) < 2:
            raise ValueError("the base64 text ends in the middle of a group")
        return _decode(rest + b"=" * pad)


def _decode(text: bytes) -> bytes:
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except binascii.Error as exc:
        raise ValueError(f"not base64 ({exc})") from None


class JsonStringReader:
    """The characters of ONE JSON string, from bytes fed in pieces: whitespace, the opening
    quote, the text with its escapes resolved (as bytes; a character beyond ASCII comes out
    as a byte no base64 text holds), the closing quote, whitespace. ``ValueError`` for
    anything else."""

    _BEFORE, _IN, _ESCAPE, _UNICODE, _AFTER = range(5)

    def __init__(self) -> None:
        self._state = self._BEFORE
        self._hex = b""

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        i, n = 0, len(data)
        while i < n:
            state = self._state
            if state == self._IN:
                match = _STRING_SPECIAL.search(data, i)
                end = match.start() if match else n
                out += data[i:end]
                if match is None:
                    break
                self._state = self._AFTER if data[end] == ord('"') else self._ESCAPE
                i = end + 1
            elif state in (self._BEFORE, self._AFTER):
                byte = data[i]
                i += 1
                if byte in _SPACE or (state == self._BEFORE and byte in b"\xef\xbb\xbf"):
                    continue  # whitespace (and, before the string, a UTF-8 BOM)
                if state == self._BEFORE and byte == ord('"'):
                    self._state = self._IN
                    continue
                raise ValueError("the body is not one JSON string")
            elif state == self._ESCAPE:
                byte = data[i]
                i += 1
                if byte == ord("u"):
                    self._state, self._hex = self._UNICODE, b""
                elif byte in _JSON_ESCAPES:
                    out += _JSON_ESCAPES[byte]
                    self._state = self._IN
                else:
                    raise ValueError("an invalid escape in the JSON string")
            else:  # _UNICODE: four hex digits
                take = data[i : i + 4 - len(self._hex)]
                self._hex += take
                i += len(take)
                if len(self._hex) == 4:
                    try:
                        point = int(self._hex, 16)
                    except ValueError:
                        raise ValueError("an invalid \\u escape in the JSON string") from None
                    out += bytes([point]) if point < 0x80 else b"\xff"
                    self._state = self._IN
        return bytes(out)

    def finish(self) -> None:
        """``ValueError`` unless the string was closed."""
        if self._state != self._AFTER:
            raise ValueError("the JSON string is not closed")


def _malformed(reason: str) -> ExchangeError:
    return ExchangeError(
        f"The body is not an edXML package in base64: {reason}.",
        code=ErrorCode.PACKAGE_MALFORMED,
        detail={"reason": reason},
    )


def _too_large(limit: int) -> ExchangeError:
    return ExchangeError(code=ErrorCode.PACKAGE_TOO_LARGE, detail={"limit_bytes": limit})


def base64_allowance(limit: int) -> int:
    """The largest body that can carry a package of ``limit`` bytes in base64, with room
    for line breaks, escapes and the other fields of an object or form."""
    return (limit + 2) // 3 * 4 * 105 // 100 + SMALL_BODY_BYTES


class _Writer:
    def __init__(self, staged: StagedFile, limit: int) -> None:
        self.staged = staged
        self.limit = limit
        self.decoder = Base64Decoder()

    def text(self, text: bytes) -> None:
        try:
            self.write(self.decoder.feed(text))
        except ValueError as exc:
            raise _malformed(str(exc)) from None

    def write(self, data: bytes) -> None:
        if self.staged.size + len(data) > self.limit:
            raise _too_large(self.limit)
        if data:
            self.staged.write(data)

    def finish(self) -> StagedFile:
        try:
            self.write(self.decoder.finish())
        except ValueError as exc:
            raise _malformed(str(exc)) from None
        self.staged.close()
        if self.staged.size == 0:
            raise _malformed("it is empty")
        return self.staged


async def spool_base64(
    chunks: AsyncIterator[bytes],
    staging: StagingArea,
    *,
    content_type: str | None,
    limit: int,
) -> tuple[StagedFile, dict[str, str]]:
    """The package a ``POST vanbans`` body carries, decoded into a staged file, and the other
    fields of an object or form body (``secret``, ``loaiVanBan``, ...; empty otherwise).

    Raises ``PACKAGE_MALFORMED`` for text that is not base64 (or a body of no known shape),
    ``PACKAGE_TOO_LARGE`` past ``limit`` decoded bytes, ``REQUEST_INVALID`` for an object or
    form without the package field.
    """
    media = (content_type or "").split(";")[0].strip().lower()
    iterator = chunks.__aiter__()
    head = b""
    async for chunk in iterator:
        head += chunk
        if head.lstrip(_SPACE + b"\xef\xbb\xbf"):
            break
    lead = head.lstrip(_SPACE + b"\xef\xbb\xbf")[:1]
    writer = _Writer(staging.new_file(".edxml"), limit)
    if media == "application/x-www-form-urlencoded" or lead == b"{":
        body = bytearray(head)
        allowance = base64_allowance(limit)
        async for chunk in iterator:
            body += chunk
            if len(body) > allowance:
                raise _too_large(limit)
        fields = parse_fields(bytes(body), media)
        name = next((n for n in PACKAGE_FIELDS if fields.get(n)), None)
        if name is None:
            raise ExchangeError(
                "The body's field data (the edXML package in base64) is required.",
                code=ErrorCode.REQUEST_INVALID,
            )
        text = fields.pop(name)
        if media == "application/x-www-form-urlencoded" and " " in text and "+" not in text:
            text = text.replace(" ", "+")  # a '+' the client did not percent-encode
        writer.text(text.encode("utf-8"))
        return writer.finish(), fields
    reader = JsonStringReader() if lead == b'"' else None
    try:
        writer.text(reader.feed(head) if reader else head)
        async for chunk in iterator:
            writer.text(reader.feed(chunk) if reader else chunk)
        if reader is not None:
            reader.finish()
    except ValueError as exc:
        raise _malformed(str(exc)) from None
    return writer.finish(), {}


def parse_fields(body: bytes, media: str) -> dict[str, str]:
    """The fields of a small body: a JSON object (values as text; ``null`` dropped), a JSON
    string (its value under ``""``), a form, or nothing. ``REQUEST_INVALID`` otherwise."""
    text = body.decode("utf-8-sig", errors="replace").strip()
    if not text:
        return {}
    if media == "application/x-www-form-urlencoded" or (
        media not in ("application/json", "text/json") and text[0] not in '{"'
    ):
        return dict(parse_qsl(text, keep_blank_values=True))
    try:
        value = json.loads(text)
    except ValueError:
        raise ExchangeError(
            "The body is neither JSON nor a form.", code=ErrorCode.REQUEST_INVALID
        ) from None
    if isinstance(value, str):
        return {SINGLE_VALUE: value}
    if isinstance(value, dict):
        return {
            str(k): v if isinstance(v, str) else json.dumps(v)
            for k, v in value.items()
            if v is not None
        }
    raise ExchangeError(
        "The body is neither a JSON object nor a JSON string.", code=ErrorCode.REQUEST_INVALID
    )


async def read_fields(
    chunks: AsyncIterator[bytes], content_type: str | None, limit: int = SMALL_BODY_BYTES
) -> dict[str, str]:
    """:func:`parse_fields` of a body of at most ``limit`` bytes (else ``REQUEST_INVALID``)."""
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise ExchangeError(
                f"The body of this call holds a few fields; it is over {limit} bytes.",
                code=ErrorCode.REQUEST_INVALID,
            )
    media = (content_type or "").split(";")[0].strip().lower()
    return parse_fields(bytes(body), media)
