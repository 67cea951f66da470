"""Send throughput and latency of 100 KB packages with 3 recipients, over HTTP.

Phase 1 (closed loop): ``concurrency`` clients send as fast as the hub answers: packages/s.
Phase 2 (open loop): packages sent at 70% of that rate on a fixed schedule: p50/p99 latency.
The hub runs as a separate process with 2 uvicorn workers, on SQLite or PostgreSQL.

    python -m benchmarks.send_throughput --db sqlite --count 3000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import drop_pg_database, fresh_pg_database, machine
from lienthong.logs import configure_logging
from tests.e2e.conftest import prepare_hub
from tests.support import CAO_BANG, FINANCE, GOV_OFFICE, NGHE_AN, document_bytes

RECIPIENTS = [NGHE_AN, CAO_BANG, FINANCE]


def build_packages(count: int, size: int, offset: int) -> list[bytes]:
    # Incompressible content (the SDK zips attachments), base64 grows by 4/3: ~size on the wire.
    rng = random.Random(offset)
    return [
        document_bytes(
            GOV_OFFICE,
            RECIPIENTS,
            number=str(offset + i + 1),
            attachments={"vb.pdf": rng.randbytes(size * 3 // 4 - 1200)},
        )
        for i in range(count)
    ]


async def closed_loop(
    url: str, auth: httpx.BasicAuth, packages: list[bytes], concurrency: int
) -> dict[str, Any]:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for p in packages:
        queue.put_nowait(p)
    latencies: list[float] = []
    errors = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while not queue.empty():
            body = queue.get_nowait()
            t0 = time.perf_counter()
            r = await client.post("/api/v1/packages", content=body, auth=auth)
            latencies.append(time.perf_counter() - t0)
            if r.status_code != 201:
                errors += 1

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {
        "packages": len(packages),
        "seconds": round(elapsed, 2),
        "packages_per_second": round(len(packages) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(statistics.quantiles(latencies, n=100)[98] * 1000, 1),
        "errors": errors,
    }


async def open_loop(
    url: str, auth: httpx.BasicAuth, packages: list[bytes], rate: float
) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0

    async def one(client: httpx.AsyncClient, body: bytes) -> None:
        nonlocal errors
        t0 = time.perf_counter()
        r = await client.post("/api/v1/packages", content=body, auth=auth)
        latencies.append(time.perf_counter() - t0)
        if r.status_code != 201:
            errors += 1

    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        tasks = []
        started = time.perf_counter()
        for i, body in enumerate(packages):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(client, body)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    return {
        "target_rate": round(rate, 1),
        "achieved_rate": round(len(packages) / elapsed, 1),
        "packages": len(packages),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(statistics.quantiles(latencies, n=100)[98] * 1000, 1),
        "errors": errors,
    }


def run(db: str, count: int, size: int, concurrency: int, workers: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="lt-bench-"))
    pg_name = None
    if db == "postgres":
        url, pg_name = fresh_pg_database()
    else:
        url = f"sqlite:///{tmp / 'hub.db'}"
    try:
        prepared = prepare_hub(tmp / "var", url, [GOV_OFFICE, *RECIPIENTS])
        auth = httpx.BasicAuth(GOV_OFFICE, prepared.secrets[GOV_OFFICE])
        warm = build_packages(50, size, 0)
        phase1 = build_packages(count, size, 100)
        phase2 = build_packages(count, size, 100 + count)
        with prepared.process(workers=workers) as hub:
            asyncio.run(closed_loop(hub.url, auth, warm, concurrency))
            peak = asyncio.run(closed_loop(hub.url, auth, phase1, concurrency))
            steady = asyncio.run(
                open_loop(hub.url, auth, phase2, 0.7 * peak["packages_per_second"])
            )
        return {
            "benchmark": "send_throughput",
            "database": db,
            "package_bytes": len(phase1[0]),
            "recipients": len(RECIPIENTS),
            "hub_workers": workers,
            "client_concurrency": concurrency,
            "peak": peak,
            "at_70_percent": steady,
        }
    finally:
        if pg_name:
            drop_pg_database(pg_name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--size", type=int, default=100 * 1024)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    configure_logging("WARNING", json=True)
    result = run(args.db, args.count, args.size, args.concurrency, args.workers)
    result["machine"] = machine()
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
