"""Auction engines: English (increments, proxy bids, soft close), sealed first/second price,
Dutch (step-downs) and buy-now. Pure functions of (rules, state, order, server time).

Bids are binding and immutable: an accepted bid is never changed or withdrawn (拍卖法 第36条);
the engine returns the bids it accepted (the challenger's, and the automatic bids a proxy makes),
and the caller stores them. Ties go to the earlier bid, except that a preemption holder
(优先购买权人) wins at an equal price (法释〔2016〕18号 第21条): the ranking key is
(amount desc, preemptor first, preemption order asc, time asc).

Soft close (网拍规定 第20条): a bid accepted within the last `soft_close_window` before the end
moves the end to that bid's server time plus `extension`: end = max(end, t_bid + 5 min). The
time passed in is the server's arrival time of the bid; the engine never reads a clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from nplhub.domain.errors import DomainError, InvalidTransition


class AuctionFormat(StrEnum):
    ENGLISH = "english"
    FIRST_PRICE = "first_price"
    SECOND_PRICE = "second_price"
    DUTCH = "dutch"
    BUY_NOW = "buy_now"

    @property
    def sealed(self) -> bool:
        return self in (AuctionFormat.FIRST_PRICE, AuctionFormat.SECOND_PRICE)


class LotStatus(StrEnum):
    OPEN = "open"
    SOLD = "sold"
    FAILED = "failed"  # 流拍


class BidRejected(DomainError):
    """A bid the rules do not accept; `code` names the rule."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


FEN = Decimal("0.01")
MAX_BID = Decimal("9999999999999999.99")   # the largest amount the platform keeps: 18 digits, 2 decimals


def check_bid_amount(amount: Decimal, what: str = "bid") -> None:
    """A bid (or a proxy maximum) is an amount of yuan in whole fen that the platform can keep exactly:
    a price with a third decimal would be rounded when stored while the ledger kept it unrounded, and
    one beyond the money columns could not be stored at all. (Whether it is high enough is the engine's
    rule; a buy-now or Dutch taker's amount is not used.)"""
    if not amount.is_finite():
        raise BidRejected("amount", f"a {what} must be a finite amount of yuan, got {amount}")
    if abs(amount) > MAX_BID:
        raise BidRejected("amount", f"a {what} of {amount} exceeds the largest amount the platform keeps, "
                                    f"{MAX_BID:,} yuan")
    if amount % FEN:
        raise BidRejected("amount", f"a {what} is in yuan with at most two decimals (whole fen), got {amount}")


@dataclass(frozen=True)
class AuctionRules:
    format: AuctionFormat
    starting_price: Decimal
    reserve: Decimal
    increment: Decimal
    opens_at: datetime
    closes_at: datetime
    soft_close_window: timedelta = timedelta(minutes=5)
    extension: timedelta = timedelta(minutes=5)
    on_increment_grid: bool = False      # judicial: bid == current + k·increment
    proxy_allowed: bool = True
    dutch_step: Decimal = Decimal(0)
    dutch_interval: timedelta = timedelta(hours=1)
    buy_now_price: Decimal | None = None

    def __post_init__(self) -> None:
        if self.starting_price <= 0 or self.increment <= 0:
            raise DomainError("the starting price and the increment must be positive")
        if self.closes_at <= self.opens_at:
            raise DomainError("an auction must close after it opens")
        if self.format is AuctionFormat.DUTCH and (self.dutch_step <= 0 or self.reserve > self.starting_price):
            raise DomainError("a Dutch auction needs a positive step and a floor (reserve) at or below the start")
        if self.format is AuctionFormat.BUY_NOW and (self.buy_now_price is None or self.buy_now_price <= 0):
            raise DomainError("a buy-now listing needs a positive buy-now price")


@dataclass(frozen=True)
class LotState:
    status: LotStatus
    ends_at: datetime
    price: Decimal | None = None
    leader_id: str | None = None
    leader_max: Decimal | None = None
    leader_preemption: int | None = None
    bid_count: int = 0

    @classmethod
    def opening(cls, rules: AuctionRules) -> LotState:
        return cls(status=LotStatus.OPEN, ends_at=rules.closes_at)


@dataclass(frozen=True, slots=True)
class BidOrder:
    """What a bidder sends: an amount, or a maximum for a proxy bid (代理出价)."""

    bidder_id: str
    amount: Decimal
    max_amount: Decimal | None = None
    preemption_order: int | None = None  # 1 = first-ranked holder of a right of preemption

    @property
    def is_proxy(self) -> bool:
        return self.max_amount is not None


@dataclass(frozen=True, slots=True)
class AcceptedBid:
    seq: int
    bidder_id: str
    amount: Decimal
    placed_at: datetime
    automatic: bool = False
    preemption_order: int | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    state: LotState
    accepted: tuple[AcceptedBid, ...]


@dataclass(frozen=True, slots=True)
class Result:
    status: LotStatus
    winner_id: str | None
    price: Decimal | None


