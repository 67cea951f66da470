"""Reporting at national scale on PostgreSQL (Decree 09/2019/NĐ-CP).

12,000 reporting units (the Government Office, 636 ministries and their general departments,
63 provinces, 700 districts, 10,600 communes) and a monthly form of 200 indicators:

1. bulk import of one period's values (12,000 submissions x 200 = 2.4 million values) through
   ``store.bulk_values`` (COPY);
2. one rebuild of the consolidated rows from them (a single ``INSERT ... SELECT ... GROUP BY``
   over the closure table), for the set-up;
3. the time from the acceptance of the last submissions (``ReportingService.accept``, which
   consolidates into every ancestor in the same transaction) to the consolidated national figure
   read back (``ReportingQueries.consolidated``);
4. the timeliness table of every reporting unit (``ReportingQueries.timeliness``).

    python -m benchmarks.reporting_scale
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from benchmarks.common import PG_ADMIN_URL, machine
from lienthong.calendar import WorkingCalendar
from lienthong.clock import VN_TZ, FixedClock
from lienthong.db import Database
from lienthong.reporting import store
from lienthong.reporting.consolidation import ReportingQueries
from lienthong.reporting.model import (
    LevelDeadlines,
    PeriodType,
    WorkingDaysAfterCutoff,
)
from lienthong.reporting.regimes import ContentKind, RegimeCatalogue, RegimeVersion
from lienthong.reporting.rules import Form, Indicator
from lienthong.reporting.service import ReportingService
from lienthong.schema import load_all

GOV = "000.00.00.G22"
PERIOD = "2026-M10"
NOW = datetime(2026, 10, 20, 9, 0, tzinfo=VN_TZ)


def regime(indicators: int) -> RegimeVersion:
    form = Form(
        code="BM-BENCH",
        version=1,
        title="Biểu 200 chỉ tiêu",
        indicators=tuple(
            Indicator(f"I{i:03d}", f"Chỉ tiêu {i}", "đơn vị") for i in range(indicators)
        ),
    )
    types = (PeriodType.MONTH, PeriodType.QUARTER, PeriodType.YEAR)
    return RegimeVersion(
        code="BENCH",
        version=1,
        name="Báo cáo thử tải",
        legal_basis="Nghị định 09/2019/NĐ-CP",
        content_kind=ContentKind.DATA,
        content="Số liệu",
        reporters="Mọi cấp",
        receivers="Cấp trên",
        method="Hệ thống",
        flow="geo",
        levels=(
            LevelDeadlines("commune", {t: WorkingDaysAfterCutoff(1) for t in types}),
            LevelDeadlines("district", {t: WorkingDaysAfterCutoff(2) for t in types}),
            LevelDeadlines("province", {t: WorkingDaysAfterCutoff(3) for t in types}),
            LevelDeadlines("ministry", {t: WorkingDaysAfterCutoff(3) for t in types}),
        ),
        frequencies=types,
        form=form,
        instructions="Nhập và gửi.",
        effective_from=date(2025, 1, 1),
    )


def units(ministries: int, provinces: int, districts: int, communes: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {"code": GOV, "name": "Văn phòng Chính phủ", "level": "government", "parent_code": None}
    ]
    out += [
        {"code": f"M{i:04d}", "name": f"Bộ {i}", "level": "ministry", "parent_code": GOV}
        for i in range(ministries)
    ]
    out += [
        {"code": f"P{i:02d}", "name": f"Tỉnh {i}", "level": "province", "parent_code": GOV}
        for i in range(provinces)
    ]
    out += [
        {
            "code": f"D{i:04d}",
            "name": f"Huyện {i}",
            "level": "district",
            "parent_code": f"P{i % provinces:02d}",
        }
        for i in range(districts)
    ]
    out += [
        {
            "code": f"C{i:05d}",
            "name": f"Xã {i}",
            "level": "commune",
            "parent_code": f"D{i % districts:04d}",
        }
        for i in range(communes)
    ]
    return out


REBUILD = """
INSERT INTO reporting_aggregates (regime, period, flow, node, source_level, cell, total, count)
SELECT s.regime, s.period, a.flow, a.ancestor, s.level, v.cell, sum(v.value), count(*)
FROM reporting_values v
JOIN reporting_submissions s ON s.id = v.submission_id
JOIN reporting_ancestors a ON a.code = s.unit_code AND a.flow = 'geo'
WHERE s.regime = :regime AND s.period = :period AND s.state = 'accepted'
GROUP BY s.regime, s.period, a.flow, a.ancestor, s.level, v.cell
"""


def run(args: argparse.Namespace) -> dict[str, Any]:
    name = f"lt_bench_reporting_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    db = Database.from_url(url, pool_size=4)
    result: dict[str, Any] = {"benchmark": "reporting_scale", "machine": machine()}
    try:
        load_all().create_all(db.engine)
        cal = WorkingCalendar()
        catalogue = RegimeCatalogue(cal)
        reg = regime(args.indicators)
        catalogue.add(reg)
        clock = FixedClock(NOW)
        service = ReportingService(db, clock, cal, catalogue, trust=None)
        queries = ReportingQueries(service)
        tree = units(args.ministries, args.provinces, args.districts, args.communes)
        t = time.perf_counter()
        with db.unit_of_work() as session:
            store.add_units(session, "geo", tree)
        result["units"] = len(tree)
        result["units_load_s"] = round(time.perf_counter() - t, 2)

        reporters = [u for u in tree if u["level"] != "government"]
        late = {u["code"] for u in reporters[-args.accept_last :]}
        submitted_at = datetime(2026, 10, 15, 10, 0, tzinfo=VN_TZ)
        t = time.perf_counter()
        with db.unit_of_work() as session:
            session.execute(
                insert(store.SubmissionRow),
                [
                    {
                        "regime": "BENCH",
                        "regime_version": 1,
                        "period": PERIOD,
                        "unit_code": u["code"],
                        "level": u["level"],
                        "version": 1,
                        "state": "submitted" if u["code"] in late else "accepted",
                        "channel": "api",
                        "sections": "{}",
                        "created_at": submitted_at,
                        "submitted_at": submitted_at,
                    }
                    for u in reporters
                ],
            )
            ids = dict(
                session.execute(
                    text("SELECT unit_code, id FROM reporting_submissions WHERE period = :p"),
                    {"p": PERIOD},
                ).all()
            )
        submissions_s = time.perf_counter() - t
        cells = [ind.code for ind in reg.form.indicators]
        t = time.perf_counter()
        with db.unit_of_work() as session:
            copied = store.bulk_values(
                session,
                (
                    (ids[u["code"]], cell, float(n + k))
                    for n, u in enumerate(reporters)
                    for k, cell in enumerate(cells)
                ),
            )
        values_s = time.perf_counter() - t
        result["bulk_import"] = {
            "submissions": len(reporters),
            "submissions_insert_s": round(submissions_s, 2),
            "values": copied,
            "values_copy_s": round(values_s, 2),
            "values_per_s": round(copied / values_s),
        }
        t = time.perf_counter()
        with db.unit_of_work() as session:
            session.execute(
                insert(store.StatusRow),
                [
                    {
                        "regime": "BENCH",
                        "period": PERIOD,
                        "unit_code": u["code"],
                        "submission_id": ids[u["code"]],
                        "version": 1,
                        "state": "submitted" if u["code"] in late else "accepted",
                        "first_submitted_at": submitted_at,
                        "accepted_at": None if u["code"] in late else submitted_at,
                    }
                    for u in reporters
                ],
            )
            session.execute(text(REBUILD), {"regime": "BENCH", "period": PERIOD})
        result["setup_status_and_rebuild_s"] = round(time.perf_counter() - t, 2)
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
            result["aggregate_rows"] = conn.execute(
                text("SELECT count(*) FROM reporting_aggregates")
            ).scalar_one()

        parents = {u["code"]: u["parent_code"] for u in tree}
        levels = {u["code"]: u["level"] for u in tree}
        latencies: list[float] = []
        for code in sorted(late):
            source = levels[code]
            before = queries.consolidated("BENCH", PERIOD, GOV, source_level=source)["I000"] or 0
            t = time.perf_counter()
            service.accept(parents[code], ids[code], actor="bench")
            after = queries.consolidated("BENCH", PERIOD, GOV, source_level=source)["I000"]
            latencies.append(time.perf_counter() - t)
            assert after is not None and after > before, (before, after)
        result["accept_to_national_figure_ms"] = {
            "accepts": len(latencies),
            "p50": round(statistics.median(latencies) * 1000, 1),
            "max": round(max(latencies) * 1000, 1),
        }

        timings: list[float] = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            rows = queries.timeliness("BENCH", PERIOD)
            summary = ReportingQueries.summary(rows)
            timings.append(time.perf_counter() - t)
        result["timeliness_table_ms"] = {
            "rows": len(rows),
            "p50": round(statistics.median(timings) * 1000, 1),
            "max": round(max(timings) * 1000, 1),
            "summary": summary,
        }
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ministries", type=int, default=636)
    parser.add_argument("--provinces", type=int, default=63)
    parser.add_argument("--districts", type=int, default=700)
    parser.add_argument("--communes", type=int, default=10_600)
    parser.add_argument("--indicators", type=int, default=200)
    parser.add_argument("--accept-last", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=10)
    print(json.dumps(run(parser.parse_args()), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
