"""Which exceptions are storage failures (503 STORAGE_UNAVAILABLE, retry) and which stay bugs
(500): the exceptions as the drivers raise them."""

from __future__ import annotations

import errno
import sqlite3

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError, OperationalError

from lienthong.errors import ErrorCode, LienthongError
from lienthong.faults import StorageCause, StorageUnavailableError, storage_failure


def sqlite_error(sql: str) -> BaseException:
    engine = create_engine("sqlite://")
    try:
        with engine.connect() as conn:
            conn.execute(text("create table t (id integer primary key)"))
            conn.execute(text("insert into t values (1)"))
            conn.execute(text(sql))
    except Exception as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError("no error")


@pytest.mark.parametrize(
    ("number", "cause"),
    [
        (errno.ENOSPC, StorageCause.DISK_FULL),
        (errno.EDQUOT, StorageCause.DISK_FULL),
        (errno.EROFS, StorageCause.READ_ONLY),
        (errno.EIO, StorageCause.IO_ERROR),
    ],
)
def test_a_disk_that_cannot_take_the_write_is_a_storage_failure(
    number: int, cause: StorageCause
) -> None:
    refusal = storage_failure(OSError(number, "disk"), retry_after=7)
    assert refusal is not None
    assert (refusal.code, refusal.cause, refusal.retry_after) == (
        ErrorCode.STORAGE_UNAVAILABLE,
        cause,
        7,
    )
    assert refusal.http_status == 503
    assert refusal.detail == {"cause": str(cause), "retry_after_seconds": 7}


def test_a_missing_file_or_a_refused_permission_is_not() -> None:
    assert storage_failure(FileNotFoundError(errno.ENOENT, "gone")) is None
    assert storage_failure(PermissionError(errno.EACCES, "no")) is None


def test_a_database_that_cannot_be_opened_is_a_storage_failure() -> None:
    engine = create_engine("sqlite:////nonexistent-folder/x.db")
    with pytest.raises(OperationalError) as raised:
        engine.connect()
    engine.dispose()
    refusal = storage_failure(raised.value)
    assert refusal is not None and refusal.cause is StorageCause.DATABASE


def test_sql_bugs_and_constraint_violations_stay_errors() -> None:
    missing = sqlite_error("select * from no_such_table")
    assert isinstance(missing, OperationalError)
    assert storage_failure(missing) is None
    duplicate = sqlite_error("insert into t values (1)")
    assert isinstance(duplicate, IntegrityError)
    assert storage_failure(duplicate) is None


def test_a_full_sqlite_database_says_disk_full() -> None:
    refusal = storage_failure(sqlite3.OperationalError("database or disk is full"))
    assert refusal is not None and refusal.cause is StorageCause.DISK_FULL
    refusal = storage_failure(sqlite3.OperationalError("attempt to write a readonly database"))
    assert refusal is not None and refusal.cause is StorageCause.READ_ONLY


def test_a_failure_raised_while_handling_a_storage_failure_is_one() -> None:
    try:
        try:
            raise OSError(errno.ENOSPC, "full")
        except OSError:
            raise RuntimeError("cleanup failed") from None
    except RuntimeError as exc:
        assert exc.__context__ is not None
        assert storage_failure(exc) is not None


def test_a_refusal_is_never_one() -> None:
    refusal = LienthongError(code=ErrorCode.DUPLICATE_DOCUMENT)
    refusal.__context__ = OSError(errno.ENOSPC, "full")
    assert storage_failure(refusal) is None
    raised = StorageUnavailableError(StorageCause.DATABASE, retry_after=3)
    assert storage_failure(raised) is raised


def test_an_unreachable_object_store_is_a_storage_failure() -> None:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import EndpointConnectionError

    client = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:9",  # discard port: nothing listens
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2),
    )
    with pytest.raises(EndpointConnectionError) as raised:
        client.head_bucket(Bucket="b")
    refusal = storage_failure(raised.value)
    assert refusal is not None and refusal.cause is StorageCause.OBJECT_STORE
