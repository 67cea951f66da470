"""Issue 20 (first part) on SQLite and PostgreSQL: periods due in late December, replaced months
never missing, the pages' current period in Vietnam's date, figures at every level (provinces
straight to the Government, mixed trees) with their cumulative (lũy kế) and last-year figures."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from lienthong.clock import VN_TZ
from lienthong.reporting.consolidation import Figure
from lienthong.reporting.dues import dues_of
from lienthong.reporting.model import DayOfLastMonth, LevelDeadlines, PeriodType
from lienthong.reporting.pages import _current_period
from lienthong.reporting.regimes import demo_regime
from tests.integration.reporting.conftest import (
    COMMUNES,
    GOV,
    OTHER_COMMUNE,
    OTHER_PROVINCE,
    PROVINCE,
    Network,
)
from tests.integration.reporting.test_reporting_cycle import content, figures


def send(net: Network, regime: str, period: str, unit: str, seed: int, receiver: str) -> None:
    saved = net.service.save(unit, regime, period, content(seed), channel="api", actor=unit)
    net.service.sign_and_submit(unit, saved.id, actor=unit)
    net.service.accept(receiver, saved.id, actor="officer")


def by_code(net: Network, regime: str, period: str, node: str) -> dict[str, Figure]:
    return {f.code: f for f in net.queries.figures(regime, period, node)}


def test_between_15_and_31_december_the_new_years_periods_are_due(network: Network) -> None:
    net = network
    net.clock.set(datetime(2026, 12, 20, 9, 0, tzinfo=VN_TZ))
    (commune,) = dues_of(net.service, COMMUNES[0])
    due = [d.period for d in commune.dues]
    assert "2027-M01" in due and "2027-Q1" in due and "2027-Y" in due
    assert "2026-M12" not in due  # replaced by the annual report
    # and a commune may already save a draft of January 2027
    saved = net.service.save(
        COMMUNES[0], "KTXH", "2027-M01", content(1), channel="api", actor=COMMUNES[0]
    )
    assert saved.period == "2027-M01"


def test_a_replaced_month_counts_nobody_as_missing(network: Network) -> None:
    """March 2026 is replaced by Q1: on 15 Apr its deadlines are past, yet no unit owes it."""
    net = network
    rows = net.queries.timeliness("KTXH", "2026-M03")
    assert rows == []
    assert net.queries.summary(rows)["expected"] == 0
    assert net.queries.summary(rows).get("missing", 0) == 0
    # Q1, which replaces it, is owed
    assert net.queries.timeliness("KTXH", "2026-Q1")


def test_the_pages_current_period_is_vietnams_date(network: Network) -> None:
    """At 01:00 on 15 Apr in Vietnam (still 14 Apr in UTC) April's window has ended: the
    centre opens on April, not on Q1 (the last period ended by the UTC date)."""
    net = network
    net.clock.set(datetime(2026, 4, 14, 18, 0, tzinfo=UTC))
    holder: Any = SimpleNamespace(service=net.service)  # _current_period reads .service only
    assert _current_period(holder, "KTXH") == "2026-M04"


def test_provinces_reporting_straight_to_the_government(network: Network) -> None:
    """A regime whose only level is the province: the national figure is the provinces'
    accepted reports (no commune level to read from)."""
    net = network
    pts = (PeriodType.MONTH, PeriodType.QUARTER, PeriodType.YEAR)
    direct = dataclasses.replace(
        demo_regime(),
        code="KTXH-T",
        levels=(LevelDeadlines("province", {pt: DayOfLastMonth(25) for pt in pts}),),
    )
    net.service.catalogue.add(direct)
    send(net, "KTXH-T", "2026-M04", PROVINCE, 3, GOV)
    send(net, "KTXH-T", "2026-M04", OTHER_PROVINCE, 4, GOV)
    got = by_code(net, "KTXH-T", "2026-M04", GOV)
    assert got["POP"].value == pytest.approx(figures(3)["POP"] + figures(4)["POP"])
    api = net.queries.consolidated("KTXH-T", "2026-M04", GOV)
    assert api["POP"] == pytest.approx(figures(3)["POP"] + figures(4)["POP"])
    assert net.queries.timeliness("KTXH-T", "2026-M04")[0].level == "province"


def test_a_mixed_tree_and_cumulative_figures_at_every_level(network: Network) -> None:
    """Nghệ An's communes report (Q1 and April), Cao Bằng reports to the Government itself:
    the national April figure adds both; lũy kế adds Q1 and April for a summed indicator, and
    REVENUE (reported cumulatively) gives April's own figure as the difference with Q1."""
    net = network
    send(net, "KTXH", "2026-Q1", COMMUNES[0], 1, PROVINCE)
    send(net, "KTXH", "2026-M04", COMMUNES[0], 2, PROVINCE)
    send(net, "KTXH", "2026-Q1", OTHER_PROVINCE, 5, GOV)
    send(net, "KTXH", "2026-M04", OTHER_PROVINCE, 6, GOV)
    province = by_code(net, "KTXH", "2026-M04", PROVINCE)
    pop, revenue = province["POP"], province["REVENUE"]
    assert pop.value == figures(2)["POP"]
    assert pop.cumulative == figures(1)["POP"] + figures(2)["POP"]
    assert revenue.reported == "cumulative"
    assert revenue.cumulative == pytest.approx(figures(2)["REVENUE"])
    assert revenue.value == pytest.approx(figures(2)["REVENUE"] - figures(1)["REVENUE"])
    assert pop.last_year is None and pop.last_year_cumulative is None
    national = by_code(net, "KTXH", "2026-M04", GOV)
    assert national["POP"].value == figures(2)["POP"] + figures(6)["POP"]
    assert national["POP"].cumulative == sum(figures(s)["POP"] for s in (1, 2, 5, 6))
    # a commune that never reported has no figure, and the other province's commune neither
    assert by_code(net, "KTXH", "2026-M04", OTHER_COMMUNE)["POP"].value is None
