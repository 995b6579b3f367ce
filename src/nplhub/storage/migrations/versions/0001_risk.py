"""risk: classification runs and per-loan results

Revision ID: 0001_risk
Revises: 0001_datahub
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_risk"
down_revision = "0001_datahub"
branch_labels = ("risk",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_runs",
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("snapshot_id", sa.String(length=120), nullable=False),
        sa.Column("ruleset_name", sa.String(length=80), nullable=False),
        sa.Column("ruleset_version", sa.String(length=40), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loans", sa.Integer(), nullable=False),
        sa.Column("downgraded", sa.Integer(), nullable=False),
        sa.Column("hidden_npl_amount", sa.Numeric(18, 2), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_risk_runs")),
    )
    op.create_index("ix_risk_runs_snapshot", "risk_runs", ["snapshot_id", "created_at"])
    op.create_table(
        "risk_loan_results",
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("loan_id", sa.String(length=64), nullable=False),
        sa.Column("reported_class", sa.String(length=20), nullable=False),
        sa.Column("derived_class", sa.String(length=20), nullable=False),
        sa.Column("outstanding_principal", sa.Numeric(18, 2), nullable=False),
        sa.Column("reason_codes", sa.Text(), nullable=False),
        sa.Column("hidden_flags", sa.Text(), nullable=False),
        sa.Column("hidden_npl", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["risk_runs.run_id"], name=op.f("fk_risk_loan_results_run_id_risk_runs"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "loan_id", name=op.f("pk_risk_loan_results")),
    )


def downgrade() -> None:
    op.drop_table("risk_loan_results")
    op.drop_index("ix_risk_runs_snapshot", table_name="risk_runs")
    op.drop_table("risk_runs")
