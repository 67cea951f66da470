"""Federation: end-to-end latency across three hubs, and one link's throughput.

The demo network of ``lienthong demo network`` (four hub processes, SQLite each, loopback):

1. **Latency**: a commune of province A sends to a department of the ministry, at a fixed rate
   (open loop); the package goes province A hub → national hub → ministry hub; the department
   pulls its inbox continuously (cursor, every 10 ms). Latency = from the start of the send to
   the package's appearance in the department's inbox: p50 / p99.
2. **Link throughput**: the national hub is stopped while the provincial hub accepts ``--link``
   packages for the Government Office (served by the national hub); the national hub restarts and
   the provincial forwarder drains the backlog over the one link: packages/s.

    python -m benchmarks.federation_latency --count 150 --rate 5 --link 300
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from benchmarks.common import machine
from lienthong.exchange import store as exchange_store
from lienthong.federation.demo import (
    MINISTRY,
    NATIONAL,
    PROVINCE_A,
    PROVINCE_B,
    prepare_network,
    settings_from_env,
)
from lienthong.logs import configure_logging
from lienthong.web.container import build_container
from tests.hub_process import HubProcess, free_port
from tests.support import TEST_SECRET_KEY, document_bytes

COMMUNE, DEPARTMENT, GOV_OFFICE = "000.11.38.H41", "000.00.05.G15", "000.00.00.G22"
ENV = {
    "LIENTHONG_FEDERATION_POLL_SECONDS": "1",
    "LIENTHONG_RETRY_FIRST_SECONDS": "0.5",
    "LIENTHONG_RETRY_MAX_SECONDS": "2",
    "LIENTHONG_AUDIT_SEAL_INTERVAL_SECONDS": "0",
    "LIENTHONG_LOG_LEVEL": "WARNING",
    "LIENTHONG_SQLITE_SYNCHRONOUS": "FULL",
}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(count: int, rate: float, link: int, size: int) -> dict[str, Any]:
    base = Path(tempfile.mkdtemp(prefix="lienthong-federation-"))
    order = (NATIONAL, MINISTRY, PROVINCE_A, PROVINCE_B)
    hubs = prepare_network(base, {h: free_port() for h in order}, TEST_SECRET_KEY, **ENV)
    procs = {
        h: HubProcess(
            data_dir=s.data_dir,
            database_url=s.database_url,
            secret_key=TEST_SECRET_KEY,
            port=s.port,
            env=s.env,
            ca=s.ca,
            allow_demo_secrets=True,  # the demo network's credentials file
        )
        for h, s in hubs.items()
    }
    for proc in procs.values():
        proc.start()
    try:
        commune = hubs[PROVINCE_A].client(COMMUNE)
        dept = hubs[MINISTRY].client(DEPARTMENT)
        attachment = {"cv.pdf": b"%PDF-1.4 " + random.Random(1).randbytes(size)}
        packages = [
            document_bytes(COMMUNE, [DEPARTMENT], number=str(i + 1), attachments=attachment)
            for i in range(count)
        ]
        started: dict[str, float] = {}
        seen: dict[str, float] = {}
        done = threading.Event()

        def pull() -> None:
            cursor = 0
            while not done.is_set():
                items, _ = dept.inbox(cursor=cursor, limit=500)
                now = time.perf_counter()
                for item in items:
                    seen.setdefault(item["document"]["edxml_document_id"], now)
                    cursor = max(cursor, item["delivery_id"])
                if len(seen) >= count:
                    return
                time.sleep(0.01)

        puller = threading.Thread(target=pull, daemon=True)
        puller.start()
        t0 = time.perf_counter()
        for i, package in enumerate(packages):
            delay = t0 + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sent_at = time.perf_counter()
            answer = commune.send(package)
            started[answer["edxml_document_id"]] = sent_at
        puller.join(timeout=120)
        done.set()
        latencies = [(seen[k] - started[k]) * 1000 for k in started if k in seen]
        # Link throughput: a backlog drained over province A -> national.
        procs[NATIONAL].stop()
        backlog = [
            document_bytes(COMMUNE, [GOV_OFFICE], number=f"L{i + 1}", attachments=attachment)
            for i in range(link)
        ]
        for package in backlog:
            commune.send(package)
        national = build_container(settings_from_env(hubs[NATIONAL].env))
        procs[NATIONAL].start()
        t1 = time.perf_counter()

        def at_national() -> int:
            with national.db.read() as session:
                query = select(func.count()).select_from(exchange_store.Document)
                query = query.where(exchange_store.Document.code_number.like("L%"))
                return int(session.scalar(query) or 0)

        while at_national() < link:
            time.sleep(0.05)
        drained = time.perf_counter() - t1
        national.close()
        return {
            "machine": machine(),
            "count": count,
            "rate_per_s": rate,
            "package_bytes": len(packages[0]),
            "delivered": len(latencies),
            "latency_ms": {
                "p50": round(statistics.median(latencies), 1),
                "p99": round(pct(latencies, 99), 1),
                "max": round(max(latencies), 1),
            },
            "link_backlog": link,
            "link_seconds": round(drained, 2),
            "link_packages_per_s": round(link / drained, 1),
        }
    finally:
        for proc in procs.values():
            proc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=150)
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--link", type=int, default=300)
    parser.add_argument("--size", type=int, default=10_000, help="attachment bytes")
    args = parser.parse_args()
    configure_logging("WARNING", False)
    print(json.dumps(run(args.count, args.rate, args.link, args.size), indent=1))


if __name__ == "__main__":
    main()
