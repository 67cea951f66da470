"""Clerks issuing at the same moment, each in its own thread, session and connection."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from lienthong.exchange import store as hub_store
from lienthong.issuance import store
from lienthong.issuance.model import RegisterKey
from lienthong.issuance.service import IssuedDocument
from lienthong.trust.pdf import sign_pdf
from tests.integration.issuance.conftest import Desk, Parties
from tests.support import GOV_OFFICE, NGHE_AN, NOW
from tests.support_pdf import draft_pdf

CLERKS = 3
EACH = 2


def test_clerks_issuing_at_once_never_share_a_number_and_leave_no_gap(
    desk: Desk, parties: Parties
) -> None:
    drafts = [
        sign_pdf(
            draft_pdf(text=f"Cong van {i}"),
            parties.leaders[GOV_OFFICE],
            at=NOW - timedelta(minutes=1),
        )
        for i in range(CLERKS * EACH)
    ]
    start = threading.Barrier(CLERKS)
    issued: list[IssuedDocument] = []
    errors: list[BaseException] = []

    def clerk(index: int) -> None:
        start.wait()
        try:
            for turn in range(EACH):
                issued.append(
                    desk.issuance.issue(
                        GOV_OFFICE,
                        drafts[index * EACH + turn],
                        notation=f"VPCP-V{index}",
                        type_name="Công văn",
                        subject=f"Văn bản của văn thư {index}, lượt {turn}",
                        recipients=[NGHE_AN],
                        signer_position="Bộ trưởng, Chủ nhiệm",
                        clerk=f"vanthu{index}",
                    )
                )
        except BaseException as exc:  # reported below, with the numbers obtained
            errors.append(exc)

    threads = [threading.Thread(target=clerk, args=(i,)) for i in range(CLERKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    numbers = sorted(doc.number for doc in issued)
    assert numbers == list(range(1, CLERKS * EACH + 1))
    with desk.container.db.read() as session:
        ledger = [r.number for r in store.issued_in(session, RegisterKey(GOV_OFFICE, 2026))]
        register = store.find_register(session, RegisterKey(GOV_OFFICE, 2026))
        last = register.last_number if register is not None else None
        documents = session.scalar(select(func.count()).select_from(hub_store.Document))
    assert ledger == numbers
    assert last == CLERKS * EACH
    assert documents == CLERKS * EACH
