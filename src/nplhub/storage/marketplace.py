"""SQL implementation of the marketplace repository.

The bid path reads the lot with `SELECT ... FOR UPDATE` on PostgreSQL (a row lock on the
listing, held to the end of the unit of work); on SQLite the unit of work is opened with
`immediate=True` (BEGIN IMMEDIATE takes the write lock), which serialises bids the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from nplhub.marketplace.auction import AcceptedBid, AuctionFormat, AuctionRules, LotState, LotStatus
from nplhub.marketplace.deposits import Account, Deposit, DepositStatus, Movement
from nplhub.marketplace.investors import Investor, InvestorStatus, InvestorType
from nplhub.marketplace.listing import AssetClass, Listing, PoolAsset
from nplhub.marketplace.settlement import Settlement, SettlementStatus, SettlementTerms
from nplhub.services.market_ports import LotRecord, MarketRepository, Registration, ViewRecord
from nplhub.storage.tables.marketplace import (
    market_bids,
    market_dataroom_views,
    market_deposit_movements,
    market_deposits,
    market_investors,
    market_listing_assets,
    market_listings,
    market_loan_ownership,
    market_registrations,
    market_settlements,
    market_whitelist,
)
from nplhub.storage.unit_of_work import register_repository

LIVE = ("listed", "draft")

# The latest bid's time, read with the lot (one round trip instead of two on the bid path).
_LAST_BID = (select(market_bids.c.placed_at).where(market_bids.c.listing_id == market_listings.c.listing_id)
             .order_by(market_bids.c.seq.desc()).limit(1).correlate(market_listings).scalar_subquery()
             .label("last_bid_at"))


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _at(moment: datetime | None) -> datetime:
    value = _aware(moment)
    assert value is not None
    return value


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


@register_repository(MarketRepository)
class SqlMarketRepository(MarketRepository):
    def __init__(self, connection: Connection) -> None:
        self.conn = connection
        self.postgres = connection.dialect.name == "postgresql"

    # -- listings and lots -------------------------------------------------------------------
    def issued_project_codes(self) -> list[str]:
        return list(self.conn.execute(select(market_listings.c.project_code)).scalars())

    def live_loan_ids(self) -> set[str]:
        q = (select(market_listing_assets.c.loan_id)
             .join(market_listings, market_listings.c.listing_id == market_listing_assets.c.listing_id)
             .where(market_listings.c.status.in_(LIVE)))
        return set(self.conn.execute(q).scalars())

    def add_listing(self, listing: Listing, rules: AuctionRules, created_at: datetime, *,
                    snapshot_id: str | None = None, retransfer_barred: bool = False,
                    judicial_round: int | None = None, reference_price: Decimal | None = None) -> None:
        self.conn.execute(insert(market_listings).values(
            listing_id=listing.listing_id, project_code=listing.project_code, title=listing.title,
            seller=listing.seller, channel=listing.channel, auction_format=rules.format.value,
            snapshot_id=snapshot_id, starting_price=rules.starting_price, reserve=rules.reserve,
            reserve_public=listing.reserve_public, increment=rules.increment, opens_at=rules.opens_at,
            closes_at=rules.closes_at, soft_close_s=int(rules.soft_close_window.total_seconds()),
            extension_s=int(rules.extension.total_seconds()), on_grid=rules.on_increment_grid,
            proxy_allowed=rules.proxy_allowed, dutch_step=rules.dutch_step,
            dutch_interval_s=int(rules.dutch_interval.total_seconds()), buy_now_price=rules.buy_now_price,
            deposit=listing.deposit, circle=listing.circle.value, documents=list(listing.documents),
            statistics=listing.statistics.to_dict(), retransfer_barred=retransfer_barred,
            relist_of=listing.relist_of, judicial_round=judicial_round, reference_price=reference_price,
            status=listing.status.value, created_at=created_at, lot_status=LotStatus.OPEN.value,
            ends_at=rules.closes_at, bid_count=0))
        if listing.assets:
            self.conn.execute(insert(market_listing_assets), [
                {"asset_code": code, "listing_id": listing.listing_id, "loan_id": a.loan_id,
                 "asset_class": a.asset_class.value, "principal": a.principal, "interest": a.interest,
                 "days_past_due": a.days_past_due, "region": a.region, "collateral_type": a.collateral_type,
                 "borrower_ref": a.borrower_ref}
                for code, a in zip(listing.asset_codes, listing.assets)])
        if listing.whitelist:
            self.add_to_whitelist(listing.listing_id, sorted(listing.whitelist))

    @staticmethod
    def _lot(row: Any) -> LotRecord:
        rules = AuctionRules(
            format=AuctionFormat(row.auction_format), starting_price=Decimal(row.starting_price),
            reserve=Decimal(row.reserve), increment=Decimal(row.increment), opens_at=_at(row.opens_at),
            closes_at=_at(row.closes_at), soft_close_window=timedelta(seconds=row.soft_close_s),
            extension=timedelta(seconds=row.extension_s), on_increment_grid=bool(row.on_grid),
            proxy_allowed=bool(row.proxy_allowed), dutch_step=_dec(row.dutch_step) or Decimal(0),
            dutch_interval=timedelta(seconds=row.dutch_interval_s or 3600),
            buy_now_price=_dec(row.buy_now_price))
        state = LotState(status=LotStatus(row.lot_status), ends_at=_at(row.ends_at), price=_dec(row.price),
                         leader_id=row.leader_id, leader_max=_dec(row.leader_max),
                         leader_preemption=row.leader_preemption, bid_count=int(row.bid_count))
        return LotRecord(
            listing_id=row.listing_id, project_code=row.project_code, title=row.title, seller=row.seller,
            channel=row.channel, status=row.status, rules=rules, state=state, deposit=Decimal(row.deposit),
            circle=row.circle, reserve_public=bool(row.reserve_public),
            retransfer_barred=bool(row.retransfer_barred), statistics=dict(row.statistics or {}),
            snapshot_id=row.snapshot_id, relist_of=row.relist_of, judicial_round=row.judicial_round,
            reference_price=_dec(row.reference_price), created_at=_aware(row.created_at),
            closed_at=_aware(row.closed_at), last_bid_at=_aware(row.last_bid_at))

    def get_lot(self, listing_id: str, *, lock: bool = False) -> LotRecord | None:
        q = select(market_listings, _LAST_BID).where(market_listings.c.listing_id == listing_id)
        if lock and self.postgres:
            q = q.with_for_update()
        row = self.conn.execute(q).first()
        return None if row is None else self._lot(row)

    def lots(self, status: str | None = None) -> list[LotRecord]:
        q = select(market_listings, _LAST_BID).order_by(market_listings.c.created_at,
                                                        market_listings.c.listing_id)
        if status is not None:
            q = q.where(market_listings.c.status == status)
        return [self._lot(r) for r in self.conn.execute(q)]

    def assets(self, listing_id: str) -> list[tuple[str, PoolAsset]]:
        rows = self.conn.execute(select(market_listing_assets)
                                 .where(market_listing_assets.c.listing_id == listing_id)
                                 .order_by(market_listing_assets.c.asset_code))
        return [(r.asset_code, PoolAsset(
            loan_id=r.loan_id, asset_class=AssetClass(r.asset_class), principal=Decimal(r.principal),
            interest=Decimal(r.interest), days_past_due=int(r.days_past_due), region=r.region,
            collateral_type=r.collateral_type, borrower_ref=r.borrower_ref)) for r in rows]

    def save_lot(self, listing_id: str, state: LotState, status: str, closed_at: datetime | None = None) -> None:
        values: dict[str, Any] = {
            "lot_status": state.status.value, "ends_at": state.ends_at, "price": state.price,
            "leader_id": state.leader_id, "leader_max": state.leader_max,
            "leader_preemption": state.leader_preemption, "bid_count": state.bid_count, "status": status}
        if closed_at is not None:
            values["closed_at"] = closed_at
        self.conn.execute(update(market_listings).where(market_listings.c.listing_id == listing_id).values(**values))

    def add_bids(self, listing_id: str, bids: Sequence[AcceptedBid]) -> None:
        if not bids:
            return
        if self.postgres:  # one statement for the whole batch, its text constant (prepared once)
            self.conn.exec_driver_sql(
                "INSERT INTO market_bids (listing_id, seq, bidder_id, amount, placed_at, automatic, preemption_order) "
                "SELECT * FROM unnest(%s::varchar[], %s::int[], %s::varchar[], %s::numeric[], %s::timestamptz[], "
                "%s::bool[], %s::int[])",
                ([listing_id] * len(bids), [b.seq for b in bids], [b.bidder_id for b in bids],
                 [b.amount for b in bids], [b.placed_at for b in bids], [b.automatic for b in bids],
                 [b.preemption_order for b in bids]))
            return
        self.conn.execute(insert(market_bids), [
            {"listing_id": listing_id, "seq": b.seq, "bidder_id": b.bidder_id, "amount": b.amount,
             "placed_at": b.placed_at, "automatic": b.automatic, "preemption_order": b.preemption_order}
            for b in bids])

    def bids(self, listing_id: str) -> list[AcceptedBid]:
        rows = self.conn.execute(select(market_bids).where(market_bids.c.listing_id == listing_id)
                                 .order_by(market_bids.c.seq))
        return [AcceptedBid(int(r.seq), r.bidder_id, Decimal(r.amount), _at(r.placed_at), bool(r.automatic),
                            r.preemption_order) for r in rows]

    def has_bid(self, listing_id: str, bidder_id: str) -> bool:
        q = select(market_bids.c.seq).where(market_bids.c.listing_id == listing_id,
                                            market_bids.c.bidder_id == bidder_id).limit(1)
        return self.conn.execute(q).first() is not None

    def last_bid_time(self, listing_id: str) -> datetime | None:
        q = (select(market_bids.c.placed_at).where(market_bids.c.listing_id == listing_id)
             .order_by(market_bids.c.seq.desc()).limit(1))
        return _aware(self.conn.execute(q).scalar_one_or_none())

    def defer_durability(self) -> None:
        if self.postgres:
            self.conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")

    def make_durable(self) -> None:
        if self.postgres:  # an assigned transaction id makes the commit write a record and wait for its flush
            self.conn.exec_driver_sql("SELECT txid_current()")

    # -- investors and registrations -------------------------------------------------------------
    def put_investor(self, investor: Investor, at: datetime) -> None:
        values = {"name": investor.name, "investor_type": investor.investor_type.value,
                  "province": investor.province, "documents": sorted(investor.documents),
                  "status": investor.status.value, "barred": investor.barred}
        done = self.conn.execute(update(market_investors)
                                 .where(market_investors.c.investor_id == investor.investor_id).values(**values))
        if done.rowcount == 0:
            self.conn.execute(insert(market_investors).values(investor_id=investor.investor_id, created_at=at,
                                                              **values))

    @staticmethod
    def _investor(r: Any) -> Investor:
        return Investor(r.investor_id, r.name, InvestorType(r.investor_type), r.province,
                        frozenset(r.documents or ()), InvestorStatus(r.status), bool(r.barred))

    def get_investor(self, investor_id: str) -> Investor | None:
        r = self.conn.execute(select(market_investors).where(market_investors.c.investor_id == investor_id)).first()
        return None if r is None else self._investor(r)

    def investors(self) -> list[Investor]:
        return [self._investor(r) for r in
                self.conn.execute(select(market_investors).order_by(market_investors.c.investor_id))]

    def add_to_whitelist(self, listing_id: str, investor_ids: Sequence[str]) -> None:
        have = self.whitelist(listing_id)
        new = [{"listing_id": listing_id, "investor_id": i} for i in dict.fromkeys(investor_ids) if i not in have]
        if new:
            self.conn.execute(insert(market_whitelist), new)

    def whitelist(self, listing_id: str) -> frozenset[str]:
        return frozenset(self.conn.execute(select(market_whitelist.c.investor_id)
                                           .where(market_whitelist.c.listing_id == listing_id)).scalars())

    def put_registration(self, registration: Registration) -> None:
        r = registration
        values = {"registered_at": r.registered_at, "nda_accepted_at": r.nda_accepted_at, "approved": r.approved,
                  "loan_level": r.loan_level, "preemption_order": r.preemption_order, "barred": r.barred,
                  "bidder_code": r.bidder_code}
        done = self.conn.execute(update(market_registrations).where(
            market_registrations.c.listing_id == r.listing_id,
            market_registrations.c.investor_id == r.investor_id).values(**values))
        if done.rowcount == 0:
            self.conn.execute(insert(market_registrations).values(listing_id=r.listing_id, investor_id=r.investor_id,
                                                                  **values))

    def get_registration(self, listing_id: str, investor_id: str) -> Registration | None:
        return self.registrations_for(listing_id, [investor_id]).get(investor_id)

    def suspended_among(self, investor_ids: Sequence[str]) -> set[str]:
        rows = self.conn.execute(select(market_investors.c.investor_id).where(
            market_investors.c.investor_id.in_(list(investor_ids)),
            market_investors.c.status == InvestorStatus.SUSPENDED.value))
        return {r.investor_id for r in rows}

    def registrations_for(self, listing_id: str, investor_ids: Sequence[str]) -> dict[str, Registration]:
        rows = self.conn.execute(select(market_registrations).where(
            market_registrations.c.listing_id == listing_id,
            market_registrations.c.investor_id.in_(list(investor_ids))))
        return {r.investor_id: self._registration(r) for r in rows}

    @staticmethod
    def _registration(r: Any) -> Registration:
        return Registration(r.listing_id, r.investor_id, _at(r.registered_at), _aware(r.nda_accepted_at),
                            bool(r.approved), bool(r.loan_level), r.preemption_order, bool(r.barred),
                            r.bidder_code)

    # -- deposits ----------------------------------------------------------------------------------
    def put_deposit(self, deposit: Deposit) -> None:
        values = {"listing_id": deposit.listing_id, "investor_id": deposit.investor_id, "amount": deposit.amount,
                  "status": deposit.status.value, "frozen_at": deposit.frozen_at, "settled_at": deposit.settled_at}
        done = self.conn.execute(update(market_deposits)
                                 .where(market_deposits.c.deposit_id == deposit.deposit_id).values(**values))
        if done.rowcount == 0:
            self.conn.execute(insert(market_deposits).values(deposit_id=deposit.deposit_id, **values))

    def deposits(self, listing_id: str | None = None) -> list[Deposit]:
        q = select(market_deposits).order_by(market_deposits.c.deposit_id)
        if listing_id is not None:
            q = q.where(market_deposits.c.listing_id == listing_id)
        return [Deposit(r.deposit_id, r.listing_id, r.investor_id, Decimal(r.amount), _at(r.frozen_at),
                        DepositStatus(r.status), _aware(r.settled_at)) for r in self.conn.execute(q)]

    def add_movement(self, movement: Movement) -> None:
        self.conn.execute(insert(market_deposit_movements).values(
            deposit_id=movement.deposit_id, debit=movement.debit.value, credit=movement.credit.value,
            amount=movement.amount, at=movement.at, reason=movement.reason))

    def movements(self, listing_id: str | None = None) -> list[Movement]:
        m = market_deposit_movements
        q = select(m).order_by(m.c.id)
        if listing_id is not None:
            q = q.join(market_deposits, market_deposits.c.deposit_id == m.c.deposit_id).where(
                market_deposits.c.listing_id == listing_id)
        return [Movement(r.deposit_id, Account(r.debit), Account(r.credit), Decimal(r.amount), _at(r.at), r.reason)
                for r in self.conn.execute(q)]

    # -- disclosure log ----------------------------------------------------------------------------
    def log_view(self, view: ViewRecord) -> None:
        v = market_dataroom_views
        self.conn.execute(insert(v).values(listing_id=view.listing_id, viewer_id=view.viewer_id, role=view.role,
                                           stage=view.stage, rows=view.rows, clear_pii=view.clear_pii, at=view.at))

    def views(self, listing_id: str) -> list[ViewRecord]:
        v = market_dataroom_views
        rows = self.conn.execute(select(v).where(v.c.listing_id == listing_id).order_by(v.c.id))
        return [ViewRecord(r.listing_id, r.viewer_id, r.role, r.stage, int(r.rows), bool(r.clear_pii), _at(r.at))
                for r in rows]

    # -- settlement and ownership ------------------------------------------------------------------
    def put_settlement(self, settlement: Settlement) -> None:
        s = settlement
        values = {"buyer_id": s.buyer_id, "price": s.price, "deposit": s.deposit, "awarded_at": s.awarded_at,
                  "contract_within_s": int(s.terms.contract_within.total_seconds()),
                  "payment_within_s": int(s.terms.payment_within.total_seconds()), "status": s.status.value,
                  "contracted_at": s.contracted_at, "paid_at": s.paid_at, "paid": s.paid,
                  "delivered_at": s.delivered_at, "defaulted_at": s.defaulted_at}
        done = self.conn.execute(update(market_settlements)
                                 .where(market_settlements.c.listing_id == s.listing_id).values(**values))
        if done.rowcount == 0:
            self.conn.execute(insert(market_settlements).values(listing_id=s.listing_id, **values))

    def get_settlement(self, listing_id: str) -> Settlement | None:
        r = self.conn.execute(select(market_settlements)
                              .where(market_settlements.c.listing_id == listing_id)).first()
        if r is None:
            return None
        terms = SettlementTerms(timedelta(seconds=r.contract_within_s), timedelta(seconds=r.payment_within_s))
        return Settlement(r.listing_id, r.buyer_id, Decimal(r.price), Decimal(r.deposit), _at(r.awarded_at), terms,
                          SettlementStatus(r.status), _aware(r.contracted_at), _aware(r.paid_at), Decimal(r.paid),
                          _aware(r.delivered_at), _aware(r.defaulted_at))

    def transfer_ownership(self, loan_ids: Sequence[str], owner_id: str, listing_id: str, at: datetime,
                           retransfer_barred: bool) -> None:
        o = market_loan_ownership
        existing = set(self.conn.execute(select(o.c.loan_id).where(o.c.loan_id.in_(list(loan_ids)))).scalars()) \
            if loan_ids else set()
        values = {"owner_id": owner_id, "listing_id": listing_id, "transferred_at": at,
                  "retransfer_barred": retransfer_barred}
        if existing:
            self.conn.execute(update(o).where(o.c.loan_id.in_(sorted(existing))).values(**values))
        new = [{"loan_id": i, **values} for i in loan_ids if i not in existing]
        if new:
            self.conn.execute(insert(o), new)

    def owner_of(self, loan_id: str) -> tuple[str, bool] | None:
        o = market_loan_ownership
        r = self.conn.execute(select(o.c.owner_id, o.c.retransfer_barred).where(o.c.loan_id == loan_id)).first()
        return None if r is None else (r.owner_id, bool(r.retransfer_barred))

    def retransfer_barred(self, loan_ids: Sequence[str]) -> set[str]:
        o = market_loan_ownership
        ids = list(dict.fromkeys(loan_ids))
        found: set[str] = set()
        for start in range(0, len(ids), 900):
            found.update(self.conn.execute(select(o.c.loan_id).where(
                o.c.loan_id.in_(ids[start:start + 900]), o.c.retransfer_barred.is_(True))).scalars())
        return found

    def clearing_ratios(self) -> list[tuple[str, float]]:
        rows = self.conn.execute(select(market_listings.c.statistics, market_listings.c.price)
                                 .where(market_listings.c.status == "sold"))
        out: list[tuple[str, float]] = []
        for r in rows:
            stats = r.statistics or {}
            claim = float(stats.get("claim") or 0)
            classes = stats.get("asset_classes") or {}
            if claim > 0 and r.price is not None and classes:
                out.append((max(classes, key=lambda k: classes[k]), float(r.price) / claim))
        return out

    def count_bids(self, listing_id: str) -> int:
        return int(self.conn.execute(select(func.count()).select_from(market_bids)
                                     .where(market_bids.c.listing_id == listing_id)).scalar_one())
