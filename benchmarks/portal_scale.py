"""Portal at scale on PostgreSQL: batch ingestion of dossier status updates over HTTP, look-up
by dossier code, and the per-province quality and on-time dashboard over many dossiers.

1. Ingestion: ``--dossiers-http`` dossiers created in batches of 1,000 (``POST
   /api/v1/portal/dossiers/batch``), then two processing steps each with a status (4, then 9)
   in batches of 1,000 (``POST /api/v1/portal/steps/batch``), ``--clients`` concurrent clients,
   against a hub process with 2 uvicorn workers: updates/s.
2. Look-up: ``GET /api/v1/portal/dossiers/{code}`` one after another over a kept-alive
   connection (HTTP Basic checked on every call): p50/p99; and the service call in process.
3. Dashboard: ``--bulk`` dossiers added with INSERT ... SELECT generate_series, the aggregates
   rebuilt once (``store.rebuild_stats``), then the dashboard's query (``scope_figures``) and
   the ``/dich-vu-cong/quan-tri`` page timed; the page reads only the aggregates.

    python -m benchmarks.portal_scale --dossiers-http 20000 --bulk 10000000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from benchmarks.common import drop_pg_database, fresh_pg_database, machine
from lienthong.agencies.demo import DEMO_AGENCIES
from lienthong.clock import VN_TZ
from lienthong.logs import configure_logging
from lienthong.migrate import upgrade
from lienthong.portal import store
from lienthong.portal.demo import DEMO_CATALOGUE, dossier_item
from lienthong.portal.model import format_portal_datetime
from lienthong.portal.service import PortalService, scope_figures
from lienthong.schema import load_all
from lienthong.web.container import build_container
from tests.hub_process import HubProcess
from tests.support import TEST_SECRET_KEY, settings_for

SYSTEM = "000.00.00.H41"
AGENCIES = ["000.00.31.H41", "000.00.38.H41", "000.05.31.H41", "000.11.38.H41", "000.00.12.H41"]
RECEIVED = datetime(2026, 11, 16, 8, 30, tzinfo=VN_TZ)


def prepare(url: str, data_dir: Path) -> str:
    upgrade(url)
    engine = create_engine(url)
    load_all().create_all(engine)
    engine.dispose()
    container = build_container(settings_for(url, data_dir))
    try:
        container.agencies.register_all(DEMO_AGENCIES)
        _, secret = container.agencies.issue_credentials(SYSTEM)
        PortalService(container.db, container.clock, container.agencies).import_catalogue(
            DEMO_CATALOGUE, actor="benchmark"
        )
    finally:
        container.close()
    return secret


def code(n: int) -> str:
    agency = AGENCIES[n % len(AGENCIES)]
    return f"{agency}-261116-{n:07d}"


def dossier_batches(count: int) -> list[list[dict[str, Any]]]:
    items = [
        dossier_item(
            code(n),
            AGENCIES[n % len(AGENCIES)],
            "" if n % 7 == 0 else "2.000635",
            received=RECEIVED,
            channel=1 + n % 3,
        )
        for n in range(count)
    ]
    return [items[i : i + 1000] for i in range(0, count, 1000)]


def step_batches(count: int, status: int, hours: int) -> list[list[dict[str, Any]]]:
    at = format_portal_datetime(RECEIVED + timedelta(hours=hours))
    items = [
        {
            "MaHoSo": code(n),
            "ThoiDiemXuLy": at,
            "TrangThai": status,
            "NguoiXuLy": "Cán bộ",
            "NoiDungXuLy": f"Bước {status}",
        }
        for n in range(count)
    ]
    return [items[i : i + 1000] for i in range(0, count, 1000)]


async def post_all(
    url: str, auth: tuple[str, str], path: str, batches: list[Any], clients: int
) -> dict[str, Any]:
    queue: asyncio.Queue[list[Any]] = asyncio.Queue()
    for b in batches:
        queue.put_nowait(b)
    refused = 0
    latencies: list[float] = []

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal refused
        while not queue.empty():
            batch = queue.get_nowait()
            t0 = time.perf_counter()
            r = await client.post(path, json={"items": batch}, auth=auth)
            latencies.append(time.perf_counter() - t0)
            r.raise_for_status()
            refused += r.json()["refused"]

    async with httpx.AsyncClient(base_url=url, timeout=300) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    updates = sum(len(b) for b in batches)
    return {
        "updates": updates,
        "seconds": round(elapsed, 2),
        "updates_per_second": round(updates / elapsed),
        "batch_p50_ms": round(statistics.median(latencies) * 1000),
        "refused": refused,
    }


def lookups(url: str, auth: tuple[str, str], count: int, total: int) -> dict[str, Any]:
    latencies = []
    with httpx.Client(base_url=url, auth=auth) as client:
        for i in range(count):
            t0 = time.perf_counter()
            r = client.get(f"/api/v1/portal/dossiers/{code((i * 7919) % total)}")
            latencies.append(time.perf_counter() - t0)
            r.raise_for_status()
    return {
        "lookups": count,
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(statistics.quantiles(latencies, n=100)[98] * 1000, 2),
    }


BULK_SQL = """
INSERT INTO portal_dossiers (code, agency_code, root_code, period, status, status_at, received_at,
  procedure_code, procedure_version_id, wrong_code, code_format_problem, computed_due, declared_due,
  due, finished_at, timeliness, channel, supplement_count, applicant, summary, details, synced_by,
  created_at, updated_at)
