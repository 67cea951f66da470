"""Zipped attachments (the SDK zips each file alone): how far they inflate, read with a cap.

A zip's central directory states each member's inflated size, but that is the sender's word.
Everything here counts the bytes actually inflated, in chunks of :data:`CHUNK`, and stops as
soon as ``limit`` is passed: a ZIP bomb (a few hundred kilobytes inflating to gigabytes) costs
at most ``limit`` bytes of inflation work and never more than a chunk of memory.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO

CHUNK = 64 * 1024

# What a zip that cannot be read raises while it is read (a truncated or corrupt archive, a
# compression method or encryption the standard library does not do).
UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)


class InflatesTooLarge(Exception):  # noqa: N818 - a condition the caller maps to its own code
    """The archive inflates beyond ``limit`` bytes (counted, not taken from its headers)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The archive inflates beyond {limit} bytes.")
        self.limit = limit


def travels_zipped(name: str | None, content_type: str | None) -> bool:
    """Whether an attachment is a zip the hub inflates (by its declared type or name)."""
    return content_type == "application/zip" or (name or "").lower().endswith(".zip")


def check_inflated_size(source: BinaryIO, limit: int) -> int | None:
    """The total inflated size of the zip in ``source`` (seekable), every member read;
    ``None`` when it is not a readable zip. Raises :class:`InflatesTooLarge` once more than
    ``limit`` bytes have been inflated, or at once when the headers already say so."""
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > limit:
                raise InflatesTooLarge(limit)
            total = 0
            for member in members:
                for chunk in _inflate(archive, member, limit - total):
                    total += len(chunk)
            return total
    except UNREADABLE:
        return None


def single_member(source: BinaryIO) -> zipfile.ZipInfo | None:
    """The only member of the zip in ``source`` (seekable), from its central directory
    (nothing is inflated); ``None`` when it is not a readable zip of exactly one file."""
    try:
        with zipfile.ZipFile(source) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
    except UNREADABLE:
        return None
    return members[0] if len(members) == 1 else None


def iter_member(source: BinaryIO, name: str, limit: int) -> Iterator[bytes]:
    """The inflated bytes of member ``name`` of the zip in ``source`` (seekable), chunk by
    chunk. Raises :class:`InflatesTooLarge` once more than ``limit`` bytes came out, and
    ``zipfile.BadZipFile`` when the member fails its CRC."""
    with zipfile.ZipFile(source) as archive:
        member = archive.getinfo(name)
        if member.file_size > limit:
            raise InflatesTooLarge(limit)
        yield from _inflate(archive, member, limit)


def read_member(source: BinaryIO, name: str, limit: int) -> bytes:
    """:func:`iter_member` joined: for a caller that needs the bytes (at most ``limit``)."""
    return b"".join(iter_member(source, name, limit))


def _inflate(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limit: int) -> Iterator[bytes]:
    # ZipExtFile stops at the size the header declares (and fails the CRC when the data would
    # go on): counting what it hands out bounds the work by min(declared size, limit).
    done = 0
    with archive.open(member) as inflated:
        while chunk := inflated.read(CHUNK):
            done += len(chunk)
            if done > limit:
                raise InflatesTooLarge(limit)
            yield chunk
