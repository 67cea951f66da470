"""Reading a ``sendEdoc`` body onto disk, checked against its ``hash-file``.

Three body shapes reach the hub, all streamed to a staged file (never held whole in memory):

* the raw edXML bytes (the protocol notes; :class:`lienthong.client.axis.AxisClient`);
* the raw bytes followed by ``\\r\\n``: SDK 2.0.1 (``MultipartUtility.addInputStreamPart``)
  writes the file, then a line break, and no multipart framing at all, while ``hash-file``
  covers the file alone. The last two bytes are therefore held back until the end: when the
  declared hash matches the body without them and they are ``\\r\\n``, they are dropped, so the
  hub stores (and the receiver fetches) exactly the file that was hashed;
* ``multipart/form-data``: the part named ``file_doc`` (or else the first part carrying a file
  name) is the package.

``hash-file`` is compared as 64 hex digits or in the SDK's unpadded form
(:func:`~lienthong.exchange.axis_auth.hash_file_matches`).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from lienthong.blobs.staging import StagedFile, StagingArea
from lienthong.errors import ErrorCode
from lienthong.exchange.axis_auth import hash_file_matches
from lienthong.exchange.errors import ExchangeError

__all__ = ["spool_upload"]

_CRLF = b"\r\n"
_FILE_PART = b"file_doc"


def _too_large(limit: int) -> ExchangeError:
    return ExchangeError(code=ErrorCode.PACKAGE_TOO_LARGE, detail={"limit_bytes": limit})


class _Spool:
    """Body bytes into a staged file, the last two held back (see the module doc)."""

    def __init__(self, staged: StagedFile, limit: int) -> None:
        self.staged = staged
        self.limit = limit
        self.full = hashlib.sha256()
        self.trimmed = hashlib.sha256()
        self.tail = b""
        self.size = 0

    def write(self, data: bytes) -> None:
        if not data:
            return
        self.size += len(data)
        if self.size > self.limit + len(_CRLF):
            raise _too_large(self.limit)
        self.full.update(data)
        buffer = self.tail + data
        head, self.tail = buffer[: -len(_CRLF)], buffer[-len(_CRLF) :]
        if head:
            self.staged.write(head)
            self.trimmed.update(head)

    def finish(self, declared: str) -> StagedFile:
        """The closed staged file of the body that ``declared`` hashes; else HASH_MISMATCH."""
        if hash_file_matches(declared, self.full.digest()):
            self.staged.write(self.tail)
        elif not (self.tail == _CRLF and hash_file_matches(declared, self.trimmed.digest())):
            raise ExchangeError(
                code=ErrorCode.HASH_MISMATCH,
                detail={"declared": declared, "sha256": self.full.hexdigest()},
            )
        self.staged.close()
        if self.staged.size > self.limit:
            raise _too_large(self.limit)
        return self.staged


class _FilePart:
    """Feeds the package part of a ``multipart/form-data`` body to a :class:`_Spool`."""

    def __init__(self, spool: _Spool, boundary: bytes) -> None:
        self.spool = spool
        self.found = False
        self._current = False
        self._field = bytearray()
        self._value = bytearray()
        self._disposition: dict[bytes, bytes] = {}
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
            },
        )

    def _part_begin(self) -> None:
        self._disposition = {}
        self._current = False

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        if bytes(self._field).lower() == b"content-disposition":
            _kind, self._disposition = parse_options_header(bytes(self._value))
        self._field.clear()
        self._value.clear()

    def _headers_finished(self) -> None:
        wanted = self._disposition.get(b"name") == _FILE_PART or b"filename" in self._disposition
        self._current = wanted and not self.found
        self.found = self.found or self._current

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current:
            self.spool.write(data[start:end])


async def spool_upload(
    chunks: AsyncIterator[bytes],
    staging: StagingArea,
    *,
    content_type: str | None,
    declared_hash: str,
    limit: int,
) -> StagedFile:
    """The package of a ``sendEdoc`` body as a closed staged file whose SHA-256 is
    ``declared_hash``. Raises ``HASH_MISMATCH``, ``PACKAGE_TOO_LARGE`` or, for a multipart body
    without a file part, ``REQUEST_INVALID``."""
    spool = _Spool(staging.new_file(".edxml"), limit)
    try:
        kind, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if kind.lower() == b"multipart/form-data" and boundary:
            await _read_multipart(chunks, _FilePart(spool, boundary))
        else:
            async for chunk in chunks:
                spool.write(chunk)
        return spool.finish(declared_hash)
    finally:
        spool.staged.close()


async def _read_multipart(chunks: AsyncIterator[bytes], part: _FilePart) -> None:
    try:
        async for chunk in chunks:
            part.parser.write(chunk)
        part.parser.finalize()
    except MultipartParseError as exc:
        raise ExchangeError(
            f"The multipart body cannot be read: {exc}.", code=ErrorCode.REQUEST_INVALID
        ) from None
    if not part.found:
        raise ExchangeError(
            "The multipart body has no file part (expected the part 'file_doc').",
            code=ErrorCode.REQUEST_INVALID,
        )
