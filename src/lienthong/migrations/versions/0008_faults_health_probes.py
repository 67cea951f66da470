"""health probes: the row the readiness check rewrites

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 09:00:00.000000

``/readyz`` proves that a write can be committed by rewriting one row of ``health_probes``
(lienthong.health). The row is inserted here so that concurrent first probes only update.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "health_probes",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_by", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_health_probes")),
    )
    op.bulk_insert(
        table,
        [{"name": "readiness", "checked_at": datetime.now(UTC), "checked_by": "migration"}],
    )


def downgrade() -> None:
    op.drop_table("health_probes")
