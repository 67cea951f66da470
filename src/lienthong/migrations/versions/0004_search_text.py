"""folded search text of documents and agency names

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 19:50:00.000000

``documents.search_text`` (number/notation, type, subject) and ``agencies.search_name`` hold
the folded text the clerk's inbox and outbox search (lienthong.text.fold). The rows written
before are folded here, in batches, with the code's own functions: if the folding ever
changes, a later migration folds every row again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lienthong.exchange.model import document_search_text
from lienthong.text import fold

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("search_name", sa.String(length=255), server_default="", nullable=False)
        )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))
    _backfill()


def _backfill() -> None:
    conn = op.get_bind()
    agencies = sa.table("agencies", sa.column("code"), sa.column("name"), sa.column("search_name"))
    documents = sa.table(
        "documents",
        sa.column("id"),
        sa.column("code_number"),
        sa.column("code_notation"),
        sa.column("type_name"),
        sa.column("subject"),
        sa.column("search_text"),
    )
    set_name = (
        agencies.update()
        .where(agencies.c.code == sa.bindparam("key"))
        .values(search_name=sa.bindparam("folded"))
    )
    set_text = (
        documents.update()
        .where(documents.c.id == sa.bindparam("key"))
        .values(search_text=sa.bindparam("folded"))
    )
    # Keyset batches by primary key: a large table is never held in memory at once.
    last = ""
    while rows := conn.execute(
        sa.select(agencies.c.code, agencies.c.name)
        .where(agencies.c.code > last)
        .order_by(agencies.c.code)
        .limit(_BATCH)
    ).all():
        conn.execute(set_name, [{"key": code, "folded": fold(name)} for code, name in rows])
        last = rows[-1][0]
    last = ""
    while found := conn.execute(
        sa.select(
            documents.c.id,
            documents.c.code_number,
            documents.c.code_notation,
            documents.c.type_name,
            documents.c.subject,
        )
        .where(documents.c.id > last)
        .order_by(documents.c.id)
        .limit(_BATCH)
    ).all():
        conn.execute(
            set_text,
            [
                {"key": id_, "folded": document_search_text(number, notation, type_name, subject)}
                for id_, number, notation, type_name, subject in found
            ],
        )
        last = found[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("search_text")
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.drop_column("search_name")
