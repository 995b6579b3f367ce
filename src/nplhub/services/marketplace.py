"""Marketplace use cases: list, onboard, register, disclose, bid, close, settle, relist.

Each function takes a unit of work and a clock (server time, UTC); the rules themselves live in
`nplhub.marketplace` and never read a clock. The bid path locks the lot first and only then reads
the clock, so bid times are monotone in the order bids are accepted (网拍规定 第20条: the time of a
bid is its arrival at the platform's server).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from nplhub.domain.errors import Conflict, DomainError, InvalidTransition, NotFound
from nplhub.domain.events import GenericEvent
from nplhub.domain.market_events import (
    AuctionClosed,
    BidPlaced,
    DataRoomViewed,
    DepositMoved,
    InvestorOnboarded,
    ListingRegistered,
    NdaAccepted,
    SettlementAdvanced,
)
from nplhub.marketplace.auction import (
    AcceptedBid,
    AuctionFormat,
    AuctionRules,
    BidOrder,
    BidRejected,
    LotState,
    LotStatus,
    Result,
    check_bid_amount,
    close,
    submit,
)
from nplhub.marketplace.deposits import (
    CENT,
    COMMERCIAL_DEPOSIT,
    Deposit,
    DepositRule,
    freeze_movement,
    settle_movement,
)
from nplhub.marketplace.disclosure import Role, Stage, access_for, disclose
from nplhub.marketplace.investors import Channel, Investor, check_eligibility
from nplhub.marketplace.judicial import JudicialRules, JudicialTerms
from nplhub.marketplace.listing import (
    BidderCircle,
    Listing,
    ListingRegistry,
    ListingStatus,
    PoolAsset,
    Schedule,
)
from nplhub.marketplace.settlement import Settlement, SettlementTerms
from nplhub.services.market_ports import LotRecord, MarketRepository, Registration, ViewRecord
from nplhub.services.ports import AbstractUnitOfWork, SnapshotReader, require

Clock = Callable[[], datetime]


def yuan(amount: Decimal | None) -> str | None:
    """A money amount as the API and CLI show it: yuan with two decimals ("1000000.00")."""
    return None if amount is None else str(Decimal(amount).quantize(CENT))


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ListingDraft:
    """What a seller submits to list a package."""

    title: str
    seller: str
    seller_code: str
    channel: Channel
    assets: Sequence[PoolAsset]
    starting_price: Decimal
    increment: Decimal
    opens_at: datetime
    closes_at: datetime
    reserve: Decimal | None = None          # None: the starting price
    reserve_public: bool = True
    auction_format: AuctionFormat = AuctionFormat.ENGLISH
    circle: BidderCircle = BidderCircle.OPEN
    whitelist: Sequence[str] = ()
    documents: Sequence[str] = ()
    deposit: Decimal | None = None
    deposit_rule: DepositRule = COMMERCIAL_DEPOSIT
    proxy_allowed: bool = True
    buy_now_price: Decimal | None = None
    dutch_step: Decimal = Decimal(0)
    dutch_interval: timedelta = timedelta(hours=1)
    snapshot_id: str | None = None
    relist_of: str | None = None
    judicial: JudicialTerms | None = None
    soft_close_window: timedelta = timedelta(minutes=5)
    extension: timedelta = timedelta(minutes=5)


def _repo(uow: AbstractUnitOfWork) -> MarketRepository:
    return uow.get(MarketRepository)  # type: ignore[type-abstract]


def _lot(repo: MarketRepository, listing_id: str, lock: bool = False) -> LotRecord:
    lot = repo.get_lot(listing_id, lock=lock)
    if lot is None:
        raise NotFound(f"listing {listing_id} not found")
    return lot


def _rules_for(draft: ListingDraft, judicial_rules: JudicialRules) -> tuple[AuctionRules, DepositRule]:
    if draft.judicial is not None:
        return draft.judicial.auction_rules(judicial_rules), judicial_rules.deposit_rule()
    rules = AuctionRules(
        format=draft.auction_format, starting_price=draft.starting_price,
        reserve=draft.starting_price if draft.reserve is None else draft.reserve, increment=draft.increment,
        opens_at=draft.opens_at, closes_at=draft.closes_at, soft_close_window=draft.soft_close_window,
        extension=draft.extension, proxy_allowed=draft.proxy_allowed, dutch_step=draft.dutch_step,
        dutch_interval=draft.dutch_interval, buy_now_price=draft.buy_now_price)
    return rules, draft.deposit_rule


def register_listing(uow: AbstractUnitOfWork, draft: ListingDraft, *, clock: Clock = utc_now,
                     judicial_rules: JudicialRules = JudicialRules()) -> str:
    """List a package: unique project and asset codes, pool statistics, terms checked; returns its id."""
    now = clock()
    rules, deposit_rule = _rules_for(draft, judicial_rules)
    if draft.judicial is not None:
        deposit = draft.judicial.deposit   # set by the court within 第17条's bounds, checked in the terms
    else:
        deposit = draft.deposit if draft.deposit is not None else deposit_rule.amount(rules.starting_price)
    deposit_rule.check(deposit, rules.starting_price)
    with uow:
        repo = _repo(uow)
        registry = ListingRegistry(repo.issued_project_codes(), repo.live_loan_ids())
        loan_ids = [a.loan_id for a in draft.assets]
        registry.reserve_loans(loan_ids)
        barred = sorted(repo.retransfer_barred(loan_ids))
        if barred and draft.channel is not Channel.JUDICIAL_AUCTION:
            raise Conflict(f"loans bought in a retail-batch transfer may not be re-transferred: {', '.join(barred[:5])}")
        code = registry.next_project_code(draft.seller_code, now.date())
        listing = Listing(
            listing_id=code, project_code=code, title=draft.title, seller=draft.seller, channel=draft.channel.value,
            assets=tuple(draft.assets), asset_codes=ListingRegistry.asset_codes(code, len(draft.assets)),
            starting_price=rules.starting_price, reserve=rules.reserve, reserve_public=draft.reserve_public,
            increment=rules.increment, schedule=Schedule(rules.opens_at, rules.closes_at), circle=draft.circle,
            auction_format=rules.format.value, documents=tuple(draft.documents),
            whitelist=frozenset(draft.whitelist), relist_of=draft.relist_of, buy_now_price=rules.buy_now_price,
            deposit=deposit)
        stats = listing.statistics
        repo.add_listing(listing, rules, now, snapshot_id=draft.snapshot_id,
                         retransfer_barred=draft.channel is Channel.RETAIL_BATCH,
                         judicial_round=None if draft.judicial is None else draft.judicial.round,
                         reference_price=None if draft.judicial is None else draft.judicial.reference_price)
        uow.record(ListingRegistered(code, code, draft.seller, draft.channel.value, rules.format.value,
                                     stats.asset_count, stats.claim, rules.starting_price, rules.opens_at,
                                     rules.closes_at, draft.relist_of))
        uow.commit()
    return code


def onboard_investor(uow: AbstractUnitOfWork, investor: Investor, *, approve: bool = True,
                     clock: Clock = utc_now) -> Investor:
    """Register an investor with its type and documents; approve it when the documents are complete."""
    if approve:
        investor = investor.approve()
    with uow:
        repo = _repo(uow)
        repo.put_investor(investor, clock())
        uow.record(InvestorOnboarded(investor.investor_id, investor.investor_type.value, investor.status.value))
        uow.commit()
    return investor


def suspend_investor(uow: AbstractUnitOfWork, investor_id: str, reason: str, *, clock: Clock = utc_now) -> Investor:
    """Suspend an investor: from now on every bid of theirs is refused (code `suspended`)."""
    return _change_status(uow, investor_id, reason, clock, suspend=True)


def reinstate_investor(uow: AbstractUnitOfWork, investor_id: str, reason: str, *, clock: Clock = utc_now) -> Investor:
    """Lift an investor's suspension (its documents must still be complete)."""
    return _change_status(uow, investor_id, reason, clock, suspend=False)


