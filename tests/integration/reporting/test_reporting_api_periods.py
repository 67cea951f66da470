"""``GET /api/v1/reporting/periods`` and the cumulative / same-period-last-year columns of
``GET /api/v1/reporting/figures`` over real HTTP, on SQLite and PostgreSQL (issue 20)."""

from __future__ import annotations

from tests.integration.reporting.test_reporting_channels_cycle import (
    COMMUNE_A,
    PERIOD,
    SECTIONS,
    Hub,
    figures,
    hub,
    ok,
    pki,
)
from tests.support import GOV_OFFICE, NGHE_AN

__all__ = ["hub", "pki"]  # the fixtures, used by name


def test_periods_answers_the_periods_containing_a_date_and_those_due(hub: Hub) -> None:
    with hub.api(COMMUNE_A) as api:
        got = ok(api.get("/periods", params={"regime": "KTXH", "date": "2025-12-20"}))
        assert got["date"] == "2025-12-20" and got["level"] == "commune"
        assert [p["period"] for p in got["containing"]] == ["2026-M01", "2026-Q1", "2026-Y"]
        january = got["containing"][0]
        assert january["window"] == {"start": "2025-12-15", "end": "2026-01-14"}
        assert january["iso"] == "2025-12-15/P1M" and january["replaced"] is False
        assert set(january["deadlines"]) == {"commune", "province"}
        assert "2026-M01" in [p["period"] for p in got["due"]]

        march = ok(api.get("/periods", params={"regime": "KTXH", "date": "2026-03-01"}))
        assert march["containing"][0] == {**march["containing"][0], "period": "2026-M03"}
        assert march["containing"][0]["replaced"] is True
        assert "2026-M03" not in [p["period"] for p in march["due"]]

        # without a date: today in Vietnam (the hub's clock: 15 Apr 2026)
        today = ok(api.get("/periods", params={"regime": "KTXH"}))
        assert today["date"] == "2026-04-15"
        assert today["containing"][0]["period"] == "2026-M05"

        unknown = api.get("/periods", params={"regime": "NOPE", "date": "2026-01-01"})
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "REGIME_UNKNOWN"
        bad = api.get("/periods", params={"regime": "KTXH", "date": "20-12-2025"})
        assert bad.status_code == 400
        assert bad.json()["error"]["code"] == "REQUEST_INVALID"


def test_figures_give_the_period_cumulative_and_last_year_side_by_side(hub: Hub) -> None:
    values = figures(1)
    with hub.api(COMMUNE_A) as commune, hub.api(NGHE_AN) as province:
        saved = ok(commune.put(f"/KTXH/{PERIOD}", json={"values": values, "sections": SECTIONS}))
        ok(commune.post(f"/submissions/{saved['id']}/submit"))
        ok(province.post(f"/submissions/{saved['id']}/accept"))
        got = ok(province.get("/figures", params={"regime": "KTXH", "period": PERIOD}))
        assert got["node"] == NGHE_AN and got["period"] == PERIOD
        assert got["figures"]["POP"] == values["POP"]
        rows = {r["code"]: r for r in got["indicators"]}
        pop = rows["POP"]
        assert pop["reported"] == "period"
        assert pop["period"] == values["POP"] and pop["cumulative"] == values["POP"]
        assert pop["last_year"] == {"period": None, "cumulative": None}
        assert rows["REVENUE"]["reported"] == "cumulative"
        assert rows["REVENUE"]["cumulative"] == values["REVENUE"]
    with hub.api(GOV_OFFICE) as gov:
        national = ok(gov.get("/figures", params={"regime": "KTXH", "period": PERIOD}))
        assert {r["code"]: r for r in national["indicators"]}["POP"]["period"] == values["POP"]
