"""valuation: runs, per-loan per-route values, recovery-model fits

Revision ID: 0001_valuation
Revises: 0001_datahub
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_valuation"
down_revision = "0001_datahub"
branch_labels = ("valuation",)
depends_on = None


def _money() -> sa.Numeric:
    return sa.Numeric(18, 2, asdecimal=True)


def _rate() -> sa.Numeric:
    return sa.Numeric(12, 8, asdecimal=True)


def upgrade() -> None:
    op.create_table(
        "valuation_runs",
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("snapshot_id", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assumption_name", sa.String(length=80), nullable=False),
        sa.Column("assumption_version", sa.String(length=80), nullable=False),
        sa.Column("assumption_sha256", sa.String(length=64), nullable=False),
        sa.Column("discount_rate", _rate(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("mc_paths", sa.Integer(), nullable=False),
        sa.Column("mc_share", _rate(), nullable=False),
        sa.Column("calibrated", sa.Boolean(), nullable=False),
        sa.Column("loans", sa.Integer(), nullable=False),
        sa.Column("total_claim", _money(), nullable=False),
        sa.Column("total_best_npv", _money(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["snapshot_id"], ["snapshots.snapshot_id"],
                                name=op.f("fk_valuation_runs_snapshot_id_snapshots")),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_valuation_runs")),
    )
    op.create_index("ix_valuation_runs_snapshot_created", "valuation_runs", ["snapshot_id", "created_at"])
    op.create_table(
        "valuation_route_values",
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("loan_id", sa.String(length=64), nullable=False),
        sa.Column("route", sa.String(length=30), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("claim", _money(), nullable=False),
        sa.Column("npv", _money(), nullable=True),
        sa.Column("gross_recovery", _money(), nullable=True),
        sa.Column("costs", _money(), nullable=True),
        sa.Column("months_to_recovery", sa.Float(), nullable=True),
        sa.Column("irr", sa.Float(), nullable=True),
        sa.Column("p10", _money(), nullable=True),
        sa.Column("p50", _money(), nullable=True),
        sa.Column("p90", _money(), nullable=True),
        sa.Column("is_best", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["valuation_runs.run_id"],
                                name=op.f("fk_valuation_route_values_run_id_valuation_runs")),
        sa.PrimaryKeyConstraint("run_id", "loan_id", "route", name=op.f("pk_valuation_route_values")),
    )
    op.create_table(
        "recovery_model_fits",
        sa.Column("fit_id", sa.String(length=40), nullable=False),
        sa.Column("snapshot_id", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("backtest", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["snapshot_id"], ["snapshots.snapshot_id"],
                                name=op.f("fk_recovery_model_fits_snapshot_id_snapshots")),
        sa.PrimaryKeyConstraint("fit_id", name=op.f("pk_recovery_model_fits")),
    )
    op.create_index(op.f("ix_recovery_model_fits_snapshot_id"), "recovery_model_fits", ["snapshot_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_recovery_model_fits_snapshot_id"), table_name="recovery_model_fits")
    op.drop_table("recovery_model_fits")
    op.drop_table("valuation_route_values")
    op.drop_index("ix_valuation_runs_snapshot_created", table_name="valuation_runs")
    op.drop_table("valuation_runs")
