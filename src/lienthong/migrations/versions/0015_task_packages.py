"""task packages and reminders

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 17:30:00.000000

Tasks between hubs (lienthong.tasks.packages): each step of a task that travelled as a task
package keeps the package's DocumentId (``task_events.package_document_id``, unique: recorded
once). The reminder and escalation outbox of tasks (``task_reminders``, one row per task, kind
and due date).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("task_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("package_document_id", sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_task_events_package_document_id"), ["package_document_id"]
        )
    op.create_table(
        "task_reminders",
        sa.Column("id", _ID, nullable=False),
        sa.Column("task_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("queued_on", sa.Date(), nullable=False),
        sa.Column("recipient_code", sa.String(length=35), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_reminders_task_id_tasks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_reminders")),
        sa.UniqueConstraint(
            "task_id", "kind", "due_on", name=op.f("uq_task_reminders_task_id_kind_due_on")
        ),
    )
    with op.batch_alter_table("task_reminders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_reminders_task_id"), ["task_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_reminders_sent_at"), ["sent_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("task_reminders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_reminders_sent_at"))
        batch_op.drop_index(batch_op.f("ix_task_reminders_task_id"))
    op.drop_table("task_reminders")
    with op.batch_alter_table("task_events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_task_events_package_document_id"), type_="unique")
        batch_op.drop_column("package_document_id")
