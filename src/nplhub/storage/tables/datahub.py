"""Data hub tables: portfolios, snapshots (one per cut-off and version) and the tape tables.

Every tape table carries `snapshot_id`: a snapshot is a complete, immutable picture of the
portfolio at a cut-off date, and a re-issued tape is a new snapshot version.
"""

from sqlalchemy import (
    JSON,
    BigInteger,
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
    UniqueConstraint,
)

from nplhub.storage.tables.base import metadata, money, rate

portfolios = Table(
    "portfolios",
    metadata,
    Column("portfolio_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("seller", String(200)),
    Column("currency", String(3), nullable=False, server_default="CNY"),
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("snapshot_id", String(120), primary_key=True),
    Column("portfolio_id", String(64), ForeignKey("portfolios.portfolio_id"), nullable=False),
    Column("cutoff_date", Date, nullable=False),
    Column("version", Integer, nullable=False),
    Column("reporting_date", Date),
    Column("source", Text),
    Column("content_sha256", String(64)),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("counts", JSON, nullable=False),
    UniqueConstraint("portfolio_id", "cutoff_date", "version"),
)

import_issues = Table(
    "import_issues",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("snapshot_id", String(120), ForeignKey("snapshots.snapshot_id"), nullable=False, index=True),
    Column("severity", String(10), nullable=False),
    Column("code", String(40), nullable=False),
    Column("table_name", String(40)),
    Column("row_number", Integer),
    Column("column_name", String(60)),
    Column("value", Text),
    Column("message", Text, nullable=False),
)


# The snapshot tables are clustered on their primary key on SQLite (WITHOUT ROWID, migration
# 0002_datahub_clustered): one B-tree per table instead of a rowid table plus a key index.


def _snap() -> Column:
    return Column("snapshot_id", String(120), ForeignKey("snapshots.snapshot_id"), primary_key=True)


counterparties = Table(
    "counterparties",
    metadata,
    _snap(),
    Column("counterparty_id", String(64), primary_key=True),
    Column("name", String(200)),
    Column("id_number", String(18)),
    Column("counterparty_type", String(20), nullable=False),
    Column("industry", String(1)),
    Column("region", String(6), nullable=False),
    Column("annual_revenue", money()),
    Column("total_assets", money()),
    Column("total_liabilities", money()),
    Column("employees", Integer),
    Column("internal_rating", String(20)),
    Column("insolvency_status", String(20)),
    Column("phone", String(40)),
    Column("address", Text),
    sqlite_with_rowid=False,
)

loans = Table(
    "loans",
    metadata,
    _snap(),
    Column("loan_id", String(64), primary_key=True),
    Column("counterparty_id", String(64), nullable=False),
    Column("product", String(30), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("origination_date", Date, nullable=False),
    Column("maturity_date", Date, nullable=False),
    Column("original_principal", money(), nullable=False),
    Column("outstanding_principal", money(), nullable=False),
    Column("accrued_interest", money()),
    Column("penalty_interest", money()),
    Column("fees", money()),
    Column("interest_rate", rate(), nullable=False),
    Column("repayment_method", String(30)),
    Column("days_past_due", Integer, nullable=False),
    Column("reported_class", String(20), nullable=False),
    Column("provision", money()),
    Column("branch_id", String(64)),
    Column("extension_count", Integer),
    Column("last_extension_date", Date),
    Column("restructured", Boolean),
    Column("restructure_date", Date),
    Column("legal_status", String(30)),
    Column("default_date", Date),
    Column("written_off", Boolean),
    Index("ix_loans_snapshot_counterparty", "snapshot_id", "counterparty_id"),
    sqlite_with_rowid=False,
)

collateral = Table(
    "collateral",
    metadata,
    _snap(),
    Column("collateral_id", String(64), primary_key=True),
    Column("collateral_type", String(30), nullable=False),
    Column("region", String(6)),
    Column("address", Text),
    Column("area_sqm", money()),
    Column("appraisal_value", money(), nullable=False),
    Column("appraisal_date", Date, nullable=False),
    Column("appraisal_source", String(20)),
    Column("lien_rank", Integer),
    Column("prior_claims", money()),
    Column("occupancy", String(20)),
    Column("status", String(20)),
    sqlite_with_rowid=False,
)

loan_collateral = Table(
    "loan_collateral",
    metadata,
    _snap(),
    Column("loan_id", String(64), primary_key=True),
    Column("collateral_id", String(64), primary_key=True),
    Column("allocated_amount", money()),
    sqlite_with_rowid=False,
)

guarantees = Table(
    "guarantees",
    metadata,
    _snap(),
    Column("guarantee_id", String(64), primary_key=True),
    Column("loan_id", String(64), nullable=False),
    Column("guarantor_counterparty_id", String(64)),
    Column("guarantor_name", String(200)),
    Column("guarantee_type", String(30)),
    Column("amount", money(), nullable=False),
    Column("guarantor_rating", String(20)),
    sqlite_with_rowid=False,
)

enforcement = Table(
    "enforcement",
    metadata,
    _snap(),
    Column("case_id", String(64), primary_key=True),
    Column("loan_id", String(64), nullable=False),
    Column("collateral_id", String(64)),
    Column("stage", String(20), nullable=False),
    Column("court", String(200)),
    Column("filed_date", Date),
    Column("judgment_date", Date),
    Column("appraisal_value", money()),
    Column("reference_price", money()),
    Column("auction_round", Integer),
    Column("start_price", money()),
    Column("failed_auctions", Integer),
    Column("sale_price", money()),
    Column("sale_date", Date),
    Column("costs", money()),
    sqlite_with_rowid=False,
)

forbearance = Table(
    "forbearance",
    metadata,
    _snap(),
    Column("row_id", Integer, primary_key=True),
    Column("loan_id", String(64), nullable=False),
    Column("event_date", Date, nullable=False),
    Column("measure", String(30), nullable=False),
    Column("new_maturity_date", Date),
    Column("amount", money()),
    sqlite_with_rowid=False,
)

repayments = Table(
    "repayments",
    metadata,
    _snap(),
    Column("loan_id", String(64), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("amount_due", money()),
    Column("amount_paid", money(), nullable=False),
    Column("source", String(20)),
    sqlite_with_rowid=False,
)

loan_states = Table(
    "loan_states",
    metadata,
    _snap(),
    Column("loan_id", String(64), primary_key=True),
    Column("as_of_date", Date, primary_key=True),
    Column("class", String(20), nullable=False),
    Column("days_past_due", Integer, nullable=False),
    Column("outstanding_principal", money(), nullable=False),
    Column("provision", money()),
    sqlite_with_rowid=False,
)

disposals = Table(
    "disposals",
    metadata,
    _snap(),
    Column("row_id", Integer, primary_key=True),
    Column("loan_id", String(64), nullable=False),
    Column("route", String(30), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date),
    Column("exposure_at_start", money(), nullable=False),
    Column("gross_recovery", money()),
    Column("costs", money()),
    Column("buyer_type", String(40)),
    sqlite_with_rowid=False,
)

price_index = Table(
    "price_index",
    metadata,
    _snap(),
    Column("region", String(6), primary_key=True),
    Column("property_type", String(30), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("index", money(), nullable=False),
    sqlite_with_rowid=False,
)

TAPE_TABLES = {
    "counterparties": counterparties,
    "loans": loans,
    "collateral": collateral,
    "loan_collateral": loan_collateral,
    "guarantees": guarantees,
    "enforcement": enforcement,
    "forbearance": forbearance,
    "repayments": repayments,
    "loan_states": loan_states,
    "disposals": disposals,
    "price_index": price_index,
}
