"""Risk tables: classification runs per snapshot and each loan's derived class, reasons and flags."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from nplhub.storage.tables.base import metadata, money

risk_runs = Table(
    "risk_runs",
    metadata,
    Column("run_id", String(40), primary_key=True),
    Column("snapshot_id", String(120), nullable=False),
    Column("ruleset_name", String(80), nullable=False),
    Column("ruleset_version", String(40), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("loans", Integer, nullable=False),
    Column("downgraded", Integer, nullable=False),
    Column("hidden_npl_amount", money(), nullable=False),
    Column("summary", JSON, nullable=False),
    Index("ix_risk_runs_snapshot", "snapshot_id", "created_at"),
)

risk_loan_results = Table(
    "risk_loan_results",
    metadata,
    Column("run_id", String(40), ForeignKey("risk_runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("loan_id", String(64), primary_key=True),
    Column("reported_class", String(20), nullable=False),
    Column("derived_class", String(20), nullable=False),
    Column("outstanding_principal", money(), nullable=False),
    Column("reason_codes", Text, nullable=False),  # ";"-separated codes of nplhub.risk.reasons
    Column("hidden_flags", Text, nullable=False),  # ";"-separated codes of nplhub.risk.hidden
    Column("hidden_npl", Boolean, nullable=False),
)
