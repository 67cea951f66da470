"""clerk draft replacements

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 04:56:42.409851
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "clerk_draft_replacements",
        sa.Column("draft_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("replaces", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("draft_id", name=op.f("pk_clerk_draft_replacements")),
    )


def downgrade() -> None:

    op.drop_table("clerk_draft_replacements")
