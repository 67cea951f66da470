"""Task tracking at scale on PostgreSQL (issue 14): ``--tasks`` tasks over five years assigned by
one office to ``--leads`` lead agencies among ``--units`` registered units, generated with
INSERT ... SELECT generate_series straight into the task tables (states, deadlines, proposals,
completions and extensions as the service would have left them); then timed:

- the per-agency statistics (``TaskService.stats``) of the assigning office, in process;
- the steering page ``/dieu-hanh`` and the statistics page over HTTP (uvicorn on loopback,
  a signed-in task officer);
- recording a progress report (``TaskService.report_progress``) in process, one per open task.

    python -m benchmarks.tasks_scale --tasks 100000 --leads 95 --units 12000
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from benchmarks.common import drop_pg_database, fresh_pg_database, machine
from lienthong.accounts.model import Role, ScryptParams
from lienthong.accounts.service import AccountService
from lienthong.logs import configure_logging
from lienthong.migrate import upgrade
from lienthong.tasks.service import TaskService
from lienthong.web.app import create_app
from lienthong.web.container import build_container
from tests.support import settings_for
from tests.web_server import ThreadedServer

OFFICE = "B000000"
PAGES = ("/dieu-hanh", "/nhiem-vu/thong-ke")

GENERATE = [
    """INSERT INTO agencies (code, name, parent_code, level, created_at, updated_at)
       SELECT 'B' || lpad(i::text, 6, '0'),
              CASE WHEN i = 0 THEN 'Văn phòng Chính phủ (thử)' ELSE 'Cơ quan thử ' || i END,
              NULL, CASE WHEN i <= :leads THEN 1 ELSE 3 END, now(), now()
       FROM generate_series(0, :units) i""",
    # Five years of assignments; older tasks are mostly done, the last months mostly open.
    """INSERT INTO tasks (code, title, content, authority, assigner_code, lead_code, assigned_on,
              deadline_kind, due_on, original_due_on, effective_due_on, priority, output,
              person_in_charge, source_notation, source_signer, source_signed_on, source_kind,
              state, extension_pending, extensions_granted, proposed_on, completed_on,
              created_at, updated_at)
       SELECT 'NV-BENCH-' || i, 'Nhiệm vụ thử số ' || i, 'Nội dung nhiệm vụ thử.',
              CASE WHEN i % 4 = 0 THEN 'government' ELSE 'prime_minister' END, 'B000000',
              'B' || lpad((1 + i % :leads)::text, 6, '0'), d,
              CASE WHEN i % 50 = 0 THEN 'none' ELSE 'date' END,
              due, due - (CASE WHEN i % 7 = 0 THEN 30 ELSE 0 END), due, 'normal', 'report', '',
              i || '/TB-VPCP', 'Người ký thử', d, 'Thông báo kết luận', state, false,
              CASE WHEN i % 7 = 0 THEN 1 ELSE 0 END,
              CASE WHEN state IN ('completed', 'proposed_complete') THEN d + 20 + i % 70 END,
              CASE WHEN state = 'completed' THEN d + 20 + i % 70 END,
              now(), now()
       FROM (
         SELECT i, d,
                CASE WHEN i % 50 = 0 THEN NULL ELSE d + 30 + i % 60 END AS due,
                CASE WHEN i % 97 = 0 THEN 'cancelled'
                     WHEN d < current_date - 120 THEN 'completed'
                     WHEN i % 5 = 0 THEN 'proposed_complete'
                     WHEN i % 3 = 0 THEN 'received'
                     ELSE 'in_progress' END AS state
         FROM (SELECT i, current_date - (i % 1825) AS d FROM generate_series(1, :n) i) s
       ) g""",
    """INSERT INTO task_events (task_id, at, "on", agency_code, actor, action, state, note)
       SELECT id, created_at, assigned_on, assigner_code, 'benchmark', 'assign', 'assigned', '{}'
       FROM tasks""",
    """INSERT INTO task_events (task_id, at, "on", agency_code, actor, action, state, note)
       SELECT id, created_at, assigned_on + 10, lead_code, 'benchmark', 'report_progress',
              'in_progress', '{"text": "Tiến độ"}'
       FROM tasks WHERE id % 2 = 0""",
    "ANALYZE",
]


def generate(url: str, n: int, leads: int, units: int) -> dict[str, float]:
    engine = create_engine(url)
    timings: dict[str, float] = {}
    for statement in GENERATE:
        words = re.findall(r"(?:INSERT INTO|^)\s*(\w+)", statement.strip())
        name = words[0] if words else statement
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text(statement), {"n": n, "leads": leads, "units": units})
        timings[name] = round(timings.get(name, 0) + time.perf_counter() - started, 1)
        print(f"  {name}: {timings[name]} s", flush=True)
    engine.dispose()
    return timings


def percentiles(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {
        "n": len(times),
        "p50_ms": round(statistics.median(times), 2),
        "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 2),
        "max_ms": round(times[-1], 2),
    }


def timed(call: Callable[[], Any], repeat: int) -> dict[str, float]:
    call()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return percentiles(times)


def measure(url: str, data_dir: Path, repeat: int, reports: int) -> dict[str, Any]:
    container = build_container(settings_for(url, data_dir), db=None)
    accounts = AccountService(container.db, container.clock, scrypt=ScryptParams(n=2**10))
    container.accounts = accounts
    accounts.create_user("theodoi", "Theo dõi", OFFICE, [Role.TASK_OFFICER], "mat-khau-dai-1")
    service = TaskService(container.db, container.clock, container.agencies, container.blobs)
    results: dict[str, Any] = {
        "stats_of_the_office_in_process": timed(lambda: service.stats(OFFICE), repeat),
        "stats_of_one_lead_in_process": timed(lambda: service.stats("B000001"), repeat),
    }
    print(f"  stats: {results['stats_of_the_office_in_process']}", flush=True)
    server = ThreadedServer(create_app(container=container)).start()
    try:
        with httpx.Client(base_url=server.url, timeout=120, follow_redirects=True) as client:
            page = client.get("/dang-nhap")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token is not None
            client.post(
                "/dang-nhap",
                data={"username": "theodoi", "password": "mat-khau-dai-1", "csrf_token": token[1]},
            )
            for path in PAGES:

                def get(path: str = path) -> None:
                    answer = client.get(path)
                    assert answer.status_code == 200, (path, answer.status_code)

                results[path] = timed(get, repeat)
                print(f"  {path}: {results[path]}", flush=True)
    finally:
        server.stop()
    open_tasks = [
        (t.code, t.row.lead_code)
        for t in service.tasks(None, states=["in_progress", "received"], limit=reports)
    ]
    times = []
    for code, lead in open_tasks:
        started = time.perf_counter()
        service.report_progress(code, lead, "benchmark", "Đã hoàn thành thêm 10% khối lượng.")
        times.append((time.perf_counter() - started) * 1000)
    results["record_progress_report_in_process"] = percentiles(times)
    print(f"  progress: {results['record_progress_report_in_process']}", flush=True)
    container.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--leads", type=int, default=95)
    parser.add_argument("--units", type=int, default=12_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--reports", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()
    configure_logging("WARNING", False)
    url, name = fresh_pg_database()
    print(f"database {name}", flush=True)
    try:
        upgrade(url)
        print("generating...", flush=True)
        timings = generate(url, args.tasks, args.leads, args.units)
        print("timing...", flush=True)
        results = measure(
            url, Path(tempfile.mkdtemp(prefix="lt-bench-")), args.repeat, args.reports
        )
    finally:
        if not args.keep:
            drop_pg_database(name)
    print(
        json.dumps(
            {
                "benchmark": "tasks_scale",
                "machine": machine(),
                "tasks": args.tasks,
                "lead_agencies": args.leads,
                "units": args.units,
                "generation_seconds": timings,
                "results": results,
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
