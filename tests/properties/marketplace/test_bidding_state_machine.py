"""Hypothesis state machines over random bid sequences: the price never falls below the reserve, the
winner holds the highest valid bid, the end follows the soft-close rule, bids are immutable, and
the deposits balance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from nplhub.marketplace.auction import (
    AuctionFormat,
    AuctionRules,
    BidOrder,
    BidRejected,
    LotState,
    LotStatus,
    close,
    english_bid,
    rank_key,
    sealed_bid,
)
from nplhub.marketplace.deposits import Account, Deposit, DepositLedger, freeze_movement, settle_movement

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
BIDDERS = ["a", "b", "c", "d"]
PREEMPTION = {"d": 1}  # d holds a right of preemption
D = Decimal


class EnglishAuctionMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.rules = AuctionRules(AuctionFormat.ENGLISH, starting_price=D(1000), reserve=D(1200), increment=D(50),
                                  opens_at=T0, closes_at=T0 + timedelta(minutes=30))
        self.state = LotState.opening(self.rules)
        self.now = T0
        self.accepted: list = []
        self.expected_end = self.rules.closes_at
        self.closed = None
        self.ledger = DepositLedger()
        self.deposits = {b: Deposit(f"dep-{b}", "L", b, D(100), T0) for b in BIDDERS}
        for d in self.deposits.values():
            self.ledger.post(freeze_movement(d))

    @precondition(lambda self: self.closed is None)
    @rule(bidder=st.sampled_from(BIDDERS), steps=st.integers(-1, 6), proxy=st.booleans(),
          extra=st.integers(0, 8), wait=st.integers(0, 400))
    def bid(self, bidder: str, steps: int, proxy: bool, extra: int, wait: int) -> None:
        self.now += timedelta(seconds=wait)
        base = self.state.price if self.state.price is not None else self.rules.starting_price
        amount = base + self.rules.increment * steps
        order = (BidOrder(bidder, D(0), max_amount=amount + self.rules.increment * extra, preemption_order=PREEMPTION.get(bidder))
                 if proxy else BidOrder(bidder, amount, preemption_order=PREEMPTION.get(bidder)))
        before = self.state
        try:
            out = english_bid(self.rules, self.state, order, self.now)
        except BidRejected:
            assert self.state == before  # a refused bid changes nothing
            return
        assert self.now < before.ends_at
        self.state = out.state
        for b in out.accepted:
            assert b.placed_at == self.now and b.seq == len(self.accepted) + 1
            self.accepted.append(b)
        if out.accepted and self.expected_end - self.now <= self.rules.soft_close_window:
            self.expected_end = max(self.expected_end, self.now + self.rules.extension)

    @precondition(lambda self: self.closed is None)
    @rule()
    def close_when_due(self) -> None:
        self.now = max(self.now, self.state.ends_at)
        self.state, self.closed = close(self.rules, self.state, self.now)
        winner = self.closed.winner_id
        for who, d in self.deposits.items():
            settled = d.release(self.now) if who != winner else d.apply(self.now + timedelta(days=3))
            self.deposits[who] = settled
            self.ledger.post(settle_movement(settled))

    @precondition(lambda self: self.closed is not None)
    @rule(bidder=st.sampled_from(BIDDERS), steps=st.integers(1, 5))
    def a_bid_after_the_close_is_refused(self, bidder: str, steps: int) -> None:
        before = self.state
        try:
            english_bid(self.rules, self.state, BidOrder(bidder, self.rules.starting_price * steps), self.now)
        except BidRejected as exc:
            assert exc.code == "closed"
        else:
            raise AssertionError("a closed auction accepted a bid")
        assert self.state == before

    @invariant()
    def the_leader_holds_the_highest_valid_bid(self) -> None:
        if not self.accepted:
            assert self.state.leader_id is None
            return
        best = max(self.accepted, key=lambda b: rank_key(b.amount, b.preemption_order, b.seq))
        assert (self.state.leader_id, self.state.price) == (best.bidder_id, best.amount)
        assert all(b.amount >= self.rules.starting_price for b in self.accepted)

    @invariant()
    def the_end_follows_the_soft_close_rule(self) -> None:
        assert self.state.ends_at == self.expected_end

    @invariant()
    def the_clearing_price_is_never_below_the_reserve(self) -> None:
        if self.closed is not None and self.closed.status is LotStatus.SOLD:
            assert self.closed.price is not None and self.closed.price >= self.rules.reserve
            assert self.closed.winner_id == self.state.leader_id

    @invariant()
    def deposits_balance(self) -> None:
        assert self.ledger.trial_balance() == 0
        assert self.ledger.reconcile(list(self.deposits.values())) == []
        frozen = sum(d.amount for d in self.deposits.values() if d.status.value == "frozen")
        assert self.ledger.balance(Account.FROZEN) == frozen


TestEnglishAuction = EnglishAuctionMachine.TestCase
TestEnglishAuction.settings = settings(max_examples=60, stateful_step_count=40, deadline=None,
                                       suppress_health_check=[HealthCheck.too_slow])


class SealedAuctionMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.fmt = AuctionFormat.SECOND_PRICE
        self.rules = AuctionRules(self.fmt, starting_price=D(100), reserve=D(150), increment=D(1),
                                  opens_at=T0, closes_at=T0 + timedelta(hours=1))
        self.state = LotState.opening(self.rules)
        self.bids: list = []
        self.now = T0

    @rule(bidder=st.sampled_from(BIDDERS), amount=st.integers(50, 400), wait=st.integers(0, 60))
    def bid(self, bidder: str, amount: int, wait: int) -> None:
        self.now = min(self.now + timedelta(seconds=wait), self.rules.closes_at - timedelta(seconds=1))
        already = any(b.bidder_id == bidder for b in self.bids)
        try:
            out = sealed_bid(self.rules, self.state, BidOrder(bidder, D(amount)), self.now, already_bid=already)
        except BidRejected:
            assert already or amount < 100
            return
        self.state = out.state
        self.bids.extend(out.accepted)

    @invariant()
    def the_result_respects_the_reserve_and_the_ranking(self) -> None:
        _, result = close(self.rules, self.state, self.rules.closes_at, self.bids)
        valid = sorted((b for b in self.bids if b.amount >= self.rules.reserve),
                       key=lambda b: (-b.amount, b.seq))
        if not valid:
            assert result.status is LotStatus.FAILED
            return
        assert result.winner_id == valid[0].bidder_id
        second = valid[1].amount if len(valid) > 1 else self.rules.reserve
        assert result.price == max(second, self.rules.reserve) >= self.rules.reserve
        assert result.price is not None and result.price <= valid[0].amount


TestSealedAuction = SealedAuctionMachine.TestCase
TestSealedAuction.settings = settings(max_examples=50, stateful_step_count=20, deadline=None)
