"""An import body is read up to the size limit and no further (REPORT_FILE_TOO_LARGE): a
500 MB body is refused after the limit's worth of chunks, never read whole."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from lienthong.errors import ErrorCode, LienthongError
from lienthong.reporting.api import spool_limited

CHUNK = 64 * 1024


def test_a_500_mb_body_is_refused_after_the_limit_without_reading_the_rest() -> None:
    pulled: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        for _ in range(500 * 1024 * 1024 // CHUNK):  # 500 MB, generated as it is read
            pulled.append(CHUNK)
            yield b"<" * CHUNK

    limit = 1024 * 1024
    with pytest.raises(LienthongError) as caught:
        asyncio.run(spool_limited(body(), limit))
    assert caught.value.code is ErrorCode.REPORT_FILE_TOO_LARGE
    assert caught.value.detail == {"limit_bytes": limit}
    assert sum(pulled) == limit + CHUNK  # the first chunk past the limit, then nothing more


def test_a_body_within_the_limit_is_spooled_whole_from_its_start() -> None:
    async def body() -> AsyncIterator[bytes]:
        for i in range(40):  # 2.5 MiB: past the in-memory part, onto disk
            yield bytes([65 + i % 26]) * CHUNK

    spool = asyncio.run(spool_limited(body(), 40 * CHUNK))
    with spool:
        data = spool.read()
    assert len(data) == 40 * CHUNK and data[:1] == b"A" and data[-1:] == bytes([65 + 39 % 26])
