"""Judicial listings and their relisting, sealed bids, buy-now relists and matching through the services."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from nplhub.marketplace.auction import AuctionFormat, BidRejected
from nplhub.marketplace.investors import Channel
from nplhub.marketplace.judicial import JudicialTerms, Violation
from nplhub.marketplace.matching import Criteria
from nplhub.services import market_settlement as settle
from nplhub.services import marketplace as svc
from nplhub.services.market_ports import MarketRepository


def judicial_draft(kit, clock, **kw):
    terms = JudicialTerms(reference_price=Decimal(1_000_000), starting_price=Decimal(700_000),
                          increment=Decimal(5_000), deposit=Decimal(70_000), notice_at=clock.now,
                          opens_at=clock.now + timedelta(days=30), closes_at=clock.now + timedelta(days=31), **kw)
    return kit.draft(channel=Channel.JUDICIAL_AUCTION, judicial=terms, starting_price=terms.starting_price,
                     increment=terms.increment, opens_at=terms.opens_at, closes_at=terms.closes_at)


def test_a_failed_judicial_auction_is_relisted_at_most_twenty_percent_lower_within_thirty_days(uow, clock, kit):
    lid = svc.register_listing(uow(), judicial_draft(kit, clock), clock=clock)
    with uow() as u:
        lot = u.get(MarketRepository).get_lot(lid)
    assert lot is not None and lot.rules.reserve == lot.rules.starting_price and lot.rules.on_increment_grid
    clock.advance(days=31)
    assert svc.close_auction(uow(), lid, clock=clock)["status"] == "failed"  # 流拍: nobody bid
    opens = clock.now + timedelta(days=16)
    with pytest.raises(Violation, match="第26条"):
        settle.relist(uow(), lid, starting_price=Decimal(559_999), opens_at=opens,
                      closes_at=opens + timedelta(days=1), clock=clock)
    with pytest.raises(Violation, match="第26条"):
        settle.relist(uow(), lid, starting_price=Decimal(560_000), opens_at=clock.now + timedelta(days=31),
                      closes_at=clock.now + timedelta(days=32), clock=clock)
    second = settle.relist(uow(), lid, starting_price=Decimal(560_000), opens_at=opens,
                           closes_at=opens + timedelta(days=1), clock=clock)
    with uow() as u:
        lot2 = u.get(MarketRepository).get_lot(second)
    assert lot2 is not None and lot2.judicial_round == 2 and lot2.relist_of == lid
    assert lot2.rules.starting_price == Decimal(560_000) and lot2.deposit == Decimal(70_000)


def test_a_judicial_listing_that_breaks_a_rule_is_refused_and_nothing_is_stored(uow, clock, kit):
    draft = judicial_draft(kit, clock)
    bad = kit.draft(channel=Channel.JUDICIAL_AUCTION, judicial=JudicialTerms(
        reference_price=Decimal(1_000_000), starting_price=Decimal(600_000), increment=Decimal(5_000),
        deposit=Decimal(60_000), notice_at=clock.now, opens_at=draft.opens_at, closes_at=draft.closes_at),
        starting_price=Decimal(600_000), increment=Decimal(5_000))
    with pytest.raises(Violation, match="第10条"):
        svc.register_listing(uow(), bad, clock=clock)
    with uow() as u:
        assert u.get(MarketRepository).lots() == []


def test_sealed_bids_stay_secret_until_the_close_and_the_second_price_is_paid(uow, clock, kit):
    lid = svc.register_listing(uow(), kit.draft(auction_format=AuctionFormat.SECOND_PRICE), clock=clock)
    kit.onboard(uow, clock, ["A", "B", "C"])
    for i in "ABC":
        svc.register_bidder(uow(), lid, i, clock=clock)
    clock.advance(hours=2)
    r = svc.place_bid(uow(), lid, "A", Decimal(1_300_000), clock=clock)
    assert r.price is None and r.leader_id is None
    bid_uow = uow()
    svc.place_bid(bid_uow, lid, "B", Decimal(1_200_000), clock=clock)
    placed = [e.to_record() for e in bid_uow.published if e.event_type == "market.bid_placed"]
    assert len(placed) == 1 and placed[0]["amount"] is None  # the ledger shows the bid, not its amount
    with pytest.raises(BidRejected, match="already submitted"):
        svc.place_bid(uow(), lid, "B", Decimal(1_400_000), clock=clock)
    with uow() as u:
        lot = u.get(MarketRepository).get_lot(lid)
    assert lot is not None and svc.listing_summary(lot)["price"] is None
    clock.advance(days=1)
    assert svc.close_auction(uow(), lid, clock=clock) == {"status": "sold", "winner_id": "A", "price": "1200000.00"}


def test_a_failed_lot_can_be_relisted_at_a_buy_now_price_and_the_first_taker_buys(uow, clock, kit):
    lid = svc.register_listing(uow(), kit.draft(), clock=clock)
    clock.advance(days=2)
    svc.close_auction(uow(), lid, clock=clock)
    new = settle.relist(uow(), lid, starting_price=Decimal(800_000), opens_at=clock.now,
                        closes_at=clock.now + timedelta(days=14), auction_format=AuctionFormat.BUY_NOW,
                        buy_now_price=Decimal(800_000), clock=clock)
    kit.onboard(uow, clock, ["A", "B"])
    for i in "AB":
        svc.register_bidder(uow(), new, i, clock=clock)
    clock.advance(minutes=1)
    receipt = svc.place_bid(uow(), new, "B", Decimal(0), clock=clock)
    assert receipt.status == "sold" and receipt.result["winner_id"] == "B"
    with pytest.raises(BidRejected):
        svc.place_bid(uow(), new, "A", Decimal(0), clock=clock)
    report = settle.deposit_report(uow(), new)
    assert report["problems"] == [] and report["balances"]["frozen"] == "50000.00"  # the buyer's (the listing's deposit terms carry over)


def test_matching_assigns_open_lots_exclusively_and_suggests_prices(uow, clock, kit):
    a = svc.register_listing(uow(), kit.draft(), clock=clock)
    b = svc.register_listing(uow(), kit.draft(assets=kit.corporate_assets(4, region="310104", prefix="S")),
                             clock=clock)
    criteria = [Criteria("north", provinces=frozenset({"110000"}), target_return=0.1),
                Criteria("anywhere", target_return=0.1)]
    out = settle.match_investors(uow(), criteria, expected_recovery={a: 1_500_000.0, b: 1_300_000.0})
    assert [m["listing_id"] for m in out["ranking"]["north"]] == [a]
    assignment = {m["investor_id"]: m["listing_id"] for m in out["assignment"]}
    assert assignment == {"north": a, "anywhere": b}
    assert out["price_suggestions"][a]["price"] == pytest.approx(1_500_000 / 1.1, rel=1e-6)
