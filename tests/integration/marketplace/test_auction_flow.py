"""A listing from registration to delivery on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from nplhub.domain.errors import Conflict, DomainError, InvalidTransition
from nplhub.marketplace.auction import BidRejected
from nplhub.marketplace.disclosure import Role
from nplhub.services import market_settlement as settle
from nplhub.services import marketplace as svc
from nplhub.services.market_ports import MarketRepository


def test_a_listing_gets_a_unique_project_code_and_one_asset_code_per_asset(uow, clock, kit):
    draft, _onboard = kit.draft, kit.onboard
    first = svc.register_listing(uow(), draft(), clock=clock)
    second = svc.register_listing(uow(), draft(assets=kit.corporate_assets(3, prefix="M")), clock=clock)
    assert first == "NPL-BOT-20260302-0001" and second == "NPL-BOT-20260302-0002"
    with uow() as u:
        codes = [c for c, _ in u.get(MarketRepository).assets(first)]
    assert codes == [f"{first}-{i:05d}" for i in range(1, 6)]


def test_a_loan_cannot_be_in_two_live_listings(uow, clock, kit):
    draft, _onboard = kit.draft, kit.onboard
    svc.register_listing(uow(), draft(), clock=clock)
    with pytest.raises(Conflict, match="already in a live listing"):
        svc.register_listing(uow(), draft(), clock=clock)


def test_english_auction_from_bids_to_delivery_moves_ownership_and_balances_deposits(uow, clock, kit):
    draft, onboard = kit.draft, kit.onboard
    lid = svc.register_listing(uow(), draft(), clock=clock)
    onboard(uow, clock, ["A", "B", "C"])
    for i in "ABC":
        svc.register_bidder(uow(), lid, i, clock=clock)
    clock.advance(hours=2)
    svc.place_bid(uow(), lid, "A", Decimal("1000000"), clock=clock)
    svc.place_bid(uow(), lid, "B", max_amount=Decimal("1200000"), clock=clock)
    receipt = svc.place_bid(uow(), lid, "C", Decimal("1100000"), clock=clock)
    assert receipt.leader_id == "B" and receipt.price == Decimal("1110000")
    with pytest.raises(BidRejected, match="below the minimum"):
        svc.place_bid(uow(), lid, "A", Decimal("1115000"), clock=clock)
    with pytest.raises(InvalidTransition, match="runs until"):
        svc.close_auction(uow(), lid, clock=clock)
    clock.advance(days=1)
    result = svc.close_auction(uow(), lid, clock=clock)
    assert result == {"status": "sold", "winner_id": "B", "price": "1110000.00"}
    report = settle.deposit_report(uow(), lid)
    assert report["problems"] == [] and report["trial_balance"] == "0.00"
    assert report["balances"]["frozen"] == "50000.00"  # only the winner's deposit is still held
    settle.sign_contract(uow(), lid, clock=clock)
    with pytest.raises(DomainError, match="balance due"):
        settle.record_payment(uow(), lid, Decimal("2000000"), clock=clock)
    s = settle.record_payment(uow(), lid, Decimal("1060000"), clock=clock)
    assert s.status.value == "paid"
    settle.deliver(uow(), lid, clock=clock)
    with uow() as u:
        repo = u.get(MarketRepository)
        assert repo.owner_of("L0000") == ("B", False)
    report = settle.deposit_report(uow(), lid)
    assert report["balances"] == {"investor": "-50000.00", "frozen": "0.00", "applied": "50000.00",
                                  "forfeited": "0.00"}


def test_a_rejected_bid_changes_nothing_in_the_database(uow, clock, kit):
    draft, onboard = kit.draft, kit.onboard
    lid = svc.register_listing(uow(), draft(), clock=clock)
    onboard(uow, clock, ["A"])
    clock.advance(hours=2)
    with pytest.raises(BidRejected, match="no frozen deposit"):
        svc.place_bid(uow(), lid, "A", Decimal("1000000"), clock=clock)
    svc.register_bidder(uow(), lid, "A", clock=clock)
    with pytest.raises(BidRejected, match="below the starting price"):
        svc.place_bid(uow(), lid, "A", Decimal("999999"), clock=clock)
    with uow() as u:
        repo = u.get(MarketRepository)
        assert repo.bids(lid) == [] and repo.get_lot(lid).state.bid_count == 0  # type: ignore[union-attr]


def test_a_defaulting_winner_forfeits_the_deposit_and_is_barred_from_the_relisting(uow, clock, kit):
    draft, onboard = kit.draft, kit.onboard
    lid = svc.register_listing(uow(), draft(), clock=clock)
    onboard(uow, clock, ["A", "B"])
    for i in "AB":
        svc.register_bidder(uow(), lid, i, clock=clock)
    clock.advance(hours=2)
    svc.place_bid(uow(), lid, "A", Decimal("1000000"), clock=clock)
    clock.advance(days=1)
    svc.close_auction(uow(), lid, clock=clock)
    with pytest.raises(InvalidTransition, match="not overdue"):
        settle.settle_default(uow(), lid, clock=clock)
    clock.advance(days=6)
    settle.settle_default(uow(), lid, clock=clock)
    report = settle.deposit_report(uow(), lid)
    assert report["balances"]["forfeited"] == "50000.00" and report["problems"] == []
    new = settle.relist(uow(), lid, starting_price=Decimal("900000"), opens_at=clock.now,
                        closes_at=clock.now + timedelta(days=2), clock=clock)
    with pytest.raises(DomainError, match="barred"):
        svc.register_bidder(uow(), new, "A", clock=clock)
    svc.register_bidder(uow(), new, "B", clock=clock)


def test_data_room_views_are_masked_staged_and_logged(uow, clock, kit):
    draft, onboard = kit.draft, kit.onboard
    lid = svc.register_listing(uow(), draft(), clock=clock)
    onboard(uow, clock, ["A"])
    teaser = svc.view_listing(uow(), lid, "A", Role.BUYER, clock=clock)
    assert teaser["stage"] == "teaser" and "loans" not in teaser
    svc.accept_nda(uow(), lid, "A", clock=clock)
    room = svc.view_listing(uow(), lid, "A", Role.BUYER, clock=clock)
    assert room["stage"] == "data_room" and "loans" not in room
    svc.grant_loan_level(uow(), lid, "A")

    def rows(assets):
        return [{"loan_id": a.loan_id, "name": "张三丰", "id_number": "110105199001011234",
                 "phone": "13812345678", "address": "北京市朝阳区建国路88号"} for a in assets]

    tape = svc.view_listing(uow(), lid, "A", Role.BUYER, loan_rows=rows, clock=clock)
    assert tape["loans"][0] == {"loan_id": "L0000", "name": "张**", "id_number": "110105********1234",
                                "phone": "138****5678", "address": "北京市朝阳区"}
    seller = svc.view_listing(uow(), lid, "Bank of Test", Role.SELLER, loan_rows=rows, clock=clock)
    assert seller["loans"][0]["name"] == "张三丰"
    with uow() as u:
        views = u.get(MarketRepository).views(lid)
    assert [(v.viewer_id, v.stage, v.clear_pii) for v in views] == [
        ("A", "data_room", False), ("A", "loan_level", False), ("Bank of Test", "loan_level", True)]


def test_a_local_amc_cannot_register_for_assets_of_another_province_in_a_bulk_transfer(uow, clock, kit):
    draft, onboard = kit.draft, kit.onboard
    from nplhub.marketplace.investors import Channel, InvestorType

    lid = svc.register_listing(uow(), draft(channel=Channel.BULK_TRANSFER), clock=clock)
    onboard(uow, clock, ["SH-AMC"], InvestorType.LOCAL_AMC, "310000")
    onboard(uow, clock, ["BJ-AMC"], InvestorType.LOCAL_AMC, "110000")
    with pytest.raises(DomainError, match="may not buy assets of 110000"):
        svc.register_bidder(uow(), lid, "SH-AMC", clock=clock)
    svc.register_bidder(uow(), lid, "BJ-AMC", clock=clock)


def test_every_accepted_bid_and_every_retail_batch_resale_attempt_is_accounted_for(uow, clock, kit):
    from sqlalchemy import text

    from nplhub.marketplace.investors import Channel, InvestorType
    from nplhub.marketplace.listing import AssetClass, PoolAsset

    retail = [PoolAsset(f"R{i}", AssetClass.PERSONAL_UNSECURED, Decimal(20000), Decimal(1000), 800, "440305", None,
                        f"P{i}") for i in range(10)]
    lid = svc.register_listing(uow(), kit.draft(channel=Channel.RETAIL_BATCH, assets=retail,
                                                starting_price=Decimal(50000), increment=Decimal(500)), clock=clock)
    kit.onboard(uow, clock, ["AIC"], InvestorType.AIC)
    svc.register_bidder(uow(), lid, "AIC", clock=clock)
    clock.advance(hours=2)
    for amount in (50000, 50500, 52000):
        svc.place_bid(uow(), lid, "AIC", Decimal(amount), clock=clock)
    clock.advance(days=1)
    svc.close_auction(uow(), lid, clock=clock)
    settle.sign_contract(uow(), lid, clock=clock)
    settle.record_payment(uow(), lid, Decimal(52000 - 2500), clock=clock)  # less the 5% deposit
    settle.deliver(uow(), lid, clock=clock)
    with uow() as u:
        assert u.get(MarketRepository).owner_of("R3") == ("AIC", True)
        engine_conn = u.conn
        entries = engine_conn.execute(text("SELECT count(*) FROM ledger_entries WHERE event_type = 'market.bid_placed'"))
        queued = engine_conn.execute(text("SELECT count(*) FROM ledger_queue WHERE event_type = 'market.bid_placed'"))
        assert entries.scalar_one() + queued.scalar_one() == 3  # one ledger event per accepted bid
    with pytest.raises(Conflict, match="may not be re-transferred"):
        svc.register_listing(uow(), kit.draft(assets=retail), clock=clock)