def _change_status(uow: AbstractUnitOfWork, investor_id: str, reason: str, clock: Clock, *, suspend: bool) -> Investor:
    if not reason.strip():
        raise DomainError("say why: a suspension or reinstatement needs a reason, which the audit ledger keeps")
    with uow:
        repo = _repo(uow)
        investor = require(repo.get_investor(investor_id), f"investor {investor_id}")
        changed = investor.suspend() if suspend else investor.reinstate()
        repo.put_investor(changed, clock())
        uow.record(GenericEvent(kind="market.investor_suspended" if suspend else "market.investor_reinstated",
                                subject=investor_id, data={"reason": reason.strip(), "status": changed.status.value}))
        uow.commit()
    return changed


def _eligibility(repo: MarketRepository, lot: LotRecord, investor: Investor) -> None:
    assets = [a for _, a in repo.assets(lot.listing_id)]
    whitelist = repo.whitelist(lot.listing_id) if lot.circle == BidderCircle.INVITED.value else None
    decision = check_eligibility(investor, Channel(lot.channel), {a.asset_class for a in assets},
                                 [a.region for a in assets], whitelist=whitelist, asset_count=len(assets))
    if not decision.allowed:
        raise DomainError(f"investor {investor.investor_id} may not take part in {lot.listing_id}: "
                          + "; ".join(decision.reasons))


