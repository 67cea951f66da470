"""remote signing: the demo service's requests and SMS outbox, the hub's pending signatures

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 11:00:00.000000

A leader signs through a remote signing service (CSC API v2 style): the service keeps its
signature requests (``remotesign_requests``) and the demo's text messages
(``remotesign_sms``); the hub keeps each draft's signature while it waits for the leader's
approval (``clerk_remote_signatures``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "remotesign_requests",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("credential_id", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("hashes", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("sad_digest", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sad_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remotesign_requests")),
    )
    op.create_index(
        op.f("ix_remotesign_requests_user_id"), "remotesign_requests", ["user_id"], unique=False
    )
    op.create_table(
        "remotesign_sms",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remotesign_sms")),
    )
    op.create_index(op.f("ix_remotesign_sms_user_id"), "remotesign_sms", ["user_id"], unique=False)
    op.create_table(
        "clerk_remote_signatures",
        sa.Column("draft_id", _ID, autoincrement=False, nullable=False),
        sa.Column("agency_code", sa.String(length=35), nullable=False),
        sa.Column("leader", sa.String(length=64), nullable=False),
        sa.Column("credential_id", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("approval_uri", sa.Text(), nullable=False),
        sa.Column("prepared_pdf", sa.LargeBinary(), nullable=False),
        sa.Column("document_digest", sa.String(length=64), nullable=False),
        sa.Column("reserved_start", sa.BigInteger(), nullable=False),
        sa.Column("reserved_end", sa.BigInteger(), nullable=False),
        sa.Column("signed_attrs", sa.LargeBinary(), nullable=False),
        sa.Column("certificates", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("draft_id", name=op.f("pk_clerk_remote_signatures")),
    )


def downgrade() -> None:
    op.drop_table("clerk_remote_signatures")
    op.drop_index(op.f("ix_remotesign_sms_user_id"), table_name="remotesign_sms")
    op.drop_table("remotesign_sms")
    op.drop_index(op.f("ix_remotesign_requests_user_id"), table_name="remotesign_requests")
    op.drop_table("remotesign_requests")
