"""reporting regimes stored and versioned, and the shared indicator catalogue

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 17:00:00.000000

An issuing body defines its reporting regimes as data (issue 20): ``reporting_regimes`` (code,
name, issuing agency, legal basis, status), ``reporting_regime_versions`` (each version's
effective date, state and whole definition as a JSON document) and ``reporting_indicators``
(the indicator catalogue regimes share).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reporting_regimes",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("issuer_code", sa.String(length=35), nullable=False),
        sa.Column("legal_basis", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("retired_on", sa.Date(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_reporting_regimes")),
    )
    op.create_index(
        op.f("ix_reporting_regimes_issuer_code"),
        "reporting_regimes",
        ["issuer_code"],
        unique=False,
    )
    op.create_table(
        "reporting_regime_versions",
        sa.Column("regime", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["regime"],
            ["reporting_regimes.code"],
            name=op.f("fk_reporting_regime_versions_regime_reporting_regimes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("regime", "version", name=op.f("pk_reporting_regime_versions")),
    )
    op.create_table(
        "reporting_indicators",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("aggregation", sa.String(length=16), nullable=False),
        sa.Column("disaggregations", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_reporting_indicators")),
    )


def downgrade() -> None:
    op.drop_table("reporting_indicators")
    op.drop_table("reporting_regime_versions")
    op.drop_index(op.f("ix_reporting_regimes_issuer_code"), table_name="reporting_regimes")
    op.drop_table("reporting_regimes")
