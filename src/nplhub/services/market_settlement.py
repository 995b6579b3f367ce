"""Marketplace use cases after the hammer: settlement, default and relisting, deposit reports,
matching and the auction design advisor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from nplhub.domain.errors import DomainError, InvalidTransition, NotFound
from nplhub.domain.market_events import OwnershipTransferred, SettlementAdvanced
from nplhub.marketplace.auction import AuctionFormat
from nplhub.marketplace.deposits import CENT, Account, DepositLedger
from nplhub.marketplace.investors import Channel
from nplhub.marketplace.judicial import JudicialRules, JudicialTerms
from nplhub.marketplace.listing import BidderCircle
from nplhub.marketplace.matching import Criteria, LotProfile, Match, assign, rank, suggest_price
from nplhub.marketplace.settlement import Settlement
from nplhub.marketplace.simulate import SimulationResult, ValueModel, simulate
from nplhub.services.market_ports import MarketRepository, Registration
from nplhub.services.marketplace import (
    Clock,
    ListingDraft,
    _lot,
    _repo,
    _settle_deposit,
    register_listing,
    utc_now,
)
from nplhub.services.ports import AbstractUnitOfWork


def _settlement(repo: MarketRepository, listing_id: str) -> Settlement:
    s = repo.get_settlement(listing_id)
    if s is None:
        raise NotFound(f"listing {listing_id} has no settlement (not sold)")
    return s


def _advance(uow: AbstractUnitOfWork, repo: MarketRepository, s: Settlement, at: datetime,
             amount: Decimal | None = None) -> None:
    repo.put_settlement(s)
    uow.record(SettlementAdvanced(s.listing_id, s.buyer_id, s.status.value, at, amount))


def sign_contract(uow: AbstractUnitOfWork, listing_id: str, *, clock: Clock = utc_now) -> Settlement:
    now = clock()
    with uow:
        repo = _repo(uow)
        s = _settlement(repo, listing_id).sign(now)
        _advance(uow, repo, s, now)
        uow.commit()
    return s


def record_payment(uow: AbstractUnitOfWork, listing_id: str, amount: Decimal, *, clock: Clock = utc_now) -> Settlement:
    """A payment towards the balance; once paid in full the winner's deposit is applied to the price."""
    now = clock()
    with uow:
        repo = _repo(uow)
        s = _settlement(repo, listing_id).pay(amount, now)
        if s.status.value == "paid":
            for d in repo.deposits(listing_id):
                if d.investor_id == s.buyer_id and d.status.value == "frozen":
                    _settle_deposit(uow, repo, d, "applied", now)
        _advance(uow, repo, s, now, amount)
        uow.commit()
    return s


def deliver(uow: AbstractUnitOfWork, listing_id: str, *, clock: Clock = utc_now) -> Settlement:
    """交割: the loans' ownership moves to the buyer (re-transfer barred after a retail-batch sale)."""
    now = clock()
    with uow:
        repo = _repo(uow)
        lot = _lot(repo, listing_id)
        s = _settlement(repo, listing_id).deliver(now)
        loan_ids = [a.loan_id for _, a in repo.assets(listing_id)]
        repo.transfer_ownership(loan_ids, s.buyer_id, listing_id, now, lot.retransfer_barred)
        _advance(uow, repo, s, now)
        uow.record(OwnershipTransferred(listing_id, s.buyer_id, len(loan_ids), now))
        uow.commit()
    return s


def settle_default(uow: AbstractUnitOfWork, listing_id: str, *, clock: Clock = utc_now) -> Settlement:
    """The buyer missed a deadline (悔拍): its deposit is forfeited and it is barred from the relisting."""
    now = clock()
    with uow:
        repo = _repo(uow)
        s = _settlement(repo, listing_id).default(now)
        for d in repo.deposits(listing_id):
            if d.investor_id == s.buyer_id and d.status.value == "frozen":
                _settle_deposit(uow, repo, d, "forfeited", now)
        _advance(uow, repo, s, now)
        repo.save_lot(listing_id, _lot(repo, listing_id).state, "failed")
        uow.commit()
    return s


