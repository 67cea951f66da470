"""initial schema: agencies, exchange, audit

Revision ID: 0001
Revises:
Create Date: 2026-11-22 03:39:17.335196
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "agencies",
        sa.Column("code", sa.String(length=35), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("parent_code", sa.String(length=35), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("hub_code", sa.String(length=35), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("successor_code", sa.String(length=35), nullable=True),
        sa.Column("organization_in_charge", sa.String(length=255), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("telephone", sa.String(length=255), nullable=True),
        sa.Column("fax", sa.String(length=255), nullable=True),
        sa.Column("website", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 4", name=op.f("ck_agencies_level_range")),
        sa.CheckConstraint(
            "valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to",
            name=op.f("ck_agencies_validity_order"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["agencies.code"], name=op.f("fk_agencies_parent_code_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["successor_code"], ["agencies.code"], name=op.f("fk_agencies_successor_code_agencies")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_agencies")),
    )
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agencies_parent_code"), ["parent_code"], unique=False)

    op.create_table(
        "audit_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("sender_code", sa.String(length=35), nullable=False),
        sa.Column("edxml_document_id", sa.String(length=255), nullable=False),
        sa.Column("code_number", sa.String(length=64), nullable=False),
        sa.Column("code_notation", sa.String(length=128), nullable=False),
        sa.Column("number_key", sa.String(length=64), nullable=False),
        sa.Column("notation_key", sa.String(length=128), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("type_name", sa.String(length=128), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("promulgation_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("signer_name", sa.String(length=255), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("origin_message_id", sa.String(length=32), nullable=False),
        sa.Column("latest_message_id", sa.String(length=32), nullable=False),
        sa.Column("replaced_by", sa.String(length=32), nullable=True),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.Column("attachment_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint(
            "sender_code",
            "edxml_document_id",
            name=op.f("uq_documents_sender_code_edxml_document_id"),
        ),
        sa.UniqueConstraint(
            "sender_code",
            "number_key",
            "notation_key",
            "year",
            name=op.f("uq_documents_sender_code_number_key_notation_key_year"),
        ),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_documents_sender_created", ["sender_code", "created_at"], unique=False
        )

    op.create_table(
        "agency_credentials",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agency_code", sa.String(length=35), nullable=False),
        sa.Column("system_id", sa.String(length=35), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("secret_sealed", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_code"],
            ["agencies.code"],
            name=op.f("fk_agency_credentials_agency_code_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_credentials")),
    )
    with op.batch_alter_table("agency_credentials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agency_credentials_agency_code"), ["agency_code"], unique=False
        )
        batch_op.create_index(
            "uq_agency_credentials_active_agency_code",
            ["agency_code"],
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        )
        batch_op.create_index(
            "uq_agency_credentials_active_system_id",
            ["system_id"],
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        )

    op.create_table(
        "document_recipients",
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("recipient_code", sa.String(length=35), nullable=False),
        sa.Column("status", sa.String(length=2), nullable=True),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pending", sa.String(length=8), nullable=True),
        sa.Column("recalled", sa.Boolean(), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_recipients_document_id_documents"),
        ),
        sa.PrimaryKeyConstraint(
            "document_id", "recipient_code", name=op.f("pk_document_recipients")
        ),
    )
    with op.batch_alter_table("document_recipients", schema=None) as batch_op:
        batch_op.create_index("ix_document_recipients_recipient", ["recipient_code"], unique=False)

    op.create_table(
        "messages",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("sender_code", sa.String(length=35), nullable=False),
        sa.Column("package_digest", sa.String(length=64), nullable=False),
        sa.Column("package_size", sa.BigInteger(), nullable=False),
        sa.Column("document_ref", sa.String(length=32), nullable=True),
        sa.Column("bussiness_doc_type", sa.Integer(), nullable=True),
        sa.Column("status_code", sa.String(length=2), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.Column("validation", sa.JSON(), nullable=True),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_ref"], ["documents.id"], name=op.f("fk_messages_document_ref_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint(
            "sender_code", "idempotency_key", name=op.f("uq_messages_sender_code_idempotency_key")
        ),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_messages_document_ref"), ["document_ref"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_messages_sender_code"), ["sender_code"], unique=False)

    op.create_table(
        "status_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("sender_code", sa.String(length=35), nullable=False),
        sa.Column("recipient_code", sa.String(length=35), nullable=False),
        sa.Column("status_code", sa.String(length=2), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("staff", sa.JSON(), nullable=False),
        sa.Column("edxml_timestamp", sa.String(length=32), nullable=True),
        sa.Column("message_id", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_status_events_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_events")),
    )
    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_status_events_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index("ix_status_events_sender", ["sender_code", "id"], unique=False)

    op.create_table(
        "attachments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("content_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("content_type", sa.String(length=255), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_attachments_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_attachments_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attachments_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_attachments_message_id"), ["message_id"], unique=False)

    op.create_table(
        "deliveries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("recipient_code", sa.String(length=35), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("ack_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_deliveries_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_deliveries_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint(
            "message_id", "recipient_code", name=op.f("uq_deliveries_message_id_recipient_code")
        ),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deliveries_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index(
            "ix_deliveries_inbox", ["recipient_code", "state", "id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_inbox")
        batch_op.drop_index(batch_op.f("ix_deliveries_document_id"))

    op.drop_table("deliveries")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_message_id"))
        batch_op.drop_index(batch_op.f("ix_attachments_document_id"))

    op.drop_table("attachments")
    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.drop_index("ix_status_events_sender")
        batch_op.drop_index(batch_op.f("ix_status_events_document_id"))

    op.drop_table("status_events")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_sender_code"))
        batch_op.drop_index(batch_op.f("ix_messages_document_ref"))

    op.drop_table("messages")
    with op.batch_alter_table("document_recipients", schema=None) as batch_op:
        batch_op.drop_index("ix_document_recipients_recipient")

    op.drop_table("document_recipients")
    with op.batch_alter_table("agency_credentials", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_agency_credentials_active_system_id",
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        )
        batch_op.drop_index(
            "uq_agency_credentials_active_agency_code",
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_agency_credentials_agency_code"))

    op.drop_table("agency_credentials")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_sender_created")

    op.drop_table("documents")
    op.drop_table("audit_events")
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agencies_parent_code"))

    op.drop_table("agencies")
