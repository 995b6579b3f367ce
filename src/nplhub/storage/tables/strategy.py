"""Strategy tables: plans and their assignments, sale packages, approval tiers, disposal cases."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from nplhub.storage.tables.base import metadata, money

strategy_plans = Table(
    "strategy_plans",
    metadata,
    Column("plan_id", String(40), primary_key=True),
    Column("snapshot_id", String(120), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("status", String(40), nullable=False),
    Column("method", String(80), nullable=False),
    Column("objective_npv", Float, nullable=False),
    Column("unconstrained_npv", Float, nullable=False),
    Column("gap", Float, nullable=False),
    Column("loans", Integer, nullable=False),
    Column("constraints", JSON, nullable=False),
    Column("summary", JSON, nullable=False),
)

strategy_assignments = Table(
    "strategy_assignments",
    metadata,
    Column("plan_id", String(40), ForeignKey("strategy_plans.plan_id"), primary_key=True),
    Column("loan_id", String(64), primary_key=True),
    Column("route", String(30), nullable=False),
    Column("npv", Float, nullable=False),
    Column("claim", Float, nullable=False),
    Column("balance", Float),
    Column("branch_id", String(64)),
    Column("province", String(6)),
    Column("collateral_class", String(30)),
    Column("size_band", String(10)),
    Column("channel", String(40)),
    Column("package_group", String(200)),
    Column("gross_recovery", Float),
    Column("costs", Float),
    Column("months_to_recovery", Float),
    Column("p10", Float),
    Column("p50", Float),
    Column("p90", Float),
)

strategy_packages = Table(
    "strategy_packages",
    metadata,
    Column("plan_id", String(40), ForeignKey("strategy_plans.plan_id"), primary_key=True),
    Column("package_id", String(20), primary_key=True),
    Column("channel", String(40), nullable=False),
    Column("province", String(10)),
    Column("collateral_class", String(30)),
    Column("size_band", String(10)),
    Column("accounts", Integer, nullable=False),
    Column("claim", Float, nullable=False),
    Column("expected_price", Float, nullable=False),
    Column("p10", Float),
    Column("p90", Float),
    Column("reserve_price", Float, nullable=False),
    Column("below_minimum", Boolean, nullable=False),
    Column("loan_ids", JSON, nullable=False),
)

strategy_approval_tiers = Table(
    "strategy_approval_tiers",
    metadata,
    Column("role", String(60), primary_key=True),
    Column("rank", Integer, nullable=False),
    Column("max_amount", money()),
    Column("routes", JSON, nullable=False),
)

strategy_cases = Table(
    "strategy_cases",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("plan_id", String(40), ForeignKey("strategy_plans.plan_id"), nullable=False),
    Column("loan_id", String(64), nullable=False),
    Column("route", String(30), nullable=False),
    Column("branch_id", String(64), nullable=False),
    Column("officer", String(64), nullable=False),
    Column("state", String(20), nullable=False),
    Column("claim", money(), nullable=False),
    Column("planned_recovery", money(), nullable=False),
    Column("actual_recovery", money()),
    Column("opened_on", Date, nullable=False),
    Column("planned_close", Date, nullable=False),
    Column("observation_start", Date),
    Index("ix_strategy_cases_state", "state"),
    Index("ix_strategy_cases_loan", "loan_id"),
)

strategy_case_transitions = Table(
    "strategy_case_transitions",
    metadata,
    Column("case_id", String(40), ForeignKey("strategy_cases.case_id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("from_state", String(20), nullable=False),
    Column("to_state", String(20), nullable=False),
    Column("at", Date, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("role", String(60), nullable=False),
    Column("amount", money()),
    Column("note", Text),
)

strategy_case_payments = Table(
    "strategy_case_payments",
    metadata,
    Column("case_id", String(40), ForeignKey("strategy_cases.case_id"), primary_key=True),
    Column("due_date", Date, primary_key=True),
    Column("amount_due", money(), nullable=False),
    Column("amount_paid", money(), nullable=False),
)
