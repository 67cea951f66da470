"""lgsp credentials

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 03:29:45.166662

The provincial platform API (LGSP style, lienthong.lgsp): connected systems' consumer
credentials, their access tokens and the units connected through this style (hashes only).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lgsp_consumers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("consumer_key", sa.String(length=64), nullable=False),
        sa.Column("agency_code", sa.String(length=35), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_code"], ["agencies.code"], name=op.f("fk_lgsp_consumers_agency_code_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lgsp_consumers")),
        sa.UniqueConstraint("consumer_key", name=op.f("uq_lgsp_consumers_consumer_key")),
    )
    with op.batch_alter_table("lgsp_consumers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lgsp_consumers_agency_code"), ["agency_code"], unique=False
        )

    op.create_table(
        "lgsp_units",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agency_code", sa.String(length=35), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("registered_by", sa.String(length=35), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_code"], ["agencies.code"], name=op.f("fk_lgsp_units_agency_code_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lgsp_units")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_lgsp_units_secret_hash")),
    )
    with op.batch_alter_table("lgsp_units", schema=None) as batch_op:
        batch_op.create_index(
            "uq_lgsp_units_connected_agency_code",
            ["agency_code"],
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        )

    op.create_table(
        "lgsp_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("consumer_id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_id"],
            ["lgsp_consumers.id"],
            name=op.f("fk_lgsp_tokens_consumer_id_lgsp_consumers"),
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_lgsp_tokens")),
    )
    with op.batch_alter_table("lgsp_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lgsp_tokens_consumer_id"), ["consumer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("lgsp_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lgsp_tokens_consumer_id"))

    op.drop_table("lgsp_tokens")
    with op.batch_alter_table("lgsp_units", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_lgsp_units_connected_agency_code",
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        )

    op.drop_table("lgsp_units")
    with op.batch_alter_table("lgsp_consumers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lgsp_consumers_agency_code"))

    op.drop_table("lgsp_consumers")