def accept_nda(uow: AbstractUnitOfWork, listing_id: str, investor_id: str, *, clock: Clock = utc_now) -> Registration:
    """The investor accepts the NDA; an eligible, approved investor is admitted to the data room."""
    now = clock()
    with uow:
        repo = _repo(uow)
        lot = _lot(repo, listing_id)
        investor = repo.get_investor(investor_id)
        if investor is None:
            raise NotFound(f"investor {investor_id} not found")
        _eligibility(repo, lot, investor)
        reg = repo.get_registration(listing_id, investor_id) or Registration(listing_id, investor_id, now)
        reg = replace(reg, nda_accepted_at=now, approved=True)
        repo.put_registration(reg)
        uow.record(NdaAccepted(listing_id, investor_id, now))
        uow.commit()
    return reg


def grant_loan_level(uow: AbstractUnitOfWork, listing_id: str, investor_id: str) -> None:
    """The seller opens the loan-level tape to an admitted investor."""
    with uow:
        repo = _repo(uow)
        reg = repo.get_registration(listing_id, investor_id)
        if reg is None or reg.nda_accepted_at is None or not reg.approved:
            raise InvalidTransition(f"investor {investor_id} has not accepted the NDA of {listing_id}")
        repo.put_registration(replace(reg, loan_level=True))
        uow.record(GenericEvent(kind="market.loan_level_granted", subject=listing_id, data={"investor_id": investor_id}))
        uow.commit()


def register_bidder(uow: AbstractUnitOfWork, listing_id: str, investor_id: str, *,
                    preemption_order: int | None = None, clock: Clock = utc_now) -> Registration:
    """Freeze the deposit and give the investor a bidder code (allowed until bidding ends, 第18条)."""
    now = clock()
    with uow:
        repo = _repo(uow)
        lot = _lot(repo, listing_id)
        if lot.state.status is not LotStatus.OPEN or now >= lot.state.ends_at:
            raise InvalidTransition(f"registration for {listing_id} closed when bidding ended")
        investor = repo.get_investor(investor_id)
        if investor is None:
            raise NotFound(f"investor {investor_id} not found")
        _eligibility(repo, lot, investor)
        reg = repo.get_registration(listing_id, investor_id) or Registration(listing_id, investor_id, now,
                                                                              approved=True)
        if reg.barred:
            raise DomainError(f"investor {investor_id} is barred from {listing_id} (悔拍, 法释〔2016〕18号 第24条)")
        if reg.bidder_code is not None:
            raise Conflict(f"investor {investor_id} is already registered for {listing_id}")
        deposit = Deposit(f"{listing_id}:{investor_id}", listing_id, investor_id, lot.deposit, now)
        repo.put_deposit(deposit)
        movement = freeze_movement(deposit)
        repo.add_movement(movement)
        code = "B" + hashlib.sha256(f"{listing_id}|{investor_id}".encode()).hexdigest()[:8].upper()
        reg = replace(reg, approved=True, preemption_order=preemption_order, bidder_code=code)
        repo.put_registration(reg)
        uow.record(DepositMoved(deposit.deposit_id, listing_id, investor_id, "freeze", deposit.amount, now))
        uow.commit()
    return reg


