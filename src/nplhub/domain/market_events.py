"""Events of the marketplace. Identifiers, amounts and times only: no personal data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from nplhub.domain.events import DomainEvent


@dataclass(frozen=True)
class ListingRegistered(DomainEvent):
    event_type: ClassVar[str] = "market.listing_registered"
    listing_id: str
    project_code: str
    seller: str
    channel: str
    auction_format: str
    asset_count: int
    claim: Decimal
    starting_price: Decimal
    opens_at: datetime
    closes_at: datetime
    relist_of: str | None = None


@dataclass(frozen=True)
class InvestorOnboarded(DomainEvent):
    event_type: ClassVar[str] = "market.investor_onboarded"
    investor_id: str
    investor_type: str
    status: str


@dataclass(frozen=True)
class NdaAccepted(DomainEvent):
    event_type: ClassVar[str] = "market.nda_accepted"
    listing_id: str
    investor_id: str
    at: datetime


@dataclass(frozen=True)
class DataRoomViewed(DomainEvent):
    event_type: ClassVar[str] = "market.data_room_viewed"
    listing_id: str
    viewer_id: str
    role: str
    stage: str
    rows: int
    clear_pii: bool
    at: datetime


@dataclass(frozen=True)
class DepositMoved(DomainEvent):
    event_type: ClassVar[str] = "market.deposit_moved"
    deposit_id: str
    listing_id: str
    investor_id: str
    movement: str  # freeze, released, applied, forfeited
    amount: Decimal
    at: datetime


@dataclass(frozen=True)
class BidPlaced(DomainEvent):
    """One accepted bid: binding and immutable (sealed bids record no amount until the close)."""

    event_type: ClassVar[str] = "market.bid_placed"
    listing_id: str
    seq: int
    bidder_id: str
    amount: Decimal | None
    placed_at: datetime
    automatic: bool = False
    ends_at: datetime | None = None


@dataclass(frozen=True)
class AuctionClosed(DomainEvent):
    event_type: ClassVar[str] = "market.auction_closed"
    listing_id: str
    status: str  # sold / failed
    winner_id: str | None
    price: Decimal | None
    bids: int
    closed_at: datetime


@dataclass(frozen=True)
class SettlementAdvanced(DomainEvent):
    event_type: ClassVar[str] = "market.settlement_advanced"
    listing_id: str
    buyer_id: str
    status: str
    at: datetime
    amount: Decimal | None = None


@dataclass(frozen=True)
class OwnershipTransferred(DomainEvent):
    event_type: ClassVar[str] = "market.ownership_transferred"
    listing_id: str
    buyer_id: str
    loan_count: int
    at: datetime
