"""An ADX import of 100,000 values (issue 20: >= 50,000 values/s): a regime whose form has
``--indicators`` indicators disaggregated into ``--options`` options (10,000 x (1 + 9) =
100,000 cells), one commune's report of one month written as ADX, then timed in process:

- ``parse_validate``: streaming parse (``adx.parse_adx``), reading into the form's cells
  (``exchange.cells_of``: data set, period, indicators, duplicates, numbers) and the form's
  validation (``rules.validate``, as the web form) - what an import checks before it stores;
- ``import``: the whole import (``ReportingService.import_figures`` after the parse: the same
  checks, the units against the tree, the draft and its 100,000 value rows written), on a
  SQLite file or PostgreSQL (``--db``); ``reimport``: the same file again (the draft's 100,000
  rows deleted and written anew);
- ``export``: writing the same report as ADX and as DHIS2 dataValueSets JSON.

    python -m benchmarks.reporting_adx --db sqlite
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.common import drop_pg_database, fresh_pg_database, machine
from lienthong.calendar import WorkingCalendar
from lienthong.clock import VN_TZ, FixedClock
from lienthong.db import Database
from lienthong.reporting.adx import parse_adx, write_adx
from lienthong.reporting.dhis2 import write_data_value_sets
from lienthong.reporting.exchange import Outgoing, cells_of
from lienthong.reporting.model import Period
from lienthong.reporting.regimes import (
    ContentKind,
    RegimeCatalogue,
    RegimeVersion,
    demo_regime,
)
from lienthong.reporting.rules import Disaggregation, Form, Indicator, ReportContent, validate
from lienthong.reporting.service import ReportingService, UnitSpec
from lienthong.schema import load_all

PERIOD = "2026-M04"
NOW = datetime(2026, 4, 15, 9, 0, tzinfo=VN_TZ)
GOV, PROVINCE, COMMUNE = "000.00.00.G22", "000.00.00.H41", "000.11.38.H41"


def big_regime(indicators: int, options: int) -> RegimeVersion:
    codes = tuple((f"O{j}", f"Nhóm {j}") for j in range(options))
    form = Form(
        code="BM-ADX",
        version=1,
        title="Biểu thử tải ADX",
        indicators=tuple(
            Indicator(f"I{i:05d}", f"Chỉ tiêu {i}", "đơn vị") for i in range(indicators)
        ),
        disaggregation=Disaggregation("NHOM", "Nhóm", codes) if options else None,
        disaggregated=frozenset(f"I{i:05d}" for i in range(indicators)),
    )
    return dataclasses.replace(
        demo_regime(), code="ADXBENCH", content_kind=ContentKind.DATA, form=form
    )


def values_of(regime: RegimeVersion) -> dict[str, float]:
    """Figures that pass the form: each total is the sum of its options."""
    out: dict[str, float] = {}
    form = regime.form
    for n, ind in enumerate(form.indicators):
        cells = form.cells_of(ind)
        parts = [float((n + k) % 97) for k in range(len(cells) - 1)]
        out[ind.code] = sum(parts) if parts else float(n % 97)
        out.update(zip(cells[1:], parts, strict=True))
    return out


def timed(call: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = call()
        best.append(time.perf_counter() - t)
    return statistics.median(best), result


def run(args: argparse.Namespace) -> dict[str, Any]:
    regime = big_regime(args.indicators, args.options)
    period = Period.parse(PERIOD)
    values = values_of(regime)
    count = len(values)
    out = Outgoing(regime.code, COMMUNE, period, values)
    result: dict[str, Any] = {
        "benchmark": "reporting_adx",
        "machine": machine(),
        "values": count,
        "db": args.db,
    }

    export_s, data = timed(lambda: write_adx(regime.form, [out], exported=NOW), args.repeat)
    json_s, _doc = timed(lambda: json.dumps(write_data_value_sets(regime.form, [out])), args.repeat)
    result["adx_bytes"] = len(data)
    result["export_adx_s"] = round(export_s, 3)
    result["export_dhis2_s"] = round(json_s, 3)

    def parse_validate() -> dict[str, float]:
        groups = parse_adx(io.BytesIO(data))
        incoming = cells_of(groups, regime, period)
        problems = validate(regime.form, ReportContent(incoming.values), require_complete=False)
        assert not problems, problems[:3]
        return incoming.values

    parse_s, got = timed(lambda: parse_adx(io.BytesIO(data)), args.repeat)
    check_s, got = timed(parse_validate, args.repeat)
    assert got == values
    result["parse_s"] = round(parse_s, 3)
    result["parse_validate_s"] = round(check_s, 3)
    result["parse_validate_values_per_s"] = round(count / check_s)

    with tempfile.TemporaryDirectory() as tmp:
        pg_name = None
        if args.db == "postgres":
            url, pg_name = fresh_pg_database()
        else:
            url = f"sqlite:///{Path(tmp) / 'adx.db'}"
        db = Database.from_url(url)
        try:
            load_all().create_all(db.engine)
            cal = WorkingCalendar()
            catalogue = RegimeCatalogue(cal)
            catalogue.add(regime)
            service = ReportingService(db, FixedClock(NOW), cal, catalogue, trust=None)
            service.add_units(
                "geo",
                [
                    UnitSpec(GOV, "Văn phòng Chính phủ", "government"),
                    UnitSpec(PROVINCE, "UBND tỉnh Nghệ An", "province", GOV),
                    UnitSpec(COMMUNE, "UBND xã Nghi Phong", "commune", PROVINCE),
                ],
            )

            def whole() -> int:
                groups = parse_adx(io.BytesIO(data))
                saved = service.import_figures(
                    COMMUNE, regime.code, PERIOD, groups, channel="adx", actor=COMMUNE
                )
                return len(saved.values)

            first_s, stored = timed(whole, 1)  # a new draft
            assert stored == count
            result["import_s"] = round(first_s, 3)
            result["import_values_per_s"] = round(count / first_s)
            again_s, stored = timed(whole, args.repeat)  # each run replaces the draft's values
            assert stored == count
            result["reimport_s"] = round(again_s, 3)
            result["reimport_values_per_s"] = round(count / again_s)
        finally:
            db.dispose()
            if pg_name:
                drop_pg_database(pg_name)
    result["goal_values_per_s"] = 50_000
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--indicators", type=int, default=10_000)
    parser.add_argument("--options", type=int, default=9)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=3)
    print(json.dumps(run(parser.parse_args()), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