def view_listing(uow: AbstractUnitOfWork, listing_id: str, viewer_id: str, role: Role, *,
                 loan_rows: Callable[[list[PoolAsset]], list[Mapping[str, Any]]] | None = None,
                 clock: Clock = utc_now) -> dict[str, Any]:
    """The staged view of a listing for a viewer; every view beyond the teaser is logged."""
    now = clock()
    with uow:
        repo = _repo(uow)
        lot = _lot(repo, listing_id)
        reg = repo.get_registration(listing_id, viewer_id) if role is Role.BUYER else None
        settlement = repo.get_settlement(listing_id)
        delivered = (settlement is not None and settlement.buyer_id == viewer_id
                     and settlement.delivered_at is not None)
        if role is Role.SELLER and viewer_id != lot.seller:
            role = Role.PUBLIC
        access = access_for(role, nda_accepted=bool(reg and reg.nda_accepted_at), approved=bool(reg and reg.approved),
                            loan_level_granted=bool(reg and reg.loan_level), delivered_to_viewer=delivered)
        rows: list[Mapping[str, Any]] | None = None
        if access.loan_level:
            pairs = repo.assets(listing_id)
            assets = [a for _, a in pairs]
            rows = loan_rows(assets) if loan_rows is not None else _tape_rows(uow, lot.snapshot_id, pairs)
        view = disclose(access, lot.statistics, rows)
        view.update(listing_summary(lot))
        if access.stage is not Stage.TEASER:
            record = ViewRecord(listing_id, viewer_id, role.value, access.stage.value, len(rows or []),
                                access.clear_pii, now)
            repo.log_view(record)
            uow.record(DataRoomViewed(listing_id, viewer_id, role.value, access.stage.value, len(rows or []),
                                      access.clear_pii, now))
            uow.commit()
    return view


PII_COLUMNS = ("name", "id_number", "phone", "address")


def _tape_rows(uow: AbstractUnitOfWork, snapshot_id: str | None,
               pairs: list[tuple[str, PoolAsset]]) -> list[Mapping[str, Any]]:
    """Loan rows of a listing, with the borrower's personal data from the data hub's snapshot
    (masked afterwards by `disclose` unless the viewer is entitled to see it in clear)."""
    borrowers: dict[str, dict[str, Any]] = {}
    if snapshot_id is not None:
        try:
            frame = uow.get(SnapshotReader).frames(  # type: ignore[type-abstract]
                snapshot_id, ["counterparties"])["counterparties"]
        except LookupError:
            frame = None
        if frame is not None:
            wanted = {a.borrower_ref for _, a in pairs}
            for rec in frame.to_dict(orient="records"):
                if rec.get("counterparty_id") in wanted:
                    borrowers[str(rec["counterparty_id"])] = {k: rec.get(k) for k in PII_COLUMNS
                                                              if isinstance(rec.get(k), str)}
    return [{"asset_code": c, "loan_id": a.loan_id, "asset_class": a.asset_class.value,
             "principal": str(a.principal), "interest": str(a.interest), "days_past_due": a.days_past_due,
             "region": a.region, "collateral_type": a.collateral_type, **borrowers.get(a.borrower_ref, {})}
            for c, a in pairs]


def listing_summary(lot: LotRecord) -> dict[str, Any]:
    rules, state = lot.rules, lot.state
    sealed = rules.format.sealed
    return {
        "listing_id": lot.listing_id, "project_code": lot.project_code, "title": lot.title, "seller": lot.seller,
        "channel": lot.channel, "format": rules.format.value, "status": lot.status, "lot_status": state.status.value,
        "starting_price": str(rules.starting_price),
        "reserve": str(rules.reserve) if lot.reserve_public else None,
        "reserve_met": None if state.price is None else state.price >= rules.reserve,
        "increment": str(rules.increment), "deposit": str(lot.deposit),
        "opens_at": rules.opens_at.isoformat(), "ends_at": state.ends_at.isoformat(),
        "price": None if (state.price is None or (sealed and state.status is LotStatus.OPEN)) else yuan(state.price),
        "leader": None if sealed and state.status is LotStatus.OPEN else state.leader_id,
        "bids": state.bid_count, "circle": lot.circle,
    }


