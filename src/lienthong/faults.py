"""Storage failures told apart from bugs: what answers ``503 STORAGE_UNAVAILABLE``.

A request fails *for storage* when the database cannot be reached or cannot write
(SQLAlchemy's ``OperationalError``, ``InterfaceError``, a pool timeout, an invalidated
connection), when a disk is full, over quota, read-only or failing (``OSError`` with
``ENOSPC``, ``EDQUOT``, ``EROFS``, ``EIO``), or when the object store cannot be reached
(botocore's connection errors, an S3 answer in the 5xx range). Such a request stored nothing
that any row refers to (the intake writes its rows in one transaction, after the blobs; see
:mod:`lienthong.exchange.intake`), so the caller may send it again, with the same idempotency
key, after ``Retry-After`` seconds.

Anything else (an ``IntegrityError``, a ``ProgrammingError``, SQLite's "no such table") is a
bug or a misconfiguration and stays a 500: retrying would not help.

Every protocol maps through :func:`storage_failure`: the app's exception handlers
(``lienthong.web.faults``) for the REST, federation, portal and page routes and any router
added later, and the axis route class for the axis protocol's answers.
"""

from __future__ import annotations

import errno
import sqlite3
import sys
from enum import StrEnum

from sqlalchemy import exc as sa_exc

from lienthong.errors import ErrorCode, LienthongError

# The errno values of a disk that cannot take the write (the others: a bug or a missing file).
_DISK_ERRNOS = {
    errno.ENOSPC: "disk_full",
    errno.EDQUOT: "disk_full",
    errno.EROFS: "read_only",
    errno.EIO: "io_error",
}

# S3 error codes that mean "the service, not the request" (besides any HTTP 5xx).
_S3_TRANSIENT = {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout"}


class StorageCause(StrEnum):
    """Which storage failed (``detail.cause`` of a STORAGE_UNAVAILABLE answer)."""

    DATABASE = "database"
    DISK_FULL = "disk_full"
    READ_ONLY = "read_only"
    IO_ERROR = "io_error"
    OBJECT_STORE = "object_store"


class StorageUnavailableError(LienthongError):
    """Storage failed; nothing was stored. ``retry_after``: seconds the caller should wait."""

    default_code = ErrorCode.STORAGE_UNAVAILABLE

    def __init__(
        self, cause: StorageCause, *, retry_after: int = 5, message: str | None = None
    ) -> None:
        super().__init__(message, detail={"cause": str(cause), "retry_after_seconds": retry_after})
        self.cause = cause
        self.retry_after = retry_after


def storage_failure(exc: BaseException, *, retry_after: int = 5) -> StorageUnavailableError | None:
    """The STORAGE_UNAVAILABLE refusal ``exc`` amounts to, or None when it is not a storage
    failure. The exception's causes and contexts are looked at too (a failure raised while
    handling a storage failure is one), a refusal (:class:`LienthongError`) never is."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 8:
        seen.add(id(current))
        if isinstance(current, StorageUnavailableError):
            return current
        if isinstance(current, LienthongError):
            return None
        cause = _cause_of(current)
        if cause is not None:
            return StorageUnavailableError(cause, retry_after=retry_after)
        current = current.__cause__ or current.__context__
    return None


def _cause_of(exc: BaseException) -> StorageCause | None:
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return StorageCause.DATABASE
        if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
            return _database_cause(str(exc.orig))
        return None
    if isinstance(exc, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return StorageCause.DATABASE  # the pool could not hand out a working connection
    if isinstance(exc, sqlite3.OperationalError):
        return _database_cause(str(exc))
    if "botocore" in sys.modules:  # an exception of botocore's exists only once it is imported
        cause = _object_store_cause(exc)
        if cause is not None:
            return cause
    if isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS:
        return StorageCause(_DISK_ERRNOS[exc.errno])
    return None


def _database_cause(text: str) -> StorageCause | None:
    lowered = text.lower()
    if lowered.startswith("no such ") or "syntax error" in lowered:
        return None  # SQLite reports a schema or SQL bug as OperationalError too
    if "disk is full" in lowered or "no space left" in lowered:
        return StorageCause.DISK_FULL
    if "readonly" in lowered or "read-only" in lowered:
        return StorageCause.READ_ONLY
    return StorageCause.DATABASE


def _object_store_cause(exc: BaseException) -> StorageCause | None:
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    if isinstance(exc, ConnectionError | HTTPClientError):
        return StorageCause.OBJECT_STORE
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        code = exc.response.get("Error", {}).get("Code", "")
        if int(status or 0) >= 500 or code in _S3_TRANSIENT:
            return StorageCause.OBJECT_STORE
    return None
