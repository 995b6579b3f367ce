"""Ports of the marketplace: what its use cases need from storage (SQL in nplhub.storage.marketplace)."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from nplhub.marketplace.auction import AcceptedBid, AuctionRules, LotState
from nplhub.marketplace.deposits import Deposit, Movement
from nplhub.marketplace.investors import Investor
from nplhub.marketplace.listing import Listing, PoolAsset
from nplhub.marketplace.settlement import Settlement


@dataclass(frozen=True)
class LotRecord:
    """A listing's terms and live lot state, without its assets (what the bid path reads)."""

    listing_id: str
    project_code: str
    title: str
    seller: str
    channel: str
    status: str
    rules: AuctionRules
    state: LotState
    deposit: Decimal
    circle: str
    reserve_public: bool
    retransfer_barred: bool
    statistics: dict[str, Any] = field(default_factory=dict)
    snapshot_id: str | None = None
    relist_of: str | None = None
    judicial_round: int | None = None
    reference_price: Decimal | None = None
    created_at: datetime | None = None
    closed_at: datetime | None = None
    last_bid_at: datetime | None = None   # server time of the latest stored bid


@dataclass(frozen=True)
class Registration:
    """An investor's registration for one listing: NDA, approval, preemption rank, bar."""

    listing_id: str
    investor_id: str
    registered_at: datetime
    nda_accepted_at: datetime | None = None
    approved: bool = False
    loan_level: bool = False
    preemption_order: int | None = None
    barred: bool = False
    bidder_code: str | None = None  # 竞买代码, given once the deposit is frozen (法释〔2016〕18号 第18条)


@dataclass(frozen=True)
class ViewRecord:
    listing_id: str
    viewer_id: str
    role: str
    stage: str
    rows: int
    clear_pii: bool
    at: datetime


class MarketRepository(abc.ABC):
    # listings and lots
    @abc.abstractmethod
    def issued_project_codes(self) -> list[str]: ...

    @abc.abstractmethod
    def live_loan_ids(self) -> set[str]: ...

    @abc.abstractmethod
    def add_listing(self, listing: Listing, rules: AuctionRules, created_at: datetime, *,
                    snapshot_id: str | None = None, retransfer_barred: bool = False,
                    judicial_round: int | None = None, reference_price: Decimal | None = None) -> None: ...

    @abc.abstractmethod
    def get_lot(self, listing_id: str, *, lock: bool = False) -> LotRecord | None:
        """The lot; with `lock`, its row is locked until the unit of work ends (FOR UPDATE)."""

    @abc.abstractmethod
    def lots(self, status: str | None = None) -> list[LotRecord]: ...

    @abc.abstractmethod
    def assets(self, listing_id: str) -> list[tuple[str, PoolAsset]]:
        """(asset code, asset) pairs of a listing, in code order."""

    @abc.abstractmethod
    def save_lot(self, listing_id: str, state: LotState, status: str,
                 closed_at: datetime | None = None) -> None: ...

    @abc.abstractmethod
    def add_bids(self, listing_id: str, bids: Sequence[AcceptedBid]) -> None: ...

    @abc.abstractmethod
    def bids(self, listing_id: str) -> list[AcceptedBid]: ...

    @abc.abstractmethod
    def has_bid(self, listing_id: str, bidder_id: str) -> bool: ...

    @abc.abstractmethod
    def last_bid_time(self, listing_id: str) -> datetime | None: ...

    @abc.abstractmethod
    def defer_durability(self) -> None:
        """Let this unit of work's commit return before its log is flushed (PostgreSQL
        `synchronous_commit = off`); the caller must not acknowledge anything until `make_durable`."""

    @abc.abstractmethod
    def make_durable(self) -> None:
        """Make this unit of work's commit wait for the log flush, which covers every commit before it."""

    # investors and registrations
    @abc.abstractmethod
    def put_investor(self, investor: Investor, at: datetime) -> None: ...

    @abc.abstractmethod
    def get_investor(self, investor_id: str) -> Investor | None: ...

    @abc.abstractmethod
    def investors(self) -> list[Investor]: ...

    @abc.abstractmethod
    def suspended_among(self, investor_ids: Sequence[str]) -> set[str]:
        """Those of `investor_ids` who are suspended (one query for a batch of bids)."""

    @abc.abstractmethod
    def add_to_whitelist(self, listing_id: str, investor_ids: Sequence[str]) -> None: ...

    @abc.abstractmethod
    def whitelist(self, listing_id: str) -> frozenset[str]: ...

    @abc.abstractmethod
    def put_registration(self, registration: Registration) -> None: ...

    @abc.abstractmethod
    def get_registration(self, listing_id: str, investor_id: str) -> Registration | None: ...

    @abc.abstractmethod
    def registrations_for(self, listing_id: str, investor_ids: Sequence[str]) -> dict[str, Registration]: ...

    # deposits
    @abc.abstractmethod
    def put_deposit(self, deposit: Deposit) -> None: ...

    @abc.abstractmethod
    def deposits(self, listing_id: str | None = None) -> list[Deposit]: ...

    @abc.abstractmethod
    def add_movement(self, movement: Movement) -> None: ...

    @abc.abstractmethod
    def movements(self, listing_id: str | None = None) -> list[Movement]: ...

    # disclosure log
    @abc.abstractmethod
    def log_view(self, view: ViewRecord) -> None: ...

    @abc.abstractmethod
    def views(self, listing_id: str) -> list[ViewRecord]: ...

    # settlement and ownership
    @abc.abstractmethod
    def put_settlement(self, settlement: Settlement) -> None: ...

    @abc.abstractmethod
    def get_settlement(self, listing_id: str) -> Settlement | None: ...

    @abc.abstractmethod
    def transfer_ownership(self, loan_ids: Sequence[str], owner_id: str, listing_id: str, at: datetime,
                           retransfer_barred: bool) -> None: ...

    @abc.abstractmethod
    def owner_of(self, loan_id: str) -> tuple[str, bool] | None:
        """(owner, re-transfer barred) of a loan sold on the platform, or None."""

    @abc.abstractmethod
    def retransfer_barred(self, loan_ids: Sequence[str]) -> set[str]:
        """The loans among `loan_ids` whose owner may not re-transfer them."""

    @abc.abstractmethod
    def clearing_ratios(self) -> list[tuple[str, float]]:
        """(dominant asset class, clearing price / claim) of every sold listing."""