def list_listings(uow: AbstractUnitOfWork, status: str | None = None) -> list[dict[str, Any]]:
    """Every listing (or those in `status`) as its public summary: the CLI, API and web all show this."""
    with uow:
        lots = _repo(uow).lots(status)
    return [listing_summary(lot) for lot in lots]


@dataclass(frozen=True)
class BidReceipt:
    listing_id: str
    accepted: tuple[AcceptedBid, ...]
    price: Decimal | None
    leader_id: str | None
    ends_at: datetime
    status: str
    result: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BidRequest:
    """One bid as the server received it; `arrived_at` is the server time of arrival, if stamped."""

    bidder_id: str
    amount: Decimal | None = None
    max_amount: Decimal | None = None
    arrived_at: datetime | None = None


def apply_bids(uow: AbstractUnitOfWork, listing_id: str, requests: Sequence[BidRequest], *,
               clock: Clock = utc_now, durable: bool = True) -> list[BidReceipt | BidRejected]:
    """Apply bids to one lot in one unit of work, in the given order: one row lock, one commit.

    Each request gets its receipt or its refusal; a refused bid changes nothing. A bid's time is
    its arrival (or the clock after the lock), never earlier than the lot's last stored bid, so bid
    times follow the acceptance order. The caller commits nothing: this function commits. With
    `durable=False` the commit may return before the log flush: the caller (the sequencer) must
    acknowledge the bids only after a later `make_durable` commit."""
    out: list[BidReceipt | BidRejected] = []
    with uow:
        repo = _repo(uow)
        lot = _lot(repo, listing_id, lock=True)
        rules, state, status = lot.rules, lot.state, lot.status
        sealed = rules.format.sealed
        floor = lot.last_bid_at
        bidders = sorted({r.bidder_id for r in requests})
        regs = repo.registrations_for(listing_id, bidders)
        suspended = repo.suspended_among(bidders)
        bid_by: set[str] = set()
        accepted_all: list[AcceptedBid] = []
        result: dict[str, Any] = {}
        for req in requests:
            now = req.arrived_at or clock()
            if floor is not None and now < floor:
                now = floor
            try:
                if req.amount is None and req.max_amount is None:
                    raise BidRejected("amount", "a bid needs an amount or a maximum (proxy bid)")
                if req.amount is not None:
                    check_bid_amount(req.amount)
                if req.max_amount is not None:
                    check_bid_amount(req.max_amount, "maximum (proxy bid)")
                reg = regs.get(req.bidder_id)
                if reg is None or reg.bidder_code is None:
                    raise BidRejected("not_registered",
                                      f"{req.bidder_id} has no frozen deposit for {listing_id} (第17、18条)")
                if reg.barred:
                    raise BidRejected("barred", f"{req.bidder_id} is barred from {listing_id} (第24条)")
                if req.bidder_id in suspended:
                    raise BidRejected("suspended", f"{req.bidder_id} is suspended from bidding on the platform")
                already = sealed and (req.bidder_id in bid_by or repo.has_bid(listing_id, req.bidder_id))
                order = BidOrder(req.bidder_id, req.amount if req.amount is not None else Decimal(0),
                                 req.max_amount, reg.preemption_order)
                outcome = submit(rules, state, order, now, already_bid=already)
            except BidRejected as exc:
                out.append(exc)
                continue
            state, floor = outcome.state, now
            bid_by.add(req.bidder_id)
            accepted_all.extend(outcome.accepted)
            for b in outcome.accepted:
                uow.record(BidPlaced(listing_id, b.seq, b.bidder_id, None if sealed else b.amount, b.placed_at,
                                     b.automatic, state.ends_at))
            if not outcome.accepted:
                uow.record(GenericEvent(kind="market.proxy_raised", subject=listing_id,
                                        data={"bidder_id": req.bidder_id, "at": now}))
            if state.status is LotStatus.SOLD and not result:   # Dutch and buy-now sell on acceptance
                status = ListingStatus.SOLD.value
                result = _finalize(uow, repo, lot, state, Result(LotStatus.SOLD, state.leader_id, state.price), now)
            out.append(BidReceipt(listing_id, outcome.accepted, None if sealed else state.price,
                                  None if sealed else state.leader_id, state.ends_at, status, result))
        if accepted_all or state != lot.state:
            repo.add_bids(listing_id, accepted_all)
            repo.save_lot(listing_id, state, status, closed_at=floor if result else None)
            if not durable:
                repo.defer_durability()
            uow.commit()
    return out


