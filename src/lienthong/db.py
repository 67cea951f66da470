"""Database plumbing: one metadata for every domain, engines for SQLite and PostgreSQL, and the
unit of work that owns each transaction.

Each domain declares its tables in its own ``store.py`` on :class:`Base`; importing
:mod:`lienthong.schema` imports them all (Alembic and tests use that). Nothing here opens a
connection at import time.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

# Stable constraint names so that Alembic migrations read the same on both databases.
# The largest value of a 64-bit signed integer column (SQLite INTEGER, PostgreSQL BIGINT): an
# identifier beyond it names no row, and handing it to the driver would fail (OverflowError).
MAX_ROW_ID = 2**63 - 1

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(
    url: str, *, sqlite_synchronous: str = "FULL", pool_size: int = 10, writer: bool = True
) -> Engine:
    """An engine tuned for the hub: WAL and a busy timeout on SQLite, a pool on PostgreSQL.

    On SQLite a ``writer`` engine opens every transaction with ``BEGIN IMMEDIATE`` so that
    concurrent writers queue on the busy timeout instead of failing at commit; readers use a
    plain deferred ``BEGIN`` and never block under WAL.
    """
    if is_sqlite(url):
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=pool_size,
            max_overflow=pool_size,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Autocommit at the driver level; transactions are opened explicitly below so
            # that a writer takes the lock at BEGIN (IMMEDIATE) instead of failing at commit.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={sqlite_synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


class _WriteGate:
    """Queues SQLite writers: a re-entrant lock for the threads of this process, and an
    ``flock`` on ``<database>.writelock`` for the other processes.

    SQLite admits one writer at a time; without this, waiting writers sleep in SQLite's busy
    handler (in steps of up to 100 ms), which turns a 2 ms wait into a long tail. The kernel
    wakes an ``flock`` waiter as soon as the lock is free. One gate per database file and
    process (see :func:`_gate_for`), so nested units of work in one thread never deadlock.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self._lock:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fd = self._fd
            if self._depth == 0:
                fcntl.flock(fd, fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    fcntl.flock(fd, fcntl.LOCK_UN)


_GATES: dict[str, _WriteGate] = {}
_GATES_LOCK = threading.Lock()


def _gate_for(engine: Engine) -> _WriteGate | None:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    path = os.path.abspath(database) + ".writelock"
    with _GATES_LOCK:
        return _GATES.setdefault(path, _WriteGate(path))


class Database:
    """An engine and its session factory; the composition root builds one per process."""

    def __init__(self, engine: Engine, read_engine: Engine | None = None) -> None:
        self.engine = engine
        self.read_engine = read_engine or engine
        self.sessions = sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
        self.read_sessions = sessionmaker(
            bind=self.read_engine, expire_on_commit=False, autoflush=False
        )

    @classmethod
    def from_url(
        cls, url: str, *, sqlite_synchronous: str = "FULL", pool_size: int = 10
    ) -> Database:
        engine = make_engine(url, sqlite_synchronous=sqlite_synchronous, pool_size=pool_size)
        if not is_sqlite(url):
            return cls(engine)
        reader = make_engine(
            url, sqlite_synchronous=sqlite_synchronous, pool_size=pool_size, writer=False
        )
        return cls(engine, reader)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction: committed when the block ends normally, rolled back otherwise.

        Services own this; stores receive the session and never commit.
        """
        gate = _gate_for(self.engine)
        with gate.hold() if gate is not None else nullcontext():
            session = self.sessions()
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reads; rolled back at the end (nothing written survives)."""
        session = self.read_sessions()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()
