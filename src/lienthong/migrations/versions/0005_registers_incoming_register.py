"""the register of incoming documents and processing deadlines

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 09:00:00.000000

``clerk_registrations`` holds each received document a clerk registered (sổ văn bản đến,
Decree 30/2020 Appendix IV): its arrival number, one annual sequence per agency, and the
agency's internal processing deadline. ``clerk_drafts.due_date`` is the deadline the sender
asks of its recipients (edXML DueDate), carried from composing to issuance.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clerk_registrations",
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("recipient_code", sa.String(length=35), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("arrival_number", sa.Integer(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_by", sa.String(length=64), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint(
            "document_id", "recipient_code", name=op.f("pk_clerk_registrations")
        ),
        sa.UniqueConstraint(
            "recipient_code",
            "year",
            "arrival_number",
            name=op.f("uq_clerk_registrations_recipient_code_year_arrival_number"),
        ),
    )
    with op.batch_alter_table("clerk_drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clerk_drafts", schema=None) as batch_op:
        batch_op.drop_column("due_date")
    op.drop_table("clerk_registrations")