def place_bid(uow: AbstractUnitOfWork, listing_id: str, bidder_id: str, amount: Decimal | None = None, *,
              max_amount: Decimal | None = None, clock: Clock = utc_now) -> BidReceipt:
    """Place one bid (or a proxy maximum). Raises `BidRejected` and changes nothing when refused."""
    (outcome,) = apply_bids(uow, listing_id, [BidRequest(bidder_id, amount, max_amount)], clock=clock)
    if isinstance(outcome, BidRejected):
        raise outcome
    return outcome


def _settle_deposit(uow: AbstractUnitOfWork, repo: MarketRepository, deposit: Deposit, kind: str,
                    at: datetime) -> None:
    moved = {"released": deposit.release, "applied": deposit.apply, "forfeited": deposit.forfeit}[kind](at)
    repo.put_deposit(moved)
    repo.add_movement(settle_movement(moved))
    uow.record(DepositMoved(moved.deposit_id, moved.listing_id, moved.investor_id, kind, moved.amount, at))


def _finalize(uow: AbstractUnitOfWork, repo: MarketRepository, lot: LotRecord, state: LotState, result: Result,
              now: datetime) -> dict[str, Any]:
    """Release the losers' deposits at once (within the 24 hours of 第23、25条) and award the winner."""
    deposits = repo.deposits(lot.listing_id)
    winner_deposit = Decimal(0)
    for d in deposits:
        if d.status.value != "frozen":
            continue
        if d.investor_id == result.winner_id:
            winner_deposit = d.amount
        else:
            _settle_deposit(uow, repo, d, "released", now)
    if result.status is LotStatus.SOLD:
        assert result.winner_id is not None and result.price is not None
        settlement = Settlement(lot.listing_id, result.winner_id, result.price, min(winner_deposit, result.price), now,
                                SettlementTerms())
        repo.put_settlement(settlement)
        uow.record(SettlementAdvanced(lot.listing_id, result.winner_id, settlement.status.value, now, result.price))
    uow.record(AuctionClosed(lot.listing_id, result.status.value, result.winner_id, result.price, state.bid_count, now))
    return {"status": result.status.value, "winner_id": result.winner_id,
            "price": yuan(result.price)}


def close_auction(uow: AbstractUnitOfWork, listing_id: str, *, clock: Clock = utc_now) -> dict[str, Any]:
    """Close a lot at or after its (possibly extended) end: award or 流拍; deposits released."""
    with uow:
        repo = _repo(uow)
        lot = _lot(repo, listing_id, lock=True)
        now = clock()
        sealed_bids = repo.bids(listing_id) if lot.rules.format.sealed else []
        state, result = close(lot.rules, lot.state, now, sealed_bids)
        out = _finalize(uow, repo, lot, state, result, now)
        status = ListingStatus.SOLD if result.status is LotStatus.SOLD else ListingStatus.FAILED
        repo.save_lot(listing_id, state, status.value, closed_at=now)
        uow.commit()
    return out


def demo_step(ctx: Any) -> dict[str, object]:
    """The demo pipeline's marketplace step (see nplhub.services.market_demo)."""
    from nplhub.services.market_demo import run_demo

    return run_demo(ctx)
