"""Marketplace: listings, staged disclosure, investors, deposits, auctions, matching, settlement.

Pure rules: every function takes the time it needs as an argument and never reads a clock.
"""

from nplhub.marketplace.auction import (
    AcceptedBid,
    AuctionFormat,
    AuctionRules,
    BidOrder,
    BidRejected,
    LotState,
    LotStatus,
    Outcome,
    Result,
    close,
    soft_close_end,
    submit,
)
from nplhub.marketplace.deposits import Deposit, DepositLedger, DepositRule, DepositStatus
from nplhub.marketplace.disclosure import Role, Stage, access_for, disclose, mask_record
from nplhub.marketplace.investors import Channel, Investor, InvestorType, check_eligibility
from nplhub.marketplace.judicial import JudicialCase, JudicialRules, JudicialTerms
from nplhub.marketplace.listing import (
    AssetClass,
    BidderCircle,
    Listing,
    ListingRegistry,
    PoolAsset,
    pool_statistics,
)
from nplhub.marketplace.settlement import Settlement, SettlementStatus, SettlementTerms

__all__ = [
    "AcceptedBid", "AssetClass", "AuctionFormat", "AuctionRules", "BidOrder", "BidRejected", "BidderCircle",
    "Channel", "Deposit", "DepositLedger", "DepositRule", "DepositStatus", "Investor", "InvestorType",
    "JudicialCase", "JudicialRules", "JudicialTerms", "Listing", "ListingRegistry", "LotState", "LotStatus",
    "Outcome", "PoolAsset", "Result", "Role", "Settlement", "SettlementStatus", "SettlementTerms", "Stage",
    "access_for", "check_eligibility", "close", "disclose", "mask_record", "pool_statistics", "soft_close_end",
    "submit",
]
