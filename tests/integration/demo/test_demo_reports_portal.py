"""The living demo's faster domains, replayed through the services on SQLite and PostgreSQL
(what ``make run`` seeds before the documents): Decree 09 reports of the closed monthly and
quarterly periods (signed by the units' heads, some late, some returned and corrected, accepted
ones consolidated up to the national level, the current period left open), about 2,000 portal
dossiers in every status with a real contrast in code quality between units, and 30 feedback
items at every stage, some published; a second run adds nothing."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from typer.testing import CliRunner

from lienthong.agencies.demo import seed_demo
from lienthong.audit.store import AuditEvent
from lienthong.clock import ReplayClock
from lienthong.db import Database
from lienthong.demo import _seeders
from lienthong.portal import feedback_store
from lienthong.portal import store as portal_store
from lienthong.portal.demo_seed import portal_seeders
from lienthong.portal.model import ScopeKind, period_of
from lienthong.portal.service import scope_figures
from lienthong.reporting import store as reporting_store
from lienthong.reporting.demo import REGIME, report_periods
from lienthong.reporting.model import PeriodType, local_day
from lienthong.reporting.wiring import GOVERNMENT_OFFICE
from lienthong.web.container import Container
from tests.support import container_for

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
NGHE_AN, HUNG_BINH = "000.00.00.H41", "000.05.31.H41"


def _run(container: Container, clock: ReplayClock) -> dict[str, dict[str, int]]:
    counts = {}
    for name, _label, seeder, total in _seeders(container, clock, NOW):
        steps: list[int] = []
        counts[name] = seeder(lambda s=steps: s.append(1))
        assert len(steps) <= total, name
        assert clock.now() == NOW, name  # each seeder leaves the clock at the present
    return counts


def _rows(db: Database) -> dict[str, int]:
    tables: dict[str, Any] = {
        "audit": AuditEvent,
        "submissions": reporting_store.SubmissionRow,
        "aggregates": reporting_store.AggregateRow,
        "dossiers": portal_store.DossierRow,
        "dossier_events": portal_store.DossierEventRow,
        "rejections": portal_store.RejectionRow,
        "feedback": feedback_store.FeedbackRow,
        "feedback_events": feedback_store.FeedbackEventRow,
    }
    with db.read() as session:
        return {
            name: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for name, model in tables.items()
        }


def test_the_demo_seeds_reports_dossiers_and_feedback_once(
    db: Database, tmp_path: Path, demo_pki_dir: Path
) -> None:
    clock = ReplayClock(NOW)
    container = container_for(db, tmp_path, clock, pki_dir=demo_pki_dir)
    seed_demo(container.agencies)
    counts = _run(container, clock)
    _check_reports(container, counts["reports"])
    _check_dossiers(container, counts["dossiers"])
    _check_feedback(container, counts["feedback"])

    before = _rows(db)
    assert _run(container, clock) == counts
    assert _rows(db) == before  # nothing added, not even an audit entry
    later = portal_seeders(container, clock, NOW + timedelta(hours=3))
    assert later.dossiers() == counts["dossiers"]  # a run later that day adds no dossier
    assert _rows(db) == before


def _check_reports(container: Container, counts: dict[str, int]) -> None:
    reporting = container.reporting
    assert reporting is not None
    periods = report_periods(reporting, NOW)
    assert {p.type for p in periods} == {PeriodType.MONTH, PeriodType.QUARTER}
    assert len(periods) == counts["periods"] >= 3
    queries = reporting.queries
    with container.db.read() as session:
        returns = Counter(
            (s or "").split("/")[1]
            for s in session.scalars(
                select(AuditEvent.subject).where(AuditEvent.action == "reporting.return")
            )
        )
        signed = list(
            session.execute(
                select(
                    reporting_store.SubmissionRow.signer, reporting_store.SubmissionRow.signed_pdf
                ).where(reporting_store.SubmissionRow.state == "accepted")
            )
        )
    assert signed and all(signer and pdf[:5] == b"%PDF-" for signer, pdf in signed)
    for period in periods:
        rows = queries.timeliness(REGIME, period.code, now=NOW)
        kinds = Counter(r.timeliness.value for r in rows)
        states = Counter(r.state for r in rows)
        assert kinds["late"] >= 1 and kinds["on_time"] >= len(rows) // 2, (period, kinds)
        assert returns[period.code] >= 1, period  # returned, corrected and sent again
        assert states["accepted"] >= len(rows) * 2 // 3, (period, states)
        assert {r.level for r in rows} == {"commune", "province"}
        national = queries.consolidated(REGIME, period.code, GOVERNMENT_OFFICE)
        province = queries.consolidated(REGIME, period.code, NGHE_AN)
        for figures in (national, province):
            assert figures["POP"] and figures["REVENUE"] and figures["POOR_RATE"], period
        assert national["POP"] > province["POP"] * 10  # the provinces' own reports count
    last = queries.timeliness(REGIME, periods[-1].code, now=NOW)
    assert {"missing", "returned"} <= {r.timeliness.value for r in last}
    assert "submitted" in {r.state for r in last}  # waiting in a receiver's inbox
    drilled = queries.consolidated(REGIME, periods[-2].code, HUNG_BINH)
    assert drilled["POP"], "a commune drilled into shows its report"
    # the periods still open (the data window not closed yet) are left to the users
    regime = reporting.service.catalogue.get(REGIME, local_day(NOW))
    assert regime is not None
    open_now = [
        p
        for p in regime.expected_periods(NOW.year)
        if regime.windows.window(p).contains(local_day(NOW))
    ]
    assert open_now
    for period in open_now:
        assert all(r.state is None for r in queries.timeliness(REGIME, period.code, now=NOW))
    # the year's plan of what each centre consolidates, for the progress column
    for node in (NGHE_AN, GOVERNMENT_OFFICE):
        shown = {f.code: f for f in queries.figures(REGIME, periods[-2].code, node)}
        progress = shown["REVENUE"].progress
        assert progress is not None and 40 < progress < 100, (node, progress)
    assert counts["expected"] == sum(
        len(queries.timeliness(REGIME, p.code, now=NOW)) for p in periods
    )
    assert counts["late"] >= len(periods) and counts["returns"] >= len(periods)


def _check_dossiers(container: Container, counts: dict[str, int]) -> None:
    assert 1800 <= counts["dossiers"] <= 2200, counts
    for status in range(1, 11):
        assert counts.get(f"status_{status}", 0) >= 3, (status, counts)
    assert counts["late"] > 50 and counts["early"] + counts["on_time"] > 5 * counts["late"]
    assert 0.05 < counts["wrong_code"] / counts["dossiers"] < 0.25
    assert counts["rejections"] > 0 and counts["supplemented"] > 0
    assert counts["procedures"] >= 10
    portal = portal_seeders(container, ReplayClock(NOW), NOW).portal
    rows = scope_figures(portal, period_of(NOW - timedelta(days=330)), period_of(NOW))
    synced = [r for r in rows if r.synced]
    assert {r.kind for r in synced} == {ScopeKind.PROVINCE, ScopeKind.MINISTRY}
    clean = [r for r in synced if not r.flags]
    flagged = {flag for r in synced for flag in r.flags}
    assert len(clean) >= 3, [(r.code, r.flags) for r in rows]  # not every unit red
    assert {"HIGH_WRONG_RATE", "LOW_VOLUME"} <= flagged
    assert all(r.finished and r.late for r in synced)
    lags = sorted(r.mean_lag_hours or 0 for r in synced)
    assert lags[0] < 24 < lags[-1]  # some systems sync daily, one weekly
    assert any(r.rejected for r in synced)
    # due dates on every dossier the portal can compute them for; lookups answer
    with container.db.read() as session:
        no_due = session.scalar(
            select(func.count())
            .select_from(portal_store.DossierRow)
            .where(portal_store.DossierRow.due.is_(None), portal_store.DossierRow.status != 1)
        )
        code = session.scalar(
            select(portal_store.DossierRow.code).where(portal_store.DossierRow.status == 10)
        )
    assert no_due == 0
    assert code is not None and len(portal.lookup(code).history) >= 3


def _check_feedback(container: Container, counts: dict[str, int]) -> None:
    assert counts["feedback"] == 30
    for state in ("received", "assigned", "in_progress", "answered", "published", "closed"):
        assert counts.get(state, 0) >= 3, (state, counts)
    assert counts["with_answer"] > counts["answered"]  # published ones were answered too
    service = portal_seeders(container, ReplayClock(NOW), NOW).feedback
    published = service.published()
    assert len(published) == counts["published"]
    text = " ".join(f"{p.published_content} {p.published_answer}" for p in published)
    assert "0913 222 333" not in text and "Nguyễn Thị Hồng Hạnh" not in text  # redacted
    assert {r.kind for r in service.reminders()} == {"OVERDUE", "DUE_SOON"}


def test_portal_seed_demo_runs_the_demo_seeders(tmp_path: Path, monkeypatch: Any) -> None:
    """``lienthong portal seed-demo`` (after ``demo seed``) makes the same portal data as
    ``make run``, once."""
    from lienthong.cli import app

    monkeypatch.setenv("LIENTHONG_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LIENTHONG_DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'demo.db'}")
    runner = CliRunner()
    assert runner.invoke(app, ["demo", "seed"]).exit_code == 0
    first = runner.invoke(app, ["portal", "seed-demo"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["portal", "seed-demo"])
    assert again.exit_code == 0, again.output
    line = [x for x in first.output.splitlines() if x.startswith("Demo catalogue")][-1]
    assert line in again.output and "30 feedback items" in line
    dossiers = int(line.split("; ")[1].split()[0])
    assert 1800 <= dossiers <= 2200
    users = json.loads((tmp_path / "var" / "demo-users.json").read_text("utf-8"))
    assert any(u["username"] == "dichvucong" for u in users)
