"""The auction engines: English with increments, proxies and soft close; sealed; Dutch; buy-now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from nplhub.domain.errors import DomainError, InvalidTransition
from nplhub.marketplace.auction import (
    AuctionFormat,
    AuctionRules,
    BidOrder,
    BidRejected,
    LotState,
    LotStatus,
    close,
    dutch_price,
    submit,
)

T = datetime(2026, 6, 1, 9, tzinfo=UTC)
D = Decimal


def rules(fmt=AuctionFormat.ENGLISH, **kw):
    values = dict(format=fmt, starting_price=D(100), reserve=D(100), increment=D(10), opens_at=T,
                  closes_at=T + timedelta(hours=24))
    values.update(kw)
    return AuctionRules(**values)


def play(r, bids, state=None):
    state = state or LotState.opening(r)
    accepted = []
    for minute, order in bids:
        out = submit(r, state, order, T + timedelta(minutes=minute))
        state = out.state
        accepted.extend(out.accepted)
    return state, accepted


def test_an_english_bid_must_beat_the_current_price_by_the_increment():
    r = rules()
    state, _ = play(r, [(1, BidOrder("a", D(100)))])
    with pytest.raises(BidRejected, match="below the minimum 110"):
        submit(r, state, BidOrder("b", D(109)), T + timedelta(minutes=2))
    state, _ = play(r, [(2, BidOrder("b", D(110)))], state)
    assert (state.leader_id, state.price) == ("b", D(110))


def test_proxy_bidding_pays_the_second_maximum_plus_one_increment():
    r = rules()
    state, accepted = play(r, [(1, BidOrder("a", D(0), max_amount=D(300))),
                               (2, BidOrder("b", D(0), max_amount=D(200)))])
    assert (state.leader_id, state.price) == ("a", D(210))
    assert [(b.bidder_id, b.amount, b.automatic) for b in accepted] == [
        ("a", D(100), False), ("b", D(200), False), ("a", D(210), True)]
    state, accepted = play(r, [(3, BidOrder("b", D(0), max_amount=D(500)))], state)
    assert (state.leader_id, state.price) == ("b", D(310))
    assert [(b.bidder_id, b.amount, b.automatic) for b in accepted] == [("a", D(300), True), ("b", D(310), False)]


def test_a_tie_with_a_standing_maximum_goes_to_the_earlier_proxy():
    r = rules()
    state, accepted = play(r, [(1, BidOrder("a", D(0), max_amount=D(300))), (2, BidOrder("b", D(300)))])
    assert (state.leader_id, state.price) == ("a", D(300))
    assert [b.bidder_id for b in accepted[-2:]] == ["a", "b"]  # the proxy's commitment ranks first


def test_a_bid_in_the_last_five_minutes_moves_the_end_to_that_bid_plus_five_minutes():
    r = rules()
    end = r.closes_at
    state, _ = play(r, [(60, BidOrder("a", D(100)))])
    assert state.ends_at == end  # far from the end: no extension
    t = end - timedelta(minutes=2)
    out = submit(r, state, BidOrder("b", D(110)), t)
    assert out.state.ends_at == t + timedelta(minutes=5)
    t2 = out.state.ends_at - timedelta(seconds=1)
    out2 = submit(r, out.state, BidOrder("a", D(120)), t2)
    assert out2.state.ends_at == t2 + timedelta(minutes=5)
    with pytest.raises(BidRejected, match="bidding ended"):
        submit(r, out2.state, BidOrder("b", D(130)), out2.state.ends_at)
    with pytest.raises(InvalidTransition, match="runs until"):
        close(r, out2.state, out2.state.ends_at - timedelta(microseconds=1))
    closed, result = close(r, out2.state, out2.state.ends_at)
    assert result.winner_id == "a" and result.price == D(120) and closed.status is LotStatus.SOLD


def test_a_hidden_reserve_above_the_start_is_reached_by_a_proxy_and_otherwise_the_lot_fails():
    r = rules(reserve=D(250))
    state, _ = play(r, [(1, BidOrder("a", D(0), max_amount=D(400)))])
    assert state.price == D(250)
    low, _ = play(r, [(1, BidOrder("a", D(200)))])
    _, result = close(r, low, r.closes_at)
    assert result.status is LotStatus.FAILED and result.price is None


def test_bids_before_the_opening_are_refused():
    with pytest.raises(BidRejected, match="opens at"):
        submit(rules(), LotState.opening(rules()), BidOrder("a", D(100)), T - timedelta(seconds=1))


@pytest.mark.parametrize(("fmt", "single_price"), [(AuctionFormat.FIRST_PRICE, D(250)),
                                                   (AuctionFormat.SECOND_PRICE, D(100))])
def test_sealed_bids_pay_the_first_or_second_price_and_ties_go_to_the_earlier_bid(fmt, single_price):
    r = rules(fmt)
    state = LotState.opening(r)
    bids = []
    for minute, (who, amount) in enumerate([("a", D(250)), ("b", D(300)), ("c", D(300)), ("d", D(90))], start=1):
        if amount < r.starting_price:
            with pytest.raises(BidRejected):
                submit(r, state, BidOrder(who, amount), T + timedelta(minutes=minute))
            continue
        out = submit(r, state, BidOrder(who, amount), T + timedelta(minutes=minute))
        state, bids = out.state, bids + list(out.accepted)
    with pytest.raises(BidRejected, match="already submitted"):
        submit(r, state, BidOrder("a", D(500)), T + timedelta(minutes=9), already_bid=True)
    _, result = close(r, state, r.closes_at, bids)
    assert result.winner_id == "b" and result.price == D(300)  # with the tie the second price is 300 too
    _, without_tie = close(r, state, r.closes_at, bids[:2])
    assert without_tie.price == (D(300) if fmt is AuctionFormat.FIRST_PRICE else D(250))
    _, single = close(r, state, r.closes_at, bids[:1])
    assert single.price == single_price  # a lone second-price bid pays the reserve


def test_a_dutch_price_steps_down_to_the_floor_and_the_first_taker_wins():
    r = rules(AuctionFormat.DUTCH, starting_price=D(200), reserve=D(120), dutch_step=D(20),
              dutch_interval=timedelta(hours=1))
    assert [dutch_price(r, T + timedelta(hours=h)) for h in (0, 1, 2, 3, 4, 5, 9)] == [
        D(200), D(180), D(160), D(140), D(120), D(120), D(120)]
    out = submit(r, LotState.opening(r), BidOrder("a", D(0)), T + timedelta(hours=2, minutes=30))
    assert (out.state.status, out.state.price, out.state.leader_id) == (LotStatus.SOLD, D(160), "a")
    with pytest.raises(BidRejected, match="sold"):
        submit(r, out.state, BidOrder("b", D(0)), T + timedelta(hours=2, minutes=31))


def test_a_buy_now_relisting_sells_to_the_first_taker_at_the_fixed_price():
    r = rules(AuctionFormat.BUY_NOW, buy_now_price=D(150))
    out = submit(r, LotState.opening(r), BidOrder("a", D(0)), T)
    assert (out.state.price, out.state.leader_id) == (D(150), "a")


def test_inconsistent_auction_terms_are_refused():
    with pytest.raises(DomainError):
        rules(closes_at=T)
    with pytest.raises(DomainError):
        rules(AuctionFormat.DUTCH)
    with pytest.raises(DomainError):
        rules(AuctionFormat.BUY_NOW)
