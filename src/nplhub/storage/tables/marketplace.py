"""Marketplace tables: listings (with the live lot state), assets, investors, registrations,
bids (append-only), deposits and their double-entry movements, data-room views, settlements and
the loans' ownership register."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from nplhub.storage.tables.base import metadata, money

market_listings = Table(
    "market_listings",
    metadata,
    Column("listing_id", String(64), primary_key=True),
    Column("project_code", String(40), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("seller", String(120), nullable=False),
    Column("channel", String(30), nullable=False),
    Column("auction_format", String(20), nullable=False),
    Column("snapshot_id", String(120)),
    Column("starting_price", money(), nullable=False),
    Column("reserve", money(), nullable=False),
    Column("reserve_public", Boolean, nullable=False),
    Column("increment", money(), nullable=False),
    Column("opens_at", DateTime(timezone=True), nullable=False),
    Column("closes_at", DateTime(timezone=True), nullable=False),
    Column("soft_close_s", Integer, nullable=False),
    Column("extension_s", Integer, nullable=False),
    Column("on_grid", Boolean, nullable=False),
    Column("proxy_allowed", Boolean, nullable=False),
    Column("dutch_step", money()),
    Column("dutch_interval_s", Integer),
    Column("buy_now_price", money()),
    Column("deposit", money(), nullable=False),
    Column("circle", String(10), nullable=False),
    Column("documents", JSON, nullable=False),
    Column("statistics", JSON, nullable=False),
    Column("retransfer_barred", Boolean, nullable=False),
    Column("relist_of", String(64)),
    Column("judicial_round", Integer),
    Column("reference_price", money()),
    Column("status", String(12), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # the live lot state, updated under a row lock
    Column("lot_status", String(10), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("price", money()),
    Column("leader_id", String(64)),
    Column("leader_max", money()),
    Column("leader_preemption", Integer),
    Column("bid_count", Integer, nullable=False),
    Column("closed_at", DateTime(timezone=True)),
)

market_listing_assets = Table(
    "market_listing_assets",
    metadata,
    Column("asset_code", String(48), primary_key=True),
    Column("listing_id", String(64), ForeignKey("market_listings.listing_id"), nullable=False, index=True),
    Column("loan_id", String(64), nullable=False, index=True),
    Column("asset_class", String(30), nullable=False),
    Column("principal", money(), nullable=False),
    Column("interest", money(), nullable=False),
    Column("days_past_due", Integer, nullable=False),
    Column("region", String(6), nullable=False),
    Column("collateral_type", String(30)),
    Column("borrower_ref", String(64), nullable=False),
)

market_investors = Table(
    "market_investors",
    metadata,
    Column("investor_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("investor_type", String(20), nullable=False),
    Column("province", String(6)),
    Column("documents", JSON, nullable=False),
    Column("status", String(12), nullable=False),
    Column("barred", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

market_whitelist = Table(
    "market_whitelist",
    metadata,
    Column("listing_id", String(64), ForeignKey("market_listings.listing_id"), primary_key=True),
    Column("investor_id", String(64), primary_key=True),
)

market_registrations = Table(
    "market_registrations",
    metadata,
    Column("listing_id", String(64), ForeignKey("market_listings.listing_id"), primary_key=True),
    Column("investor_id", String(64), ForeignKey("market_investors.investor_id"), primary_key=True),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("nda_accepted_at", DateTime(timezone=True)),
    Column("approved", Boolean, nullable=False),
    Column("loan_level", Boolean, nullable=False),
    Column("preemption_order", Integer),
    Column("barred", Boolean, nullable=False),
    Column("bidder_code", String(20)),  # assigned once the deposit is confirmed (第18条)
)

market_bids = Table(
    "market_bids",
    metadata,
    Column("listing_id", String(64), ForeignKey("market_listings.listing_id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("bidder_id", String(64), nullable=False),
    Column("amount", money(), nullable=False),
    Column("placed_at", DateTime(timezone=True), nullable=False),
    Column("automatic", Boolean, nullable=False),
    Column("preemption_order", Integer),
)

market_deposits = Table(
    "market_deposits",
    metadata,
    Column("deposit_id", String(64), primary_key=True),
    Column("listing_id", String(64), ForeignKey("market_listings.listing_id"), nullable=False),
    Column("investor_id", String(64), nullable=False),
    Column("amount", money(), nullable=False),
    Column("status", String(12), nullable=False),
    Column("frozen_at", DateTime(timezone=True), nullable=False),
    Column("settled_at", DateTime(timezone=True)),
    UniqueConstraint("listing_id", "investor_id"),
)

market_deposit_movements = Table(
    "market_deposit_movements",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("deposit_id", String(64), ForeignKey("market_deposits.deposit_id"), nullable=False, index=True),
    Column("debit", String(12), nullable=False),
    Column("credit", String(12), nullable=False),
    Column("amount", money(), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("reason", String(20), nullable=False),
)

market_dataroom_views = Table(
    "market_dataroom_views",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("listing_id", String(64), nullable=False, index=True),
    Column("viewer_id", String(64), nullable=False),
    Column("role", String(12), nullable=False),
    Column("stage", String(12), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("clear_pii", Boolean, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

market_settlements = Table(
    "market_settlements",
    metadata,
    Column("listing_id", String(64), ForeignKey("market_listings.listing_id"), primary_key=True),
    Column("buyer_id", String(64), nullable=False),
    Column("price", money(), nullable=False),
    Column("deposit", money(), nullable=False),
    Column("awarded_at", DateTime(timezone=True), nullable=False),
    Column("contract_within_s", Integer, nullable=False),
    Column("payment_within_s", Integer, nullable=False),
    Column("status", String(12), nullable=False),
    Column("contracted_at", DateTime(timezone=True)),
    Column("paid_at", DateTime(timezone=True)),
    Column("paid", money(), nullable=False),
    Column("delivered_at", DateTime(timezone=True)),
    Column("defaulted_at", DateTime(timezone=True)),
)

market_loan_ownership = Table(
    "market_loan_ownership",
    metadata,
    Column("loan_id", String(64), primary_key=True),
    Column("owner_id", String(64), nullable=False),
    Column("listing_id", String(64), nullable=False),
    Column("transferred_at", DateTime(timezone=True), nullable=False),
    Column("retransfer_barred", Boolean, nullable=False),
    Column("note", Text),
)

Index("ix_market_listings_status", market_listings.c.status)
