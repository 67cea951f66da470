"""The routing directory: the national hub serves what changed (with an ETag), a pulling hub
applies it to its own registry, translating "served by me" into ``hub_code = None``."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from lienthong.agencies.model import Level, NewAgency
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.trust.pki import DemoPKI
from lienthong.web.container import Container
from tests.conftest import sqlite_copy
from tests.integration.federation.conftest import hub_files
from tests.support import NOW, container_for

NATIONAL, HUB_A, HUB_M = "HUB.QG", "HUB.A", "HUB.M"


def hub(db: Database, tmp: Path, pki: DemoPKI, code: str, clock: FixedClock) -> Container:
    return container_for(
        db,
        tmp,
        clock,
        hub_id=code,
        national_hub_id=NATIONAL,
        national_hub_url=None if code == NATIONAL else "http://127.0.0.1:1",
        trust_policy="off",
        **hub_files(pki, code),
    )


def test_a_pulling_hub_copies_the_directory_and_follows_its_changes(
    sqlite_template: Path, tmp_path: Path, hub_pki: DemoPKI
) -> None:
    clock = FixedClock(NOW)
    (tmp_path / "n").mkdir()
    (tmp_path / "a").mkdir()
    n_db, a_db = (
        sqlite_copy(sqlite_template, tmp_path / "n"),
        sqlite_copy(sqlite_template, tmp_path / "a"),
    )
    try:
        national = hub(n_db, tmp_path / "n", hub_pki, NATIONAL, clock)
        a = hub(a_db, tmp_path / "a", hub_pki, HUB_A, clock)
        assert national.federation is not None and a.federation is not None
        national.agencies.register_all(
            [
                NewAgency(code="000.00.00.G22", name="Văn phòng Chính phủ", level=Level.ONE),
                NewAgency(
                    code="000.00.00.H41", name="UBND tỉnh Nghệ An", level=Level.ONE, hub_code=HUB_A
                ),
                NewAgency(
                    code="000.00.38.H41",
                    name="UBND huyện Nghi Lộc",
                    level=Level.TWO,
                    parent_code="000.00.00.H41",
                    hub_code=HUB_A,
                ),
                NewAgency(
                    code="000.00.00.G15",
                    name="Bộ Khoa học và Công nghệ",
                    level=Level.ONE,
                    hub_code=HUB_M,
                ),
            ]
        )
        national.federation.save_hub(
            code=HUB_A,
            name="Tỉnh A",
            role="province",
            url="http://a",
            certificate_pem=hub_pki.hub(HUB_A).cert_pem.decode(),
        )
        clock.advance(timedelta(minutes=5))
        etag, page = national.federation.directory(None)
        assert page is not None and len(page["agencies"]) == 4 and len(page["hubs"]) == 1
        assert national.federation.directory(None, etag) == (etag, None)  # not modified
        a.federation.apply_directory(page, etag)
        assert a.agencies.get("000.00.38.H41").hub_code is None  # served by hub A itself
        assert a.agencies.get("000.00.38.H41").parent_code == "000.00.00.H41"
        assert a.agencies.get("000.00.00.G22").hub_code == NATIONAL
        assert a.agencies.get("000.00.00.G15").hub_code == HUB_M
        assert [h["code"] for h in a.federation.hubs()] == [HUB_A]
        # A change at the national hub: the Ministry's agency merges, Nghi Lộc moves hub.
        clock.advance(timedelta(minutes=5))
        national.agencies.update("000.00.38.H41", hub_code=HUB_M)
        national.agencies.update("000.00.00.G15", valid_to=date(2026, 12, 31))
        cursor, stored_etag = a.federation.directory_cursor()
        assert stored_etag == etag and cursor is not None
        new_etag, changes = national.federation.directory(cursor, stored_etag)
        assert changes is not None and new_etag != etag
        assert {e["code"] for e in changes["agencies"]} == {"000.00.38.H41", "000.00.00.G15"}
        assert a.federation.apply_directory(changes, new_etag) == 2
        assert a.agencies.get("000.00.38.H41").hub_code == HUB_M
        assert a.agencies.get("000.00.00.G15").valid_to == date(2026, 12, 31)
        # Applying the same page again changes nothing (the pull window overlaps).
        assert a.federation.apply_directory(changes, new_etag) == 0
    finally:
        n_db.dispose()
        a_db.dispose()