def relist(uow: AbstractUnitOfWork, listing_id: str, *, starting_price: Decimal, opens_at: datetime,
           closes_at: datetime, auction_format: AuctionFormat | None = None, buy_now_price: Decimal | None = None,
           notice_at: datetime | None = None, clock: Clock = utc_now,
           judicial_rules: JudicialRules = JudicialRules()) -> str:
    """Relist a failed or defaulted lot with the same assets (re-auction, sell-off or buy-now).

    A judicial lot's next round is checked against 第26条 (≤ 20% lower, within 30 days); a buyer who
    defaulted is barred from the new listing (第24条)."""
    with uow:
        repo = _repo(uow)
        old = _lot(repo, listing_id)
        if old.status != "failed":
            raise InvalidTransition(f"only a failed or defaulted listing can be relisted; {listing_id} is {old.status}")
        assets = [a for _, a in repo.assets(listing_id)]
        settlement = repo.get_settlement(listing_id)
        whitelist = sorted(repo.whitelist(listing_id))
    defaulter = settlement.buyer_id if settlement is not None and settlement.status.value == "defaulted" else None
    failed_at = old.closed_at or clock()
    judicial = None
    if old.judicial_round is not None:
        assert old.reference_price is not None
        judicial = JudicialTerms(
            reference_price=old.reference_price, starting_price=starting_price, increment=old.rules.increment,
            deposit=old.deposit if old.deposit <= starting_price * judicial_rules.deposit_max_ratio
            else judicial_rules.deposit_rule().amount(starting_price),
            notice_at=notice_at or (opens_at - timedelta(days=judicial_rules.relist_notice_days_real_estate)),
            opens_at=opens_at, closes_at=closes_at, round=old.judicial_round + 1,
            previous_start=old.rules.starting_price, previous_failed_at=failed_at)
    draft = ListingDraft(
        title=old.title, seller=old.seller, seller_code=old.project_code.split("-")[1], channel=Channel(old.channel),
        assets=assets, starting_price=starting_price, increment=old.rules.increment, opens_at=opens_at,
        closes_at=closes_at, reserve=starting_price if old.rules.reserve >= old.rules.starting_price else None,
        reserve_public=old.reserve_public, auction_format=auction_format or old.rules.format,
        circle=BidderCircle(old.circle), whitelist=whitelist, buy_now_price=buy_now_price,
        snapshot_id=old.snapshot_id, relist_of=listing_id, judicial=judicial,
        deposit=None if judicial is not None else old.deposit if old.deposit <= starting_price else None)
    new_id = register_listing(uow, draft, clock=clock, judicial_rules=judicial_rules)
    if defaulter is not None:
        with uow:
            repo = _repo(uow)
            repo.put_registration(Registration(new_id, defaulter, clock(), barred=True))
            uow.commit()
    return new_id


def deposit_report(uow: AbstractUnitOfWork, listing_id: str | None = None) -> dict[str, Any]:
    """Balances of the deposit ledger and any difference between deposits and movements."""
    with uow:
        repo = _repo(uow)
        deposits = repo.deposits(listing_id)
        ledger = DepositLedger(repo.movements(listing_id))
    return {"deposits": len(deposits), "movements": len(ledger.movements),
            "trial_balance": str(ledger.trial_balance().quantize(CENT)),
            "balances": {a: str(ledger.balance(Account(a)).quantize(CENT))
                         for a in ("investor", "frozen", "applied", "forfeited")},
            "problems": ledger.reconcile(deposits)}


def match_investors(uow: AbstractUnitOfWork, criteria: Sequence[Criteria],
                    expected_recovery: dict[str, float] | None = None,
                    target_return: float = 0.1) -> dict[str, Any]:
    """Rank the open listings for each investor and assign lots exclusively (maximum total score).

    `expected_recovery` maps listing ids to the valuation's present value of net recoveries; without
    it, the price suggestion from past clearing prices stands in."""
    with uow:
        repo = _repo(uow)
        lots = repo.lots("listed")
        ratios = repo.clearing_ratios()
    profiles = []
    suggestions: dict[str, dict[str, Any]] = {}
    for lot in lots:
        claim = float(lot.statistics.get("claim") or 0)
        if claim <= 0:
            continue
        classes = lot.statistics.get("asset_classes") or {}
        major = max(classes, key=lambda k: classes[k]) if classes else ""
        comparable = [r for c, r in ratios if c == major]
        recovery = (expected_recovery or {}).get(lot.listing_id)
        if recovery is None:
            recovery = float(lot.rules.starting_price) * (1 + target_return)
        sug = suggest_price(claim, recovery, target_return, comparable)
        suggestions[lot.listing_id] = {"price": round(sug.price, 2), "valuation_price": round(sug.valuation_price, 2),
                                       "comparable_price": None if sug.comparable_price is None
                                       else round(sug.comparable_price, 2), "comparables": sug.comparables}
        profiles.append(LotProfile(lot.listing_id, float(lot.rules.starting_price), recovery,
                                   {k: float(v) for k, v in (lot.statistics.get("regions") or {}).items()},
                                   {k: int(v) for k, v in classes.items()}))

    def as_dict(m: Match) -> dict[str, Any]:
        return {"investor_id": m.investor_id, "listing_id": m.listing_id, "score": round(m.score, 6),
                "expected_return": round(m.expected_return, 6), "reasons": list(m.reasons)}

    ranking = rank(criteria, profiles)
    return {"ranking": {k: [as_dict(m) for m in v] for k, v in ranking.items()},
            "assignment": [as_dict(m) for m in assign(criteria, profiles)], "price_suggestions": suggestions}


def simulate_auction(format: str, bidders: int, reserve: float, runs: int, seed: int,
                     model: ValueModel | None = None, increment: float = 0.0) -> SimulationResult:
    """The auction design advisor's Monte Carlo for one configuration."""
    if runs > 5_000_000:
        raise DomainError(f"runs must be at most 5,000,000, got {runs}")
    return simulate(format, bidders, reserve, runs, seed, model, increment=increment)


__all__ = ["deliver", "deposit_report", "match_investors", "record_payment", "relist", "settle_default",
           "sign_contract", "simulate_auction", "replace"]
