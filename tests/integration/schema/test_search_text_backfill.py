"""Migration 0004 folds the search text of the rows written before it, on both databases."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import MetaData, Table, create_engine, select, text
from sqlalchemy.engine import make_url

from lienthong.migrate import upgrade
from tests.conftest import PG_URL, require_pg

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    require_pg()
    name = f"lt_backfill_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _document(number: str, subject: str | None, type_name: str | None) -> dict[str, object]:
    return {
        "id": uuid.uuid4().hex,
        "sender_code": "000.00.00.G22",
        "edxml_document_id": uuid.uuid4().hex,
        "code_number": number,
        "code_notation": "VPCP-TTĐT",
        "number_key": number,
        "notation_key": "VPCP-TTĐT",
        "year": 2026,
        "subject": subject,
        "type_name": type_name,
        "priority": 0,
        "state": "active",
        "origin_message_id": "m",
        "latest_message_id": "m",
        "signed": False,
        "attachment_count": 0,
        "created_at": NOW,
    }


def test_the_rows_written_before_the_migration_get_their_folded_search_text(
    fresh_url: str,
) -> None:
    upgrade(fresh_url, "0003")
    engine = create_engine(fresh_url)
    try:
        old = MetaData()
        with engine.begin() as conn:
            agencies = Table("agencies", old, autoload_with=conn)
            documents = Table("documents", old, autoload_with=conn)
            conn.execute(
                agencies.insert(),
                [
                    {"code": code, "name": name, "level": 1, "created_at": NOW, "updated_at": NOW}
                    for code, name in (
                        ("000.00.00.G22", "Văn phòng Chính phủ"),
                        ("000.00.00.H41", "UBND tỉnh Nghệ An"),
                    )
                ],
            )
            # More rows than one backfill batch, so that every batch is checked.
            conn.execute(
                documents.insert(),
                [_document("01", "V/v kết nối, liên thông", "Công văn")]
                + [_document(str(n), None, None) for n in range(2, 1203)],
            )
        upgrade(fresh_url)
        new = MetaData()
        with engine.connect() as conn:
            agencies = Table("agencies", new, autoload_with=conn)
            documents = Table("documents", new, autoload_with=conn)
            names = dict(conn.execute(select(agencies.c.code, agencies.c.search_name)).all())
            texts = dict(
                conn.execute(select(documents.c.code_number, documents.c.search_text)).all()
            )
    finally:
        engine.dispose()
    assert names == {"000.00.00.G22": "van phong chinh phu", "000.00.00.H41": "ubnd tinh nghe an"}
    assert texts["01"] == "01/vpcp-ttdt cong van v/v ket noi, lien thong"
    assert texts["1202"] == "1202/vpcp-ttdt"
    assert len(texts) == 1202
