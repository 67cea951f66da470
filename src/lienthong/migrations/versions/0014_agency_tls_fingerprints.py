"""agency TLS client certificate fingerprints

Revision ID: 0014
Revises: 0010
Create Date: 2026-12-07 17:00:00.000000

An agency may register the SHA-256 fingerprints of its TLS client certificates
(``lienthong agencies add-tls-fingerprint``); when it has any, only those certificates
authenticate it over mutual TLS (issue 18 item 9).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agency_tls_fingerprints",
        sa.Column("agency_code", sa.String(length=35), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_code"],
            ["agencies.code"],
            name=op.f("fk_agency_tls_fingerprints_agency_code_agencies"),
        ),
        sa.PrimaryKeyConstraint(
            "agency_code", "fingerprint", name=op.f("pk_agency_tls_fingerprints")
        ),
    )


def downgrade() -> None:
    op.drop_table("agency_tls_fingerprints")
