"""The marketplace use cases against in-memory fakes: events recorded, nothing changed on refusal."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nplhub.marketplace.auction import AcceptedBid, AuctionRules, BidRejected, LotState
from nplhub.marketplace.deposits import Deposit, Movement
from nplhub.marketplace.investors import Channel, Investor, InvestorStatus, InvestorType
from nplhub.marketplace.listing import AssetClass, Listing, PoolAsset
from nplhub.marketplace.settlement import Settlement
from nplhub.services import market_settlement as settle
from nplhub.services import marketplace as svc
from nplhub.services.market_ports import LotRecord, MarketRepository, Registration, ViewRecord
from nplhub.services.ports import AbstractUnitOfWork, AuditSink

T0 = datetime(2026, 9, 1, 9, tzinfo=UTC)
DOCS = frozenset({"business_licence", "qualification", "board_resolution", "kyc"})


class FakeRepo(MarketRepository):
    def __init__(self) -> None:
        self.lots_: dict[str, LotRecord] = {}
        self.assets_: dict[str, list[tuple[str, PoolAsset]]] = {}
        self.bids_: dict[str, list[AcceptedBid]] = {}
        self.investors_: dict[str, Investor] = {}
        self.regs: dict[tuple[str, str], Registration] = {}
        self.deps: dict[str, Deposit] = {}
        self.moves: list[Movement] = []
        self.views_: list[ViewRecord] = []
        self.settlements: dict[str, Settlement] = {}
        self.owners: dict[str, tuple[str, bool]] = {}
        self.white: dict[str, set[str]] = {}

    def issued_project_codes(self) -> list[str]:
        return list(self.lots_)

    def live_loan_ids(self) -> set[str]:
        return {a.loan_id for k, v in self.assets_.items() if self.lots_[k].status == "listed" for _, a in v}

    def add_listing(self, listing: Listing, rules: AuctionRules, created_at: datetime, **kw: Any) -> None:
        self.lots_[listing.listing_id] = LotRecord(
            listing.listing_id, listing.project_code, listing.title, listing.seller, listing.channel,
            listing.status.value, rules, LotState.opening(rules), listing.deposit, listing.circle.value,
            listing.reserve_public, kw.get("retransfer_barred", False), listing.statistics.to_dict(),
            created_at=created_at)
        self.assets_[listing.listing_id] = list(zip(listing.asset_codes, listing.assets))

    def get_lot(self, listing_id: str, *, lock: bool = False) -> LotRecord | None:
        lot = self.lots_.get(listing_id)
        return None if lot is None else LotRecord(**{**lot.__dict__, "last_bid_at": self.last_bid_time(listing_id)})

    def lots(self, status: str | None = None) -> list[LotRecord]:
        return [v for v in self.lots_.values() if status is None or v.status == status]

    def assets(self, listing_id: str) -> list[tuple[str, PoolAsset]]:
        return self.assets_[listing_id]

    def save_lot(self, listing_id: str, state: LotState, status: str, closed_at: datetime | None = None) -> None:
        lot = self.lots_[listing_id]
        self.lots_[listing_id] = LotRecord(**{**lot.__dict__, "state": state, "status": status,
                                              "closed_at": closed_at or lot.closed_at})

    def add_bids(self, listing_id: str, bids: Sequence[AcceptedBid]) -> None:
        self.bids_.setdefault(listing_id, []).extend(bids)

    def bids(self, listing_id: str) -> list[AcceptedBid]:
        return list(self.bids_.get(listing_id, []))

    def has_bid(self, listing_id: str, bidder_id: str) -> bool:
        return any(b.bidder_id == bidder_id for b in self.bids_.get(listing_id, []))

    def last_bid_time(self, listing_id: str) -> datetime | None:
        bids = self.bids_.get(listing_id)
        return bids[-1].placed_at if bids else None

    def defer_durability(self) -> None:
        pass

    def make_durable(self) -> None:
        pass

    def put_investor(self, investor: Investor, at: datetime) -> None:
        self.investors_[investor.investor_id] = investor

    def get_investor(self, investor_id: str) -> Investor | None:
        return self.investors_.get(investor_id)

    def investors(self) -> list[Investor]:
        return list(self.investors_.values())

    def suspended_among(self, investor_ids: Sequence[str]) -> set[str]:
        return {i for i in investor_ids if (inv := self.investors_.get(i)) is not None
                and inv.status is InvestorStatus.SUSPENDED}

    def add_to_whitelist(self, listing_id: str, investor_ids: Sequence[str]) -> None:
        self.white.setdefault(listing_id, set()).update(investor_ids)

    def whitelist(self, listing_id: str) -> frozenset[str]:
        return frozenset(self.white.get(listing_id, set()))

    def put_registration(self, registration: Registration) -> None:
        self.regs[(registration.listing_id, registration.investor_id)] = registration

    def get_registration(self, listing_id: str, investor_id: str) -> Registration | None:
        return self.regs.get((listing_id, investor_id))

    def registrations_for(self, listing_id: str, investor_ids: Sequence[str]) -> dict[str, Registration]:
        return {i: r for i in investor_ids if (r := self.regs.get((listing_id, i))) is not None}

    def put_deposit(self, deposit: Deposit) -> None:
        self.deps[deposit.deposit_id] = deposit

    def deposits(self, listing_id: str | None = None) -> list[Deposit]:
        return [d for d in self.deps.values() if listing_id is None or d.listing_id == listing_id]

    def add_movement(self, movement: Movement) -> None:
        self.moves.append(movement)

    def movements(self, listing_id: str | None = None) -> list[Movement]:
        return [m for m in self.moves if listing_id is None or self.deps[m.deposit_id].listing_id == listing_id]

    def log_view(self, view: ViewRecord) -> None:
        self.views_.append(view)

    def views(self, listing_id: str) -> list[ViewRecord]:
        return [v for v in self.views_ if v.listing_id == listing_id]

    def put_settlement(self, settlement: Settlement) -> None:
        self.settlements[settlement.listing_id] = settlement

    def get_settlement(self, listing_id: str) -> Settlement | None:
        return self.settlements.get(listing_id)

    def transfer_ownership(self, loan_ids: Sequence[str], owner_id: str, listing_id: str, at: datetime,
                           retransfer_barred: bool) -> None:
        for i in loan_ids:
            self.owners[i] = (owner_id, retransfer_barred)

    def owner_of(self, loan_id: str) -> tuple[str, bool] | None:
        return self.owners.get(loan_id)

    def retransfer_barred(self, loan_ids: Sequence[str]) -> set[str]:
        return {i for i in loan_ids if self.owners.get(i, ("", False))[1]}

    def clearing_ratios(self) -> list[tuple[str, float]]:
        return []


class Sink(AuditSink):
    def __init__(self) -> None:
        self.events: list[Any] = []

    def append(self, events: Sequence[Any]) -> None:
        self.events.extend(events)


class FakeUoW(AbstractUnitOfWork):
    """Transactional fake: the repository is copied on entry and swapped in on commit."""

    def __init__(self, repo: FakeRepo, sink: Sink) -> None:
        super().__init__()
        self.committed_repo, self.sink = repo, sink
        self.work: FakeRepo | None = None

    def __enter__(self) -> FakeUoW:
        super().__enter__()
        self.work = copy.deepcopy(self.committed_repo)
        return self

    def get(self, port: type) -> Any:
        assert port is MarketRepository and self.work is not None
        return self.work

    def audit_sink(self) -> AuditSink:
        return self.sink

    def _commit(self) -> None:
        assert self.work is not None
        self.committed_repo.__dict__.update(self.work.__dict__)

    def _rollback(self) -> None:
        self.work = None


@pytest.fixture
def world():
    repo, sink = FakeRepo(), Sink()
    now = [T0]
    return repo, sink, (lambda: FakeUoW(repo, sink)), now


def test_a_full_auction_records_one_event_per_accepted_bid_and_balances_the_deposits(world):
    repo, sink, uow, now = world
    clock = lambda: now[0]  # noqa: E731
    assets = [PoolAsset(f"L{i}", AssetClass.CORPORATE, Decimal(100), Decimal(0), 100, "110105") for i in range(3)]
    lid = svc.register_listing(uow(), svc.ListingDraft(
        title="t", seller="S", seller_code="SS", channel=Channel.COMMERCIAL, assets=assets,
        starting_price=Decimal(100), increment=Decimal(10), opens_at=T0, closes_at=T0 + timedelta(hours=1)),
        clock=clock)
    for i in "AB":
        svc.onboard_investor(uow(), Investor(i, i, InvestorType.PRIVATE_FUND, documents=DOCS), clock=clock)
        svc.register_bidder(uow(), lid, i, clock=clock)
    before = len(sink.events)
    now[0] = T0 + timedelta(minutes=10)
    svc.place_bid(uow(), lid, "A", max_amount=Decimal(200), clock=clock)
    svc.place_bid(uow(), lid, "B", Decimal(150), clock=clock)       # A's proxy answers at 160
    with pytest.raises(BidRejected):
        svc.place_bid(uow(), lid, "B", Decimal(155), clock=clock)   # below the minimum 170: nothing recorded
    placed = [e for e in sink.events[before:] if e.event_type == "market.bid_placed"]
    assert [(e.bidder_id, e.amount, e.automatic) for e in placed] == [
        ("A", Decimal(100), False), ("B", Decimal(150), False), ("A", Decimal(160), True)]
    assert len(repo.bids(lid)) == len(placed)
    now[0] = T0 + timedelta(hours=1)
    assert svc.close_auction(uow(), lid, clock=clock)["winner_id"] == "A"
    report = settle.deposit_report(uow(), lid)
    assert report["problems"] == [] and report["balances"]["frozen"] == "5.00"
    kinds = [e.event_type for e in sink.events]
    assert kinds.count("market.deposit_moved") == 3 and kinds[-1] == "market.auction_closed"


def test_an_ineligible_registration_changes_nothing(world):
    repo, sink, uow, now = world
    assets = [PoolAsset(f"L{i}", AssetClass.PERSONAL_UNSECURED, Decimal(100), Decimal(0), 100, "110105")
              for i in range(3)]
    lid = svc.register_listing(uow(), svc.ListingDraft(
        title="t", seller="S", seller_code="SS", channel=Channel.RETAIL_BATCH, assets=assets,
        starting_price=Decimal(100), increment=Decimal(10), opens_at=T0, closes_at=T0 + timedelta(hours=1)),
        clock=lambda: now[0])
    svc.onboard_investor(uow(), Investor("F", "F", InvestorType.PRIVATE_FUND, documents=DOCS))
    events = len(sink.events)
    with pytest.raises(Exception, match="may not buy personal_unsecured"):
        svc.register_bidder(uow(), lid, "F", clock=lambda: now[0])
    assert repo.deposits(lid) == [] and repo.regs == {} and len(sink.events) == events


def _lot_with_bidders(bidders: str) -> tuple[FakeRepo, Any, str]:
    repo, sink = FakeRepo(), Sink()

    def uow() -> FakeUoW:
        return FakeUoW(repo, sink)

    assets = [PoolAsset(f"L{i}", AssetClass.CORPORATE, Decimal(100), Decimal(0), 100, "110105") for i in range(3)]
    lid = svc.register_listing(uow(), svc.ListingDraft(
        title="t", seller="S", seller_code="SS", channel=Channel.COMMERCIAL, assets=assets,
        starting_price=Decimal(100), increment=Decimal(10), opens_at=T0, closes_at=T0 + timedelta(minutes=20)),
        clock=lambda: T0)
    for i in bidders:
        svc.onboard_investor(uow(), Investor(i, i, InvestorType.PRIVATE_FUND, documents=DOCS), clock=lambda: T0)
        svc.register_bidder(uow(), lid, i, clock=lambda: T0)
    return repo, uow, lid


BID = st.tuples(st.sampled_from("ABCZ"), st.integers(8, 40), st.booleans(), st.integers(0, 200))


@settings(max_examples=40, deadline=None)
@given(st.lists(BID, min_size=1, max_size=25))
def test_a_batch_of_bids_ends_exactly_where_the_same_bids_one_by_one_end(bids):
    """The sequencer's group commit changes nothing in the outcome: same bids stored, same lot state."""
    requests, t = [], T0
    for who, tens, proxy, wait in bids:
        t += timedelta(seconds=wait)
        amount = Decimal(tens * 10)
        requests.append(svc.BidRequest(who, None if proxy else amount, amount if proxy else None, t))
    batch_repo, batch_uow, lid = _lot_with_bidders("ABC")
    outcomes = svc.apply_bids(batch_uow(), lid, requests)
    one_repo, one_uow, lid2 = _lot_with_bidders("ABC")
    singles = [svc.apply_bids(one_uow(), lid2, [r])[0] for r in requests]
    assert [type(o).__name__ for o in outcomes] == [type(o).__name__ for o in singles]
    assert batch_repo.bids(lid) == one_repo.bids(lid2)
    assert batch_repo.get_lot(lid).state == one_repo.get_lot(lid2).state  # type: ignore[union-attr]
    assert all(o.code == "not_registered" for o, r in zip(outcomes, requests)
               if isinstance(o, BidRejected) and r.bidder_id == "Z")
