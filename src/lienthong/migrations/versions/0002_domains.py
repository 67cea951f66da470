"""trust, audit chain, issuance, federation, accounts, clerk and monitoring, reporting, portal

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 04:27:20.949942
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_chain",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_chain")),
        sa.UniqueConstraint("event_id", name=op.f("uq_audit_chain_event_id")),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signature", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_checkpoints")),
    )
    op.create_table(
        "clerk_assignments",
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("recipient_code", sa.String(length=35), nullable=False),
        sa.Column("specialist", sa.String(length=64), nullable=False),
        sa.Column("assigned_by", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("document_id", "recipient_code", name=op.f("pk_clerk_assignments")),
    )
    with op.batch_alter_table("clerk_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_clerk_assignments_specialist"), ["specialist"], unique=False
        )

    op.create_table(
        "clerk_drafts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("agency_code", sa.String(length=35), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("type_name", sa.String(length=128), nullable=False),
        sa.Column("notation", sa.String(length=128), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("signer_position", sa.String(length=255), nullable=False),
        sa.Column("draft_digest", sa.String(length=64), nullable=False),
        sa.Column("signed_digest", sa.String(length=64), nullable=True),
        sa.Column("signed_by", sa.String(length=64), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=True),
        sa.Column("number_notation", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clerk_drafts")),
    )
    with op.batch_alter_table("clerk_drafts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_clerk_drafts_agency_code"), ["agency_code"], unique=False
        )

    op.create_table(
        "federation_cursors",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("cursor", sa.DateTime(timezone=True), nullable=True),
        sa.Column("etag", sa.String(length=80), nullable=True),
        sa.Column("pulled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_federation_cursors")),
    )
    op.create_table(
        "federation_hubs",
        sa.Column("code", sa.String(length=35), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_federation_hubs")),
    )
    with op.batch_alter_table("federation_hubs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_federation_hubs_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "issued_documents",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("agency_code", sa.String(length=35), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("register", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.Boolean(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("code_number", sa.String(length=11), nullable=False),
        sa.Column("notation", sa.String(length=30), nullable=False),
        sa.Column("type_name", sa.String(length=128), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("clerk", sa.String(length=255), nullable=False),
        sa.Column("signer_name", sa.String(length=255), nullable=False),
        sa.Column("signer_position", sa.String(length=255), nullable=False),
        sa.Column("draft_sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("edxml_document_id", sa.String(length=255), nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_documents")),
        sa.UniqueConstraint(
            "agency_code",
            "year",
            "register",
            "secret",
            "number",
            name=op.f("uq_issued_documents_agency_code_year_register_secret_number"),
        ),
        sa.UniqueConstraint("message_id", name=op.f("uq_issued_documents_message_id")),
    )
    with op.batch_alter_table("issued_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_issued_documents_agency_code"), ["agency_code"], unique=False
        )

    op.create_table(
        "login_failures",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index("ix_login_failures_address_at", ["address", "at"], unique=False)
        batch_op.create_index("ix_login_failures_username_at", ["username", "at"], unique=False)

    op.create_table(
        "number_registers",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("agency_code", sa.String(length=35), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("register", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.Boolean(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_number_registers")),
        sa.UniqueConstraint(
            "agency_code",
            "year",
            "register",
            "secret",
            name=op.f("uq_number_registers_agency_code_year_register_secret"),
        ),
    )
    op.create_table(
        "portal_feedback",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tracking_code", sa.String(length=20), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("submitter_name", sa.String(length=255), nullable=False),
        sa.Column("submitter_type", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("procedure_code", sa.String(length=20), nullable=False),
        sa.Column("field_code", sa.String(length=50), nullable=False),
        sa.Column("agency_code", sa.String(length=35), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=True),
        sa.Column("duplicate_of", sa.String(length=20), nullable=True),
        sa.Column("assigned_agency", sa.String(length=35), nullable=True),
        sa.Column("forwarded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_content", sa.Text(), nullable=True),
        sa.Column("published_answer", sa.Text(), nullable=True),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_feedback")),
        sa.UniqueConstraint("tracking_code", name=op.f("uq_portal_feedback_tracking_code")),
    )
    with op.batch_alter_table("portal_feedback", schema=None) as batch_op:
        batch_op.create_index(
            "ix_portal_feedback_source_at", ["source", "submitted_at"], unique=False
        )
        batch_op.create_index(
            "ix_portal_feedback_state", ["state", "assigned_agency"], unique=False
        )

    op.create_table(
        "portal_procedures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("field_code", sa.String(length=50), nullable=False),
        sa.Column("field_name", sa.String(length=255), nullable=False),
        sa.Column("agency_codes", sa.JSON(), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("processing_days", sa.Integer(), nullable=False),
        sa.Column("fees", sa.JSON(), nullable=False),
        sa.Column("online_level", sa.String(length=16), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_procedures")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_portal_procedures_code_version")),
    )
    with op.batch_alter_table("portal_procedures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_procedures_code"), ["code"], unique=False)

    op.create_table(
        "portal_rejections",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("root_code", sa.String(length=35), nullable=False),
        sa.Column("system_agency", sa.String(length=35), nullable=False),
        sa.Column("dossier_code", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_rejections")),
    )
    with op.batch_alter_table("portal_rejections", schema=None) as batch_op:
        batch_op.create_index(
            "ix_portal_rejections_period_root", ["period", "root_code"], unique=False
        )

    op.create_table(
        "portal_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("agency_code", sa.String(length=35), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_portal_sessions")),
    )
    op.create_table(
        "portal_stats",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("agency_code", sa.String(length=35), nullable=False),
        sa.Column("root_code", sa.String(length=35), nullable=False),
        sa.Column("synced", sa.BigInteger(), nullable=False),
        sa.Column("wrong_code", sa.BigInteger(), nullable=False),
        sa.Column("finished", sa.BigInteger(), nullable=False),
        sa.Column("early", sa.BigInteger(), nullable=False),
        sa.Column("on_time", sa.BigInteger(), nullable=False),
        sa.Column("late", sa.BigInteger(), nullable=False),
        sa.Column("channel_1", sa.BigInteger(), nullable=False),
        sa.Column("channel_2", sa.BigInteger(), nullable=False),
        sa.Column("channel_3", sa.BigInteger(), nullable=False),
        sa.Column("lag_seconds", sa.BigInteger(), nullable=False),
        sa.Column("lag_count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("period", "agency_code", name=op.f("pk_portal_stats")),
    )
    with op.batch_alter_table("portal_stats", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_stats_root_code"), ["root_code"], unique=False)

    op.create_table(
        "reporting_aggregates",
        sa.Column("regime", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("flow", sa.String(length=32), nullable=False),
        sa.Column("node", sa.String(length=35), nullable=False),
        sa.Column("source_level", sa.String(length=32), nullable=False),
        sa.Column("cell", sa.String(length=64), nullable=False),
        sa.Column("total", sa.Double(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "regime",
            "period",
            "flow",
            "node",
            "source_level",
            "cell",
            name=op.f("pk_reporting_aggregates"),
        ),
    )
    op.create_table(
        "reporting_ancestors",
        sa.Column("flow", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=35), nullable=False),
        sa.Column("ancestor", sa.String(length=35), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("flow", "code", "ancestor", name=op.f("pk_reporting_ancestors")),
    )
    op.create_table(
        "reporting_closures",
        sa.Column("regime", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("regime", "period", name=op.f("pk_reporting_closures")),
    )
    op.create_table(
        "reporting_notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("regime", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("unit_code", sa.String(length=35), nullable=False),
        sa.Column("recipient", sa.String(length=35), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reporting_notifications")),
        sa.UniqueConstraint(
            "kind",
            "regime",
            "period",
            "unit_code",
            name=op.f("uq_reporting_notifications_kind_regime_period_unit_code"),
        ),
    )
    op.create_table(
        "reporting_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("issuer_code", sa.String(length=35), nullable=False),
        sa.Column("cutoff", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reporting_requests")),
    )
    op.create_table(
        "reporting_status",
        sa.Column("regime", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("unit_code", sa.String(length=35), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("first_submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("regime", "period", "unit_code", name=op.f("pk_reporting_status")),
    )
    op.create_table(
        "reporting_submissions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("regime", sa.String(length=32), nullable=False),
        sa.Column("regime_version", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("unit_code", sa.String(length=35), nullable=False),
        sa.Column("level", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("sections", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("pdf_digest", sa.String(length=64), nullable=True),
        sa.Column("pdf_length", sa.Integer(), nullable=True),
        sa.Column("signed_pdf", sa.LargeBinary(), nullable=True),
        sa.Column("signer", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reporting_submissions")),
        sa.UniqueConstraint(
            "regime",
            "period",
            "unit_code",
            "version",
            name=op.f("uq_reporting_submissions_regime_period_unit_code_version"),
        ),
    )
    with op.batch_alter_table("reporting_submissions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reporting_submissions_state", ["regime", "period", "state"], unique=False
        )

    op.create_table(
        "reporting_targets",
        sa.Column("regime", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=35), nullable=False),
        sa.Column("cell", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint(
            "regime", "year", "unit_code", "cell", name=op.f("pk_reporting_targets")
        ),
    )
    op.create_table(
        "reporting_units",
        sa.Column("flow", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=35), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("level", sa.String(length=32), nullable=False),
        sa.Column("parent_code", sa.String(length=35), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("flow", "code", name=op.f("pk_reporting_units")),
    )
    with op.batch_alter_table("reporting_units", schema=None) as batch_op:
        batch_op.create_index("ix_reporting_units_parent", ["flow", "parent_code"], unique=False)

    op.create_table(
        "revocation_answers",
        sa.Column("cert_key", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("this_update", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_update", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evidence", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("cert_key", name=op.f("pk_revocation_answers")),
    )
    op.create_table(
        "stats_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("agency_code", sa.String(length=35), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("documents", sa.BigInteger(), nullable=False),
        sa.Column("signed", sa.BigInteger(), nullable=False),
        sa.Column("valid", sa.BigInteger(), nullable=False),
        sa.Column("with_attachments", sa.BigInteger(), nullable=False),
        sa.Column("arrived_same_day", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "agency_code", "direction", name=op.f("pk_stats_daily")),
    )
    op.create_table(
        "stats_latency",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status_code", sa.String(length=2), nullable=False),
        sa.Column("bucket", sa.SmallInteger(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "status_code", "bucket", name=op.f("pk_stats_latency")),
    )
    op.create_table(
        "stats_level_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("documents", sa.BigInteger(), nullable=False),
        sa.Column("signed", sa.BigInteger(), nullable=False),
        sa.Column("valid", sa.BigInteger(), nullable=False),
        sa.Column("with_attachments", sa.BigInteger(), nullable=False),
        sa.Column("arrived_same_day", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "level", "direction", name=op.f("pk_stats_level_daily")),
    )
    op.create_table(
        "stats_monthly",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("agency_code", sa.String(length=35), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("documents", sa.BigInteger(), nullable=False),
        sa.Column("signed", sa.BigInteger(), nullable=False),
        sa.Column("valid", sa.BigInteger(), nullable=False),
        sa.Column("with_attachments", sa.BigInteger(), nullable=False),
        sa.Column("arrived_same_day", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("month", "agency_code", "direction", name=op.f("pk_stats_monthly")),
    )
    op.create_table(
        "stats_refusals",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("agency_code", sa.String(length=35), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "agency_code", "code", name=op.f("pk_stats_refusals")),
    )
    op.create_table(
        "stats_watermarks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_stats_watermarks")),
    )
    op.create_table(
        "portal_dossiers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("agency_code", sa.String(length=35), nullable=False),
        sa.Column("root_code", sa.String(length=35), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("procedure_code", sa.String(length=20), nullable=False),
        sa.Column("procedure_version_id", sa.Integer(), nullable=True),
        sa.Column("wrong_code", sa.String(length=16), nullable=True),
        sa.Column("code_format_problem", sa.String(length=100), nullable=True),
        sa.Column("computed_due", sa.Date(), nullable=True),
        sa.Column("declared_due", sa.Date(), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("timeliness", sa.String(length=8), nullable=True),
        sa.Column("channel", sa.SmallInteger(), nullable=False),
        sa.Column("supplement_count", sa.Integer(), nullable=False),
        sa.Column("applicant", sa.String(length=255), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("synced_by", sa.String(length=35), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["procedure_version_id"],
            ["portal_procedures.id"],
            name=op.f("fk_portal_dossiers_procedure_version_id_portal_procedures"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_dossiers")),
        sa.UniqueConstraint("code", name=op.f("uq_portal_dossiers_code")),
    )
    with op.batch_alter_table("portal_dossiers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_portal_dossiers_agency_period", ["agency_code", "period"], unique=False
        )
        batch_op.create_index(
            "ix_portal_dossiers_wrong",
            ["root_code", "id"],
            unique=False,
            postgresql_where=sa.text("wrong_code IS NOT NULL"),
            sqlite_where=sa.text("wrong_code IS NOT NULL"),
        )

    op.create_table(
        "portal_feedback_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "feedback_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("note", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["portal_feedback.id"],
            name=op.f("fk_portal_feedback_events_feedback_id_portal_feedback"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_feedback_events")),
    )
    with op.batch_alter_table("portal_feedback_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_feedback_events_feedback_id"), ["feedback_id"], unique=False
        )

    op.create_table(
        "reporting_request_recipients",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=35), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["reporting_requests.id"],
            name=op.f("fk_reporting_request_recipients_request_id_reporting_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "request_id", "unit_code", name=op.f("pk_reporting_request_recipients")
        ),
    )
    op.create_table(
        "reporting_values",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("cell", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["reporting_submissions.id"],
            name=op.f("fk_reporting_values_submission_id_reporting_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("submission_id", "cell", name=op.f("pk_reporting_values")),
    )
    op.create_table(
        "users",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("agency_code", sa.String(length=35), nullable=False),
        sa.Column("roles", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_code"], ["agencies.code"], name=op.f("fk_users_agency_code_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_agency_code"), ["agency_code"], unique=False)

    op.create_table(
        "federation_message_routes",
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("from_hub", sa.String(length=35), nullable=True),
        sa.Column("hops", sa.JSON(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_federation_message_routes_message_id_messages"),
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_federation_message_routes")),
    )
    op.create_table(
        "federation_outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("next_hop", sa.String(length=35), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_code", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_federation_outbox_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_outbox")),
        sa.UniqueConstraint(
            "message_id", "next_hop", name=op.f("uq_federation_outbox_message_id_next_hop")
        ),
    )
    with op.batch_alter_table("federation_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_federation_outbox_due", ["state", "next_attempt_at", "id"], unique=False
        )

    op.create_table(
        "portal_dossier_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "dossier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("event_key", sa.String(length=120), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=True),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("synced_by", sa.String(length=35), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["portal_dossiers.id"],
            name=op.f("fk_portal_dossier_events_dossier_id_portal_dossiers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_dossier_events")),
        sa.UniqueConstraint(
            "dossier_id", "event_key", name=op.f("uq_portal_dossier_events_dossier_id_event_key")
        ),
    )
    op.create_table(
        "user_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_user_sessions")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_user_sessions_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_user_sessions_user_id"), ["user_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_user_id"))
        batch_op.drop_index(batch_op.f("ix_user_sessions_expires_at"))

    op.drop_table("user_sessions")
    op.drop_table("portal_dossier_events")
    with op.batch_alter_table("federation_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_federation_outbox_due")

    op.drop_table("federation_outbox")
    op.drop_table("federation_message_routes")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_agency_code"))

    op.drop_table("users")
    op.drop_table("reporting_values")
    op.drop_table("reporting_request_recipients")
    with op.batch_alter_table("portal_feedback_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_feedback_events_feedback_id"))

    op.drop_table("portal_feedback_events")
    with op.batch_alter_table("portal_dossiers", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_portal_dossiers_wrong",
            postgresql_where=sa.text("wrong_code IS NOT NULL"),
            sqlite_where=sa.text("wrong_code IS NOT NULL"),
        )
        batch_op.drop_index("ix_portal_dossiers_agency_period")

    op.drop_table("portal_dossiers")
    op.drop_table("stats_watermarks")
    op.drop_table("stats_refusals")
    op.drop_table("stats_monthly")
    op.drop_table("stats_level_daily")
    op.drop_table("stats_latency")
    op.drop_table("stats_daily")
    op.drop_table("revocation_answers")
    with op.batch_alter_table("reporting_units", schema=None) as batch_op:
        batch_op.drop_index("ix_reporting_units_parent")

    op.drop_table("reporting_units")
    op.drop_table("reporting_targets")
    with op.batch_alter_table("reporting_submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_reporting_submissions_state")

    op.drop_table("reporting_submissions")
    op.drop_table("reporting_status")
    op.drop_table("reporting_requests")
    op.drop_table("reporting_notifications")
    op.drop_table("reporting_closures")
    op.drop_table("reporting_ancestors")
    op.drop_table("reporting_aggregates")
    with op.batch_alter_table("portal_stats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_stats_root_code"))

    op.drop_table("portal_stats")
    op.drop_table("portal_sessions")
    with op.batch_alter_table("portal_rejections", schema=None) as batch_op:
        batch_op.drop_index("ix_portal_rejections_period_root")

    op.drop_table("portal_rejections")
    with op.batch_alter_table("portal_procedures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_procedures_code"))

    op.drop_table("portal_procedures")
    with op.batch_alter_table("portal_feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_portal_feedback_state")
        batch_op.drop_index("ix_portal_feedback_source_at")

    op.drop_table("portal_feedback")
    op.drop_table("number_registers")
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failures_username_at")
        batch_op.drop_index("ix_login_failures_address_at")

    op.drop_table("login_failures")
    with op.batch_alter_table("issued_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issued_documents_agency_code"))

    op.drop_table("issued_documents")
    with op.batch_alter_table("federation_hubs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_federation_hubs_updated_at"))

    op.drop_table("federation_hubs")
    op.drop_table("federation_cursors")
    with op.batch_alter_table("clerk_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clerk_drafts_agency_code"))

    op.drop_table("clerk_drafts")
    with op.batch_alter_table("clerk_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clerk_assignments_specialist"))

    op.drop_table("clerk_assignments")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_chain")
