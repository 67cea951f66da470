"""The living demo's documents, replayed through the clerk application and issuance on SQLite
and PostgreSQL: every demo clerk finds an inbox and an outbox, the statuses cover the
lifecycle (01 … 06, 02, recall 13 → 15/16, update, replacement), numbers follow the calendar,
and a second run adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from lienthong.accounts.demo import DEMO_AGENCY_SLUGS, seed_demo_users
from lienthong.accounts.model import ScryptParams
from lienthong.accounts.service import AccountService
from lienthong.agencies.demo import seed_demo
from lienthong.clerk.demo import seed_demo_documents
from lienthong.clerk.store import InboxFilter
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.exchange import store
from lienthong.records.demo import GOV_OFFICE, PLAN, seed_demo_records
from lienthong.records.model import FileState
from lienthong.records.service import records_service
from lienthong.trust.pki import DemoPKI
from tests.support import container_for

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_the_demo_documents_fill_every_clerks_inbox_and_outbox(
    db: Database, tmp_path: Path, demo_pki_dir: Path
) -> None:
    clock = FixedClock(NOW)
    container = container_for(db, tmp_path, clock, pki_dir=demo_pki_dir)
    seed_demo(container.agencies)
    accounts = AccountService(db, clock, scrypt=ScryptParams(n=2**10))
    seed_demo_users(accounts, tmp_path / "users.json")
    clerk = container.clerk
    assert clerk is not None
    clerk.accounts = accounts
    counts = seed_demo_documents(clerk, clock, NOW, count=60, days=45)
    assert clock.now() == NOW
    assert counts["documents"] >= 60  # replacements add their own

    for slug in DEMO_AGENCY_SLUGS:
        user = accounts.get_user(f"vanthu.{slug}")
        inbox = clerk.inbox(user, InboxFilter())
        assert inbox, f"empty inbox of {slug}"
        assert clerk.outbox(user), f"empty outbox of {slug}"

    with db.read() as session:
        codes = set(session.scalars(select(store.StatusEvent.status_code)))
        assert {"01", "02", "03", "05", "06", "13", "15"} <= codes
        kinds = set(session.scalars(select(store.Message.bussiness_doc_type)))
        assert {0, 1, 2, 3} <= kinds  # new, revoke (recall), update, replace
        signed = session.scalar(
            select(func.count()).select_from(store.Message).where(store.Message.signed.is_(False))
        )
        assert signed == 0  # everything the demo sent is signed, statuses included
        times = list(session.scalars(select(store.Document.created_at)))
        assert min(t.replace(tzinfo=UTC) for t in times) < NOW - timedelta(days=40)
        assert max(t.replace(tzinfo=UTC) for t in times) < NOW

    again = seed_demo_documents(clerk, clock, NOW, count=60, days=45)
    assert again == counts

    # The Government Office's work files are filed from those documents (they come last).
    records = records_service(container)
    filed = seed_demo_records(records, NOW)
    assert filed["files"] == len(PLAN) and filed["filed"] >= 10
    assert filed["transferred"] == 1
    files = records.files(GOV_OFFICE)
    states = sorted(f.row.state for f in files)
    assert states.count(FileState.TRANSFERRED) == 1 and FileState.OPEN in states
    assert all(not f.problems() for f in files if f.items), "a demo file lacks metadata"
    assert len(records.accessions(GOV_OFFICE)) == 1
    assert seed_demo_records(records, NOW)["filed"] == 0  # a second run adds nothing


def test_the_demo_pki_starts_long_enough_ago_for_the_replayed_history(demo_pki_dir: Path) -> None:
    pki = DemoPKI.load(demo_pki_dir)
    start = pki.organisations["000.00.00.G22"].certificate.not_valid_before_utc
    assert start <= NOW - timedelta(days=100)