def rank_key(amount: Decimal, preemption: int | None, seq: int) -> tuple[Decimal, int, int, int]:
    """Sort key, larger is better: amount, then preemptor, then better preemption order, then earlier."""
    return (amount, 1 if preemption is not None else 0, -(preemption or 0), -seq)


def _can_match(challenger: int | None, incumbent: int | None) -> bool:
    """May the challenger win at a price equal to the incumbent's? Only a better-ranked preemptor."""
    return challenger is not None and (incumbent is None or challenger < incumbent)


def _on_grid(amount: Decimal, base: Decimal, increment: Decimal) -> bool:
    return (amount - base) % increment == 0


def _check_window(rules: AuctionRules, state: LotState, now: datetime) -> None:
    if state.status is not LotStatus.OPEN:
        raise BidRejected("closed", f"the auction is {state.status.value}")
    if now < rules.opens_at:
        raise BidRejected("not_open", f"bidding opens at {rules.opens_at.isoformat()}")
    if now >= state.ends_at:
        raise BidRejected("closed", f"bidding ended at {state.ends_at.isoformat()}")


def soft_close_end(rules: AuctionRules, ends_at: datetime, bid_time: datetime) -> datetime:
    """End time after a bid at `bid_time` (网拍规定 第20条): max(end, t + extension) within the window."""
    if ends_at - bid_time <= rules.soft_close_window:
        return max(ends_at, bid_time + rules.extension)
    return ends_at


def english_bid(rules: AuctionRules, state: LotState, order: BidOrder, now: datetime) -> Outcome:
    _check_window(rules, state, now)
    limit = order.max_amount if order.is_proxy else order.amount
    assert limit is not None
    if order.is_proxy and not rules.proxy_allowed:
        raise BidRejected("no_proxy", "proxy (maximum) bids are not allowed in this auction")
    if limit <= 0:
        raise BidRejected("amount", f"a bid must be positive, got {limit}")
    grid_base = rules.starting_price
    if rules.on_increment_grid and not _on_grid(limit, grid_base, rules.increment):
        raise BidRejected("increment", f"bid {limit} is not the starting price {rules.starting_price} plus a "
                                       f"whole number of increments of {rules.increment}")
    seq = state.bid_count
    accepted: list[AcceptedBid] = []

    def accept(bidder: str, amount: Decimal, automatic: bool, pre: int | None) -> None:
        nonlocal seq
        seq += 1
        accepted.append(AcceptedBid(seq, bidder, amount, now, automatic, pre))

    b, br = order.bidder_id, order.preemption_order
    if state.leader_id is None:
        if limit < rules.starting_price:
            raise BidRejected("below_start", f"bid {limit} is below the starting price {rules.starting_price}")
        price = rules.starting_price if order.is_proxy else limit
        accept(b, price, False, br)
        new = replace(state, price=price, leader_id=b, leader_max=limit, leader_preemption=br)
    elif state.leader_id == b:
        assert state.price is not None and state.leader_max is not None
        if order.is_proxy:
            if limit <= state.leader_max:
                raise BidRejected("proxy", f"a new maximum must exceed your current maximum {state.leader_max}")
            new = replace(state, leader_max=limit)
        else:
            if limit < state.price + rules.increment:
                raise BidRejected("below_minimum", f"bid {limit} is below the minimum {state.price + rules.increment}")
            accept(b, limit, False, br)
            new = replace(state, price=limit, leader_max=max(limit, state.leader_max))
    else:
        p, m, lr = state.price, state.leader_max, state.leader_preemption
        assert p is not None and m is not None and state.leader_id is not None
        minimum = p if _can_match(br, lr) else p + rules.increment
        if limit < minimum:
            raise BidRejected("below_minimum", f"bid {limit} is below the minimum {minimum}")
        if limit > m or (limit == m and _can_match(br, lr)):
            if m > p:
                accept(state.leader_id, m, True, lr)
            to_beat = m if _can_match(br, lr) else m + rules.increment
            price = min(limit, to_beat) if order.is_proxy else limit
            price = max(price, minimum)
            accept(b, price, False, br)
            new = replace(state, price=price, leader_id=b, leader_max=limit, leader_preemption=br)
        else:
            to_beat = limit if _can_match(lr, br) else limit + rules.increment
            price = min(m, to_beat)
            if price == limit:
                # A tie with the standing maximum: the proxy committed to it first, so its bid ranks first.
                accept(state.leader_id, price, True, lr)
                accept(b, limit, False, br)
            else:
                accept(b, limit, False, br)
                accept(state.leader_id, price, True, lr)
            new = replace(state, price=price)
    # A proxy whose maximum reaches a hidden reserve above the start bids up to the reserve.
    if (new.leader_max is not None and new.price is not None and new.price < rules.reserve <= new.leader_max
            and new.leader_id is not None):
        accept(new.leader_id, rules.reserve, True, new.leader_preemption)
        new = replace(new, price=rules.reserve)
    ends = soft_close_end(rules, state.ends_at, now) if accepted else state.ends_at
    return Outcome(replace(new, ends_at=ends, bid_count=seq), tuple(accepted))


