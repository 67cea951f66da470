"""agency TLS client certificate fingerprints; LGSP consumer secret overlap

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-07 17:00:00.000000

An agency may register the SHA-256 fingerprints of its TLS client certificates
(``lienthong agencies add-tls-fingerprint``); when it has any, only those certificates
authenticate it over mutual TLS (issue 18 item 9). An LGSP consumer secret rotated with an
overlap keeps the replaced secret's hash until the overlap ends (``lgsp_consumers``
``previous_secret_hash``, ``previous_until``; issue 18 item 10).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
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
    with op.batch_alter_table("lgsp_consumers") as batch:
        batch.add_column(sa.Column("previous_secret_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("previous_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lgsp_consumers") as batch:
        batch.drop_column("previous_until")
        batch.drop_column("previous_secret_hash")
    op.drop_table("agency_tls_fingerprints")
