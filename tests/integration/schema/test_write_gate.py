"""SQLite writers queue on one gate per database file (lienthong.db._WriteGate)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import text

from lienthong.db import Database


def test_nested_units_of_work_on_one_file_do_not_deadlock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gate.db'}"
    first, second = Database.from_url(url), Database.from_url(url)
    finished = threading.Event()

    def nested() -> None:
        with first.unit_of_work() as outer:
            outer.execute(text("create table if not exists t (n integer)"))
        with first.unit_of_work(), second.read() as reader:
            reader.execute(text("select count(*) from t"))
        finished.set()

    worker = threading.Thread(target=nested, daemon=True)
    worker.start()
    worker.join(10)
    assert finished.is_set(), "a nested unit of work deadlocked on the write gate"
    first.dispose()
    second.dispose()


def test_writers_of_two_threads_never_overlap(tmp_path: Path) -> None:
    database = Database.from_url(f"sqlite:///{tmp_path / 'gate.db'}")
    with database.unit_of_work() as session:
        session.execute(text("create table t (n integer)"))
    inside = 0
    overlaps = 0
    guard = threading.Lock()

    def write(n: int) -> None:
        nonlocal inside, overlaps
        for _ in range(20):
            with database.unit_of_work() as session:
                with guard:
                    inside += 1
                    overlaps += inside > 1
                session.execute(text("insert into t values (:n)"), {"n": n})
                time.sleep(0.001)
                with guard:
                    inside -= 1

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    with database.read() as session:
        assert session.execute(text("select count(*) from t")).scalar_one() == 80
    assert overlaps == 0
    database.dispose()
