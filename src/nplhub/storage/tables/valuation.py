"""Valuation tables: valuation runs, their per-loan per-route values, recovery-model fits.

A run is immutable: it records the snapshot, the assumption set (name, version, SHA-256), the
discount rate, the Monte Carlo seed and paths, and whether learnt models calibrated it. The
latest run of a snapshot is what strategy, securitization and the marketplace read.
"""

from sqlalchemy import JSON, Boolean, Column, DateTime, Float, ForeignKey, Index, Integer, String, Table, Text

from nplhub.storage.tables.base import metadata, money, rate

valuation_runs = Table(
    "valuation_runs",
    metadata,
    Column("run_id", String(40), primary_key=True),
    Column("snapshot_id", String(120), ForeignKey("snapshots.snapshot_id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("assumption_name", String(80), nullable=False),
    Column("assumption_version", String(80), nullable=False),
    Column("assumption_sha256", String(64), nullable=False),
    Column("discount_rate", rate(), nullable=False),
    Column("seed", Integer, nullable=False),
    Column("mc_paths", Integer, nullable=False),
    Column("mc_share", rate(), nullable=False),
    Column("calibrated", Boolean, nullable=False),
    Column("loans", Integer, nullable=False),
    Column("total_claim", money(), nullable=False),
    Column("total_best_npv", money(), nullable=False),
    Column("details", JSON, nullable=False),
    Index("ix_valuation_runs_snapshot_created", "snapshot_id", "created_at"),
)

valuation_route_values = Table(
    "valuation_route_values",
    metadata,
    Column("run_id", String(40), ForeignKey("valuation_runs.run_id"), primary_key=True),
    Column("loan_id", String(64), primary_key=True),
    Column("route", String(30), primary_key=True),
    Column("eligible", Boolean, nullable=False),
    Column("reason", Text),
    Column("claim", money(), nullable=False),
    Column("npv", money()),
    Column("gross_recovery", money()),
    Column("costs", money()),
    Column("months_to_recovery", Float),
    Column("irr", Float),
    Column("p10", money()),
    Column("p50", money()),
    Column("p90", money()),
    Column("is_best", Boolean, nullable=False),
)

recovery_model_fits = Table(
    "recovery_model_fits",
    metadata,
    Column("fit_id", String(40), primary_key=True),
    Column("snapshot_id", String(120), ForeignKey("snapshots.snapshot_id"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("method", String(20), nullable=False),
    Column("seed", Integer, nullable=False),
    Column("summary", JSON, nullable=False),
    Column("backtest", JSON),
)
