"""audit ledger: the queue of committed events waiting for their leaf index

Revision ID: 0002_ledger_queue
Revises: 0001_ledger
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_ledger_queue"
down_revision = "0001_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_queue",
        sa.Column("queue_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True,
                  nullable=False),
        sa.Column("event_type", sa.String(length=120), nullable=False),
        sa.Column("recorded_at", sa.String(length=32), nullable=False),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("queue_id", name=op.f("pk_ledger_queue")),
    )


def downgrade() -> None:
    op.drop_table("ledger_queue")
