"""Monitoring centre at scale on PostgreSQL: ``--documents`` documents with
``--per-document`` recipients each (deliveries, recipient rows) generated with INSERT ...
SELECT generate_series straight into the hub's tables AND the aggregates (``stats_daily``,
``stats_latency``, as the intake hook and the latency refresh would have written them), over
one year and ``--agencies`` agencies; then the monitoring pages are requested over HTTP
(uvicorn on loopback, signed-in operator) and their server time is reported, p50/p99.

    python -m benchmarks.monitoring_pages --documents 1000000 --per-document 3
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from benchmarks.common import drop_pg_database, fresh_pg_database, machine
from lienthong.accounts.model import Role, ScryptParams
from lienthong.accounts.service import AccountService
from lienthong.logs import configure_logging
from lienthong.migrate import upgrade
from lienthong.schema import load_all
from lienthong.web.app import create_app
from lienthong.web.container import build_container
from tests.support import settings_for
from tests.web_server import ThreadedServer

PAGES = (
    "/giam-sat?ky=30",
    "/giam-sat?ky=365",
    "/giam-sat/tuan-thu?ky=365",
    "/giam-sat/don-vi?ky=365",
    "/giam-sat/don-vi?ky=365&dinh_dang=xlsx",
    "/giam-sat/don-vi/B000001?ky=30",
)

GENERATE = [
    # Agencies: 1 = ministries and provinces, 2 = departments, 3 = communes.
    """INSERT INTO agencies (code, name, parent_code, level, created_at, updated_at)
       SELECT 'B' || lpad(i::text, 6, '0'), 'Cơ quan thử ' || i, NULL,
              CASE WHEN i <= :a / 20 THEN 1 WHEN i <= :a / 4 THEN 2 ELSE 3 END, now(), now()
       FROM generate_series(1, :a) i""",
    """INSERT INTO messages (id, kind, sender_code, package_digest, package_size, signed,
                             validation, answer, created_at)
       SELECT md5('m' || i), 'edoc', 'B' || lpad((1 + i % :a)::text, 6, '0'), md5('p' || i),
              50000, i % 10 <> 0, '{"overall": "ok"}', '{}',
              now() - ((i % 365) || ' days')::interval - ((i % 86400) || ' seconds')::interval
       FROM generate_series(1, :n) i""",
    """INSERT INTO documents (id, sender_code, edxml_document_id, code_number, code_notation,
              number_key, notation_key, year, subject, type_name, priority, state,
              origin_message_id, latest_message_id, signed, attachment_count, created_at)
       SELECT md5('d' || i), sender_code, 'doc-' || i, i::text, 'TB-BENCH', i::text,
              'TB-BENCH', 2026, 'Văn bản thử số ' || i, 'Công văn', i % 4, 'active',
              id, id, signed, 1, created_at
       FROM (SELECT i, md5('m' || i) AS mid FROM generate_series(1, :n) i) g
       JOIN messages m ON m.id = g.mid""",
    """INSERT INTO document_recipients (document_id, recipient_code, status, status_at,
              recalled, removed, added_at)
       SELECT d.id, 'B' || lpad((1 + (i * 7 + k * 131) % :a)::text, 6, '0'),
              CASE WHEN k = 0 THEN '06' WHEN k = 1 THEN '03' ELSE '01' END,
              d.created_at + interval '2 hours', false, false, d.created_at
       FROM generate_series(1, :n) i
       CROSS JOIN generate_series(0, :k - 1) k
       JOIN documents d ON d.id = md5('d' || i)
       ON CONFLICT DO NOTHING""",
    """INSERT INTO deliveries (message_id, recipient_code, document_id, kind, state,
              created_at, acked_at)
       SELECT d.origin_message_id, r.recipient_code, d.id, 'edoc',
              CASE WHEN hashtext(d.id) % 50 = 0 THEN 'pending' ELSE 'done' END,
              d.created_at, d.created_at + interval '10 minutes'
       FROM document_recipients r JOIN documents d ON d.id = r.document_id""",
    # The aggregates, as the intake hook writes them (Vietnam days).
    """INSERT INTO stats_daily (day, agency_code, direction, level, documents, signed, valid,
              with_attachments, arrived_same_day)
       SELECT (d.created_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, d.sender_code, 'sent',
              a.level, count(*), count(*) FILTER (WHERE d.signed),
              count(*) FILTER (WHERE d.signed), count(*), 0
       FROM documents d JOIN agencies a ON a.code = d.sender_code GROUP BY 1, 2, 4""",
    """INSERT INTO stats_daily (day, agency_code, direction, level, documents, signed, valid,
              with_attachments, arrived_same_day)
       SELECT (d.created_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, r.recipient_code,
              'received', a.level, count(*), count(*) FILTER (WHERE d.signed),
              count(*) FILTER (WHERE d.signed), count(*),
              count(*) FILTER (WHERE hashtext(d.id) % 5 <> 0)
       FROM document_recipients r JOIN documents d ON d.id = r.document_id
       JOIN agencies a ON a.code = r.recipient_code GROUP BY 1, 2, 4""",
    """INSERT INTO stats_level_daily (day, level, direction, documents, signed, valid,
              with_attachments, arrived_same_day)
       SELECT day, level, direction, sum(documents), sum(signed), sum(valid),
              sum(with_attachments), sum(arrived_same_day)
       FROM stats_daily GROUP BY 1, 2, 3""",
    """INSERT INTO stats_monthly (month, agency_code, direction, level, documents, signed,
              valid, with_attachments, arrived_same_day)
       SELECT date_trunc('month', day)::date, agency_code, direction, max(level),
              sum(documents), sum(signed), sum(valid), sum(with_attachments),
              sum(arrived_same_day)
       FROM stats_daily GROUP BY 1, 2, 3""",
    """INSERT INTO stats_latency (day, status_code, bucket, count)
       SELECT day, s, b, sum(documents) / 8 + 1
       FROM stats_level_daily CROSS JOIN (VALUES ('01'), ('03'), ('06')) v(s)
       CROSS JOIN generate_series(0, 12) b
       WHERE direction = 'received' GROUP BY 1, 2, 3""",
    "ANALYZE",
]


def generate(url: str, agencies: int, documents: int, per_document: int) -> dict[str, float]:
    engine = create_engine(url)
    timings: dict[str, float] = {}
    params = {"a": agencies, "n": documents, "k": per_document}
    for statement in GENERATE:
        name = re.findall(r"(?:INSERT INTO|^)\s*(\w+)", statement.strip())[0]
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text(statement), params if ":" in statement else {})
        timings[name] = round(time.perf_counter() - started, 1)
        print(f"  {name}: {timings[name]} s", flush=True)
    engine.dispose()
    return timings


def time_pages(url: str, data_dir: Path, repeat: int) -> dict[str, Any]:
    container = build_container(settings_for(url, data_dir), db=None)
    accounts = AccountService(container.db, container.clock, scrypt=ScryptParams(n=2**10))
    container.accounts = accounts
    if not any(u.username == "vanhanh" for u in accounts.list_users("B000001")):
        accounts.create_user("vanhanh", "Vận hành", "B000001", [Role.OPERATOR], "mat-khau-dai-1")
    server = ThreadedServer(create_app(container=container)).start()
    results: dict[str, Any] = {}
    try:
        with httpx.Client(base_url=server.url, timeout=120, follow_redirects=True) as client:
            page = client.get("/dang-nhap")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token is not None
            client.post(
                "/dang-nhap",
                data={"username": "vanhanh", "password": "mat-khau-dai-1", "csrf_token": token[1]},
            )
            for path in PAGES:
                client.get(path)  # warm-up
                times = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    answer = client.get(path)
                    times.append((time.perf_counter() - started) * 1000)
                    assert answer.status_code == 200, (path, answer.status_code)
                times.sort()
                results[path] = {
                    "p50_ms": round(statistics.median(times), 1),
                    "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 1),
                    "max_ms": round(times[-1], 1),
                }
                print(f"  {path}: {results[path]}", flush=True)
    finally:
        server.stop()
        container.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--per-document", type=int, default=3)
    parser.add_argument("--agencies", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--reuse", help="time the pages on this kept database URL only")
    args = parser.parse_args()
    configure_logging("WARNING", False)
    if args.reuse:
        pages = time_pages(args.reuse, Path(tempfile.mkdtemp(prefix="lt-bench-")), args.repeat)
        print(json.dumps({"machine": machine(), "pages": pages}, indent=2))
        return
    url, name = fresh_pg_database()
    print(f"database {name}", flush=True)
    try:
        upgrade(url)
        engine = create_engine(url)
        load_all().create_all(engine)
        engine.dispose()
        print("generating...", flush=True)
        timings = generate(url, args.agencies, args.documents, args.per_document)
        print("timing pages...", flush=True)
        pages = time_pages(url, Path(tempfile.mkdtemp(prefix="lt-bench-")), args.repeat)
    finally:
        if not args.keep:
            drop_pg_database(name)
    print(
        json.dumps(
            {
                "machine": machine(),
                "documents": args.documents,
                "recipients_per_document": args.per_document,
                "agencies": args.agencies,
                "generation_seconds": timings,
                "pages": pages,
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