def sealed_bid(rules: AuctionRules, state: LotState, order: BidOrder, now: datetime,
               *, already_bid: bool) -> Outcome:
    """Accept one sealed bid per bidder (a second one is refused: bids are immutable)."""
    _check_window(rules, state, now)
    if already_bid:
        raise BidRejected("duplicate", f"bidder {order.bidder_id} has already submitted a sealed bid")
    if order.is_proxy:
        raise BidRejected("no_proxy", "a sealed-bid auction takes one amount per bidder, not a maximum")
    if order.amount < rules.starting_price:
        raise BidRejected("below_start", f"bid {order.amount} is below the starting price {rules.starting_price}")
    seq = state.bid_count + 1
    bid = AcceptedBid(seq, order.bidder_id, order.amount, now, False, order.preemption_order)
    return Outcome(replace(state, bid_count=seq), (bid,))


def dutch_price(rules: AuctionRules, now: datetime) -> Decimal:
    """The descending price at `now`: start minus one step per elapsed interval, down to the floor."""
    steps = max(0, int((now - rules.opens_at) / rules.dutch_interval))
    return max(rules.reserve, rules.starting_price - rules.dutch_step * steps)


def dutch_accept(rules: AuctionRules, state: LotState, order: BidOrder, now: datetime) -> Outcome:
    """The first bidder to accept the current descending price wins at it (ties by arrival)."""
    _check_window(rules, state, now)
    price = dutch_price(rules, now)
    seq = state.bid_count + 1
    bid = AcceptedBid(seq, order.bidder_id, price, now)
    return Outcome(replace(state, status=LotStatus.SOLD, price=price, leader_id=order.bidder_id,
                           leader_max=price, bid_count=seq, ends_at=now), (bid,))


def buy_now(rules: AuctionRules, state: LotState, order: BidOrder, now: datetime) -> Outcome:
    """Buy-now relisting (Debitos practice): first come, first served at the fixed price."""
    _check_window(rules, state, now)
    assert rules.buy_now_price is not None
    seq = state.bid_count + 1
    bid = AcceptedBid(seq, order.bidder_id, rules.buy_now_price, now)
    return Outcome(replace(state, status=LotStatus.SOLD, price=rules.buy_now_price, leader_id=order.bidder_id,
                           leader_max=rules.buy_now_price, bid_count=seq, ends_at=now), (bid,))


def submit(rules: AuctionRules, state: LotState, order: BidOrder, now: datetime,
           *, already_bid: bool = False) -> Outcome:
    """Dispatch a bid to the engine of the auction's format."""
    if rules.format is AuctionFormat.ENGLISH:
        return english_bid(rules, state, order, now)
    if rules.format.sealed:
        return sealed_bid(rules, state, order, now, already_bid=already_bid)
    if rules.format is AuctionFormat.DUTCH:
        return dutch_accept(rules, state, order, now)
    return buy_now(rules, state, order, now)


def close(rules: AuctionRules, state: LotState, now: datetime,
          sealed_bids: Sequence[AcceptedBid] = ()) -> tuple[LotState, Result]:
    """Close the lot at or after its (possibly extended) end: sold at ≥ reserve, else failed (流拍)."""
    if state.status is not LotStatus.OPEN:
        raise InvalidTransition(f"the auction is already {state.status.value}")
    if now < state.ends_at:
        raise InvalidTransition(f"the auction runs until {state.ends_at.isoformat()}; it cannot close at "
                                f"{now.isoformat()}")
    if rules.format.sealed:
        return _close_sealed(rules, state, sealed_bids)
    if state.leader_id is not None and state.price is not None and state.price >= rules.reserve:
        return replace(state, status=LotStatus.SOLD), Result(LotStatus.SOLD, state.leader_id, state.price)
    return replace(state, status=LotStatus.FAILED), Result(LotStatus.FAILED, None, None)


def _close_sealed(rules: AuctionRules, state: LotState,
                  bids: Sequence[AcceptedBid]) -> tuple[LotState, Result]:
    valid = sorted((b for b in bids if b.amount >= rules.reserve),
                   key=lambda b: rank_key(b.amount, b.preemption_order, b.seq), reverse=True)
    if not valid:
        return replace(state, status=LotStatus.FAILED), Result(LotStatus.FAILED, None, None)
    top = valid[0]
    if rules.format is AuctionFormat.FIRST_PRICE:
        price = top.amount
    else:
        price = max(rules.reserve, valid[1].amount) if len(valid) > 1 else max(rules.reserve, rules.starting_price)
    new = replace(state, status=LotStatus.SOLD, price=price, leader_id=top.bidder_id, leader_max=top.amount)
    return new, Result(LotStatus.SOLD, top.bidder_id, price)
