"""marketplace: listings, investors, registrations, bids, deposits, views, settlements, ownership

Revision ID: 0001_marketplace
Revises: 0001_datahub
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_marketplace"
down_revision = "0001_datahub"
branch_labels = ("marketplace",)
depends_on = None


def upgrade() -> None:

    op.create_table(
        "market_dataroom_views",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("listing_id", sa.String(length=64), nullable=False),
        sa.Column("viewer_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("stage", sa.String(length=12), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("clear_pii", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_dataroom_views")),
    )
    op.create_index(
        op.f("ix_market_dataroom_views_listing_id"), "market_dataroom_views", ["listing_id"], unique=False
    )
    op.create_table(
        "market_investors",
        sa.Column("investor_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("investor_type", sa.String(length=20), nullable=False),
        sa.Column("province", sa.String(length=6), nullable=True),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("barred", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("investor_id", name=op.f("pk_market_investors")),
    )
    op.create_table(
        "market_listings",
        sa.Column("listing_id", sa.String(length=64), nullable=False),
        sa.Column("project_code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("seller", sa.String(length=120), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("auction_format", sa.String(length=20), nullable=False),
        sa.Column("snapshot_id", sa.String(length=120), nullable=True),
        sa.Column("starting_price", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("reserve", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("reserve_public", sa.Boolean(), nullable=False),
        sa.Column("increment", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("soft_close_s", sa.Integer(), nullable=False),
        sa.Column("extension_s", sa.Integer(), nullable=False),
        sa.Column("on_grid", sa.Boolean(), nullable=False),
        sa.Column("proxy_allowed", sa.Boolean(), nullable=False),
        sa.Column("dutch_step", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("dutch_interval_s", sa.Integer(), nullable=True),
        sa.Column("buy_now_price", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("deposit", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("circle", sa.String(length=10), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("statistics", sa.JSON(), nullable=False),
        sa.Column("retransfer_barred", sa.Boolean(), nullable=False),
        sa.Column("relist_of", sa.String(length=64), nullable=True),
        sa.Column("judicial_round", sa.Integer(), nullable=True),
        sa.Column("reference_price", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lot_status", sa.String(length=10), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("price", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("leader_id", sa.String(length=64), nullable=True),
        sa.Column("leader_max", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("leader_preemption", sa.Integer(), nullable=True),
        sa.Column("bid_count", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("listing_id", name=op.f("pk_market_listings")),
        sa.UniqueConstraint("project_code", name=op.f("uq_market_listings_project_code")),
    )
    op.create_index("ix_market_listings_status", "market_listings", ["status"], unique=False)
    op.create_table(
        "market_loan_ownership",
        sa.Column("loan_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("listing_id", sa.String(length=64), nullable=False),
        sa.Column("transferred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retransfer_barred", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("loan_id", name=op.f("pk_market_loan_ownership")),
    )
    op.create_table(
        "market_bids",
        sa.Column("listing_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("bidder_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("preemption_order", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["market_listings.listing_id"],
            name=op.f("fk_market_bids_listing_id_market_listings"),
        ),
        sa.PrimaryKeyConstraint("listing_id", "seq", name=op.f("pk_market_bids")),
    )
    op.create_table(
        "market_deposits",
        sa.Column("deposit_id", sa.String(length=64), nullable=False),
        sa.Column("listing_id", sa.String(length=64), nullable=False),
        sa.Column("investor_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["market_listings.listing_id"],
            name=op.f("fk_market_deposits_listing_id_market_listings"),
        ),
        sa.PrimaryKeyConstraint("deposit_id", name=op.f("pk_market_deposits")),
        sa.UniqueConstraint(
            "listing_id", "investor_id", name=op.f("uq_market_deposits_listing_id_investor_id")
        ),
    )
    op.create_table(
        "market_listing_assets",
        sa.Column("asset_code", sa.String(length=48), nullable=False),
        sa.Column("listing_id", sa.String(length=64), nullable=False),
        sa.Column("loan_id", sa.String(length=64), nullable=False),
        sa.Column("asset_class", sa.String(length=30), nullable=False),
        sa.Column("principal", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("interest", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("days_past_due", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("collateral_type", sa.String(length=30), nullable=True),
        sa.Column("borrower_ref", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["market_listings.listing_id"],
            name=op.f("fk_market_listing_assets_listing_id_market_listings"),
        ),
        sa.PrimaryKeyConstraint("asset_code", name=op.f("pk_market_listing_assets")),
    )
    op.create_index(
        op.f("ix_market_listing_assets_listing_id"), "market_listing_assets", ["listing_id"], unique=False
    )
    op.create_index(
        op.f("ix_market_listing_assets_loan_id"), "market_listing_assets", ["loan_id"], unique=False
    )
    op.create_table(
        "market_registrations",
        sa.Column("listing_id", sa.String(length=64), nullable=False),
        sa.Column("investor_id", sa.String(length=64), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("nda_accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("loan_level", sa.Boolean(), nullable=False),
        sa.Column("preemption_order", sa.Integer(), nullable=True),
        sa.Column("barred", sa.Boolean(), nullable=False),
        sa.Column("bidder_code", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["investor_id"],
            ["market_investors.investor_id"],
            name=op.f("fk_market_registrations_investor_id_market_investors"),
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["market_listings.listing_id"],
            name=op.f("fk_market_registrations_listing_id_market_listings"),
        ),
        sa.PrimaryKeyConstraint("listing_id", "investor_id", name=op.f("pk_market_registrations")),
    )
    op.create_table(
        "market_settlements",
        sa.Column("listing_id", sa.String(length=64), nullable=False),
        sa.Column("buyer_id", sa.String(length=64), nullable=False),
        sa.Column("price", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("deposit", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("awarded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contract_within_s", sa.Integer(), nullable=False),
        sa.Column("payment_within_s", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("contracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("defaulted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["market_listings.listing_id"],
            name=op.f("fk_market_settlements_listing_id_market_listings"),
        ),
        sa.PrimaryKeyConstraint("listing_id", name=op.f("pk_market_settlements")),
    )
    op.create_table(
        "market_whitelist",
        sa.Column("listing_id", sa.String(length=64), nullable=False),
        sa.Column("investor_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["market_listings.listing_id"],
            name=op.f("fk_market_whitelist_listing_id_market_listings"),
        ),
        sa.PrimaryKeyConstraint("listing_id", "investor_id", name=op.f("pk_market_whitelist")),
    )
    op.create_table(
        "market_deposit_movements",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("deposit_id", sa.String(length=64), nullable=False),
        sa.Column("debit", sa.String(length=12), nullable=False),
        sa.Column("credit", sa.String(length=12), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["deposit_id"],
            ["market_deposits.deposit_id"],
            name=op.f("fk_market_deposit_movements_deposit_id_market_deposits"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_deposit_movements")),
    )
    op.create_index(
        op.f("ix_market_deposit_movements_deposit_id"),
        "market_deposit_movements",
        ["deposit_id"],
        unique=False,
    )


def downgrade() -> None:

    op.drop_index(op.f("ix_market_deposit_movements_deposit_id"), table_name="market_deposit_movements")
    op.drop_table("market_deposit_movements")
    op.drop_table("market_whitelist")
    op.drop_table("market_settlements")
    op.drop_table("market_registrations")
    op.drop_index(op.f("ix_market_listing_assets_loan_id"), table_name="market_listing_assets")
    op.drop_index(op.f("ix_market_listing_assets_listing_id"), table_name="market_listing_assets")
    op.drop_table("market_listing_assets")
    op.drop_table("market_deposits")
    op.drop_table("market_bids")
    op.drop_table("market_loan_ownership")
    op.drop_index("ix_market_listings_status", table_name="market_listings")
    op.drop_table("market_listings")
    op.drop_table("market_investors")
    op.drop_index(op.f("ix_market_dataroom_views_listing_id"), table_name="market_dataroom_views")
    op.drop_table("market_dataroom_views")