SELECT 'B' || lpad(((g % 63) + 1)::text, 2, '0') || '.' || (g % 40) || '-2601'
         || lpad((1 + g % 28)::text, 2, '0') || '-' || g,
       'B' || lpad(((g % 63) + 1)::text, 2, '0') || '.' || (g % 40),
       CASE WHEN g % 63 < 34 THEN '000.00.00.H' || lpad(((g % 63) + 1)::text, 2, '0')
            ELSE '000.00.00.G' || lpad(((g % 63) - 33)::text, 2, '0') END,
       '2026-' || lpad((1 + g % 12)::text, 2, '0'),
       CASE WHEN g % 5 = 0 THEN 4 ELSE 10 END, now(), now(),
       CASE WHEN g % 9 = 0 THEN '' ELSE '2.000635' END, NULL,
       CASE WHEN g % 9 = 0 THEN 'EMPTY' END, NULL, current_date, NULL, current_date,
       CASE WHEN g % 5 = 0 THEN NULL ELSE now() END,
       CASE WHEN g % 5 = 0 THEN NULL WHEN g % 11 = 0 THEN 'LATE' WHEN g % 3 = 0 THEN 'EARLY'
            ELSE 'ON_TIME' END,
       1 + g % 3, 0, 'Công dân ' || g, 'Hồ sơ', '{}', 'bench', now(), now()
FROM generate_series(:start, :stop) AS g
"""


def bulk_load(url: str, count: int, chunk: int = 1_000_000) -> dict[str, Any]:
    engine = create_engine(url)
    started = time.perf_counter()
    for start in range(1, count + 1, chunk):
        with engine.begin() as conn:
            conn.execute(text(BULK_SQL), {"start": start, "stop": min(start + chunk - 1, count)})
    loaded = time.perf_counter() - started
    with engine.begin() as conn:
        conn.execute(text("ANALYZE portal_dossiers"))
    t0 = time.perf_counter()
    from sqlalchemy.orm import Session

    with Session(engine) as session, session.begin():
        store.rebuild_stats(session)
    rebuilt = time.perf_counter() - t0
    with engine.connect() as conn:
        total = conn.execute(text("select count(*) from portal_dossiers")).scalar_one()
        stat_rows = conn.execute(text("select count(*) from portal_stats")).scalar_one()
    engine.dispose()
    return {
        "dossiers": total,
        "load_seconds": round(loaded, 1),
        "rebuild_stats_seconds": round(rebuilt, 1),
        "stat_rows": stat_rows,
    }


def dashboard(url: str, data_dir: Path, runs: int = 20) -> dict[str, Any]:
    container = build_container(settings_for(url, data_dir))
    service = PortalService(container.db, container.clock, container.agencies)
    times = []
    try:
        for _ in range(runs):
            t0 = time.perf_counter()
            rows = scope_figures(service, "2026-01", "2026-12")
            times.append(time.perf_counter() - t0)
    finally:
        container.close()
    return {
        "scopes": len(rows),
        "p50_ms": round(statistics.median(times) * 1000, 1),
        "max_ms": round(max(times) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers-http", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--bulk", type=int, default=10_000_000)
    args = parser.parse_args()
    configure_logging("WARNING", False)
    url, name = fresh_pg_database()
    result: dict[str, Any] = {"machine": machine()}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = Path(tmp)
            secret = prepare(url, data_dir)
            auth = (SYSTEM, secret)
            hub = HubProcess(
                data_dir=data_dir,
                database_url=url,
                secret_key=TEST_SECRET_KEY,
                workers=2,
                env={"LIENTHONG_TRUST_POLICY": "off"},
            ).start()
            try:
                n = args.dossiers_http
                result["create"] = asyncio.run(
                    post_all(
                        hub.url,
                        auth,
                        "/api/v1/portal/dossiers/batch",
                        dossier_batches(n),
                        args.clients,
                    )
                )
                result["step_status_4"] = asyncio.run(
                    post_all(
                        hub.url,
                        auth,
                        "/api/v1/portal/steps/batch",
                        step_batches(n, 4, 2),
                        args.clients,
                    )
                )
                result["step_status_9"] = asyncio.run(
                    post_all(
                        hub.url,
                        auth,
                        "/api/v1/portal/steps/batch",
                        step_batches(n, 9, 30),
                        args.clients,
                    )
                )
                result["lookup_http"] = lookups(hub.url, auth, args.lookups, n)
                print(json.dumps(result, indent=2, ensure_ascii=False), flush=True)
                if args.bulk:
                    result["bulk"] = bulk_load(url, args.bulk)
                    result["lookup_http_after_bulk"] = lookups(hub.url, auth, args.lookups, n)
                    result["dashboard_query"] = dashboard(url, data_dir)
            finally:
                hub.stop()
    finally:
        drop_pg_database(name)
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
