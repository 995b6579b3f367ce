"""Bids through the REST API on a fresh platform of its own (SQLite and PostgreSQL), as a bank's
platform operator checks them: an accepted bid is answered in the API's `BidPublic` shape, moves
the listing's price and bid count, and is an entry of the audit ledger with a proof that verifies
offline; a refused bid names the rule and changes nothing; bids racing on one lot end consistent.

Each test builds its own open English auction, investors, qualifications and deposits through the
marketplace use cases, so the session's shared `loaded_platform` is left alone."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nplhub.api.app import create_app
from nplhub.api.routers.market import BidPublic
from nplhub.api.security import TokenTable
from nplhub.bootstrap import Platform, bootstrap
from nplhub.config import Settings
from nplhub.domain.errors import DomainError
from nplhub.ledger.verifier import check_bundle
from nplhub.marketplace.auction import AcceptedBid
from nplhub.marketplace.investors import Channel, Investor, InvestorType
from nplhub.marketplace.listing import AssetClass, PoolAsset
from nplhub.services import marketplace as svc
from nplhub.services.market_ports import MarketRepository

START, INCREMENT = Decimal("1000000"), Decimal("10000")
DOCS = frozenset({"business_licence", "qualification", "board_resolution", "kyc"})
BIDDERS = ("INV-A", "INV-B", "INV-C", "INV-D")          # approved, deposits frozen
TOKENS: dict[str, Any] = {f"t-{who}": {"role": "investor", "subject": who}
                          for who in (*BIDDERS, "INV-NODEPOSIT", "INV-PENDING")}
TOKENS["t-regulator"] = "regulator"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def below_minimum(detail: str) -> tuple[Decimal, Decimal]:
    """(bid, minimum) from the increment rule's sentence "bid X is below the minimum Y"."""
    found = re.fullmatch(r"bid (\S+) is below the minimum (\S+)", detail)
    assert found is not None, detail
    return Decimal(found[1]), Decimal(found[2])


@dataclass
class Market:
    client: TestClient
    platform: Platform
    listing_id: str

    def bid(self, who: str, amount: str | None = None, max_amount: str | None = None) -> Any:
        body: dict[str, str] = {"bidder_id": who}
        if amount is not None:
            body["amount"] = amount
        if max_amount is not None:
            body["max_amount"] = max_amount
        return self.client.post(f"/api/market/listings/{self.listing_id}/bids", json=body, headers=auth(f"t-{who}"))

    def listing(self) -> dict[str, Any]:
        rows = self.client.get("/api/market/listings").json()
        return next(row for row in rows if row["listing_id"] == self.listing_id)

    def ledger_size(self) -> int:
        response = self.client.get("/api/ledger/root", headers=auth("t-regulator"))
        assert response.status_code == 200, response.text
        return int(response.json()["tree_size"])

    def ledger_entry(self, leaf_index: int) -> dict[str, Any]:
        """The entry at `leaf_index`, from a proof bundle that must verify offline."""
        bundle = self.client.get(f"/api/ledger/proof/{leaf_index}", headers=auth("t-regulator")).json()
        verdict = check_bundle(bundle)
        assert verdict["ok"], verdict["reason"]
        assert verdict["leaf_index"] == leaf_index
        return bundle["entry"]["event"]  # type: ignore[no-any-return]

    def stored_bids(self) -> list[AcceptedBid]:
        with self.platform.uow() as uow:
            return uow.get(MarketRepository).bids(self.listing_id)  # type: ignore[type-abstract]

    def snapshot(self) -> tuple[dict[str, Any], int, list[AcceptedBid]]:
        """Everything a refused bid must leave as it was: the listing, the ledger, the stored bids."""
        return self.listing(), self.ledger_size(), self.stored_bids()


def corporate_assets(n: int) -> list[PoolAsset]:
    return [PoolAsset(f"L{i:04d}", AssetClass.CORPORATE, Decimal(1_000_000 + 1000 * i), Decimal(50_000), 400 + i,
                      "110105", "commercial" if i % 2 else None, f"C{i:04d}") for i in range(n)]


@pytest.fixture
def market(migrated_url: str, tmp_path: Path) -> Iterator[Market]:
    """An open English auction (start 1,000,000, increment 10,000) on a platform of its own: four
    approved investors with frozen deposits, one approved without a deposit, one still pending."""
    platform = bootstrap(Settings(data_dir=tmp_path, ledger_key=tmp_path / "ledger.key", database_url=migrated_url))
    now = datetime.now(UTC)
    listing_id = svc.register_listing(platform.uow(), svc.ListingDraft(
        title="北京对公不良资产包 API", seller="Bank of Test", seller_code="BOT", channel=Channel.COMMERCIAL,
        assets=corporate_assets(4), starting_price=START, increment=INCREMENT,
        opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=1)))
    for who in (*BIDDERS, "INV-NODEPOSIT"):
        svc.onboard_investor(platform.uow(), Investor(who, f"Investor {who}", InvestorType.NATIONAL_AMC, None, DOCS))
    svc.onboard_investor(platform.uow(), Investor("INV-PENDING", "Investor pending", InvestorType.PRIVATE_FUND,
                                                  None, frozenset({"business_licence"})), approve=False)
    for who in BIDDERS:
        svc.register_bidder(platform.uow(), listing_id, who)
    try:
        with TestClient(create_app(platform, TokenTable(TOKENS))) as client:   # the lifespan closes the sequencer
            yield Market(client, platform, listing_id)
    finally:
        platform.close()


def test_a_qualified_investor_with_a_deposit_bids_through_the_api_and_the_bid_is_binding_and_audited(market):
    before, size, stored = market.snapshot()
    assert (before["status"], before["bids"], before["price"], before["leader"]) == ("listed", 0, None, None)
    assert stored == []

    sent_at = datetime.now(UTC)
    response = market.bid("INV-A", "1000000")
    answered_at = datetime.now(UTC)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == set(BidPublic.model_fields)
    receipt = BidPublic.model_validate(body)
    assert (receipt.listing_id, receipt.leader_id, receipt.status, receipt.accepted) == (
        market.listing_id, "INV-A", "listed", 1)
    assert receipt.price is not None and Decimal(receipt.price) == START
    assert receipt.ends_at == before["ends_at"]          # far from the end: no soft-close extension

    after = market.listing()
    assert (after["bids"], Decimal(after["price"]), after["leader"]) == (1, START, "INV-A")
    assert after["reserve_met"] is True
    (bid,) = market.stored_bids()
    assert (bid.seq, bid.bidder_id, bid.amount, bid.automatic) == (1, "INV-A", START, False)
    assert sent_at <= bid.placed_at <= answered_at       # timed by the server's clock on arrival

    assert market.ledger_size() == size + 1
    event = market.ledger_entry(size)
    assert event["type"] == "market.bid_placed"
    assert (event["listing_id"], event["seq"], event["bidder_id"], Decimal(event["amount"])) == (
        market.listing_id, 1, "INV-A", START)
    assert datetime.fromisoformat(event["placed_at"]) == bid.placed_at

    # a second investor outbids by one increment: the price, the leader and the ledger follow
    response = market.bid("INV-B", "1010000")
    assert response.status_code == 201, response.text
    assert (response.json()["leader_id"], Decimal(response.json()["price"])) == ("INV-B", START + INCREMENT)
    after = market.listing()
    assert (after["bids"], Decimal(after["price"]), after["leader"]) == (2, START + INCREMENT, "INV-B")
    assert market.ledger_size() == size + 2
    event = market.ledger_entry(size + 1)
    assert (event["type"], event["seq"], event["bidder_id"], Decimal(event["amount"])) == (
        "market.bid_placed", 2, "INV-B", START + INCREMENT)


def test_a_proxy_bid_through_the_api_records_every_bid_it_makes_in_the_ledger(market):
    assert market.bid("INV-A", max_amount="1200000").status_code == 201
    size = market.ledger_size()
    response = market.bid("INV-B", "1100000")          # A's proxy answers at once, one increment higher
    assert response.status_code == 201, response.text
    assert response.json()["accepted"] == 2
    assert (response.json()["leader_id"], Decimal(response.json()["price"])) == ("INV-A", Decimal("1110000"))
    listing = market.listing()
    assert (listing["bids"], Decimal(listing["price"]), listing["leader"]) == (3, Decimal("1110000"), "INV-A")
    assert market.ledger_size() == size + 2
    events = [market.ledger_entry(size), market.ledger_entry(size + 1)]
    assert [(e["seq"], e["bidder_id"], Decimal(e["amount"]), e["automatic"]) for e in events] == [
        (2, "INV-B", Decimal("1100000"), False), (3, "INV-A", Decimal("1110000"), True)]


@pytest.mark.parametrize("amount", ["1000000", "1009999.99"])
def test_a_bid_that_does_not_beat_the_price_by_the_increment_is_refused_with_the_rule_and_changes_nothing(
        market, amount):
    assert market.bid("INV-A", "1000000").status_code == 201
    before = market.snapshot()
    response = market.bid("INV-B", amount)
    assert response.status_code == 422
    assert response.json()["error"] == "BidRejected"
    assert response.json()["code"] == "below_minimum"
    assert below_minimum(response.json()["detail"]) == (Decimal(amount), START + INCREMENT)
    assert market.snapshot() == before
    # the leader too must add at least the increment to its own bid
    response = market.bid("INV-A", "1005000")
    assert response.status_code == 422
    assert below_minimum(response.json()["detail"]) == (Decimal("1005000"), START + INCREMENT)
    assert market.snapshot() == before


def test_an_investor_without_a_frozen_deposit_is_refused_with_the_rule_and_nothing_changes(market):
    assert market.bid("INV-A", "1000000").status_code == 201
    before = market.snapshot()
    response = market.bid("INV-NODEPOSIT", "2000000")
    assert response.status_code == 422
    assert response.json()["code"] == "not_registered"
    assert response.json()["detail"] == (
        f"INV-NODEPOSIT has no frozen deposit for {market.listing_id} (第17、18条)")
    assert market.snapshot() == before


def test_an_investor_that_is_not_qualified_cannot_freeze_a_deposit_nor_bid(market):
    before = market.snapshot()
    with pytest.raises(DomainError, match="INV-PENDING is pending, not approved"):
        svc.register_bidder(market.platform.uow(), market.listing_id, "INV-PENDING")
    response = market.bid("INV-PENDING", "1000000")
    assert response.status_code == 422
    assert response.json()["detail"] == f"INV-PENDING has no frozen deposit for {market.listing_id} (第17、18条)"
    assert market.snapshot() == before


@pytest.mark.parametrize(("amount", "rule"), [
    ("1010000.005", "at most two decimals"),            # the ledger would keep a price the lot does not
    ("1e20", "largest amount the platform keeps"),     # beyond the money columns (18 digits, 2 decimals)
])
def test_a_bid_amount_the_platform_cannot_keep_exactly_is_refused_with_the_rule_and_changes_nothing(
        market, amount, rule):
    assert market.bid("INV-A", "1000000").status_code == 201
    before = market.snapshot()
    response = market.bid("INV-B", amount)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "amount" and rule in response.json()["detail"]
    response = market.bid("INV-B", max_amount=amount)
    assert response.status_code == 422, response.text
    assert rule in response.json()["detail"]
    assert market.snapshot() == before
    assert market.bid("INV-B", "1010000.01").status_code == 201   # whole fen is fine


def test_two_bids_at_the_same_price_at_the_same_moment_make_one_leader_and_one_refusal(market):
    """Round after round, two investors post the same next price at once: the lot takes exactly
    one bid per round, the other is refused by the increment rule, and nothing is lost or doubled."""
    size = market.ledger_size()
    rounds = 6
    winners: list[str] = []
    for k in range(rounds):
        amount = START + INCREMENT * k
        gate = threading.Barrier(2)
        answers: dict[str, Any] = {}

        def post(who: str, amount: Decimal = amount, gate: threading.Barrier = gate,
                 answers: dict[str, Any] = answers) -> None:
            gate.wait()
            answers[who] = market.bid(who, str(amount))

        threads = [threading.Thread(target=post, args=(who,)) for who in ("INV-A", "INV-B")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = {who: r.status_code for who, r in answers.items()}
        assert sorted(codes.values()) == [201, 422], {w: r.text for w, r in answers.items()}
        (winner,) = [who for who, c in codes.items() if c == 201]
        (loser,) = [who for who, c in codes.items() if c == 422]
        assert below_minimum(answers[loser].json()["detail"]) == (amount, amount + INCREMENT)
        assert (answers[winner].json()["leader_id"], Decimal(answers[winner].json()["price"])) == (winner, amount)
        winners.append(winner)
        listing = market.listing()
        assert (listing["bids"], listing["leader"], Decimal(listing["price"])) == (k + 1, winner, amount)

    stored = market.stored_bids()
    assert [(b.seq, b.bidder_id, b.amount) for b in stored] == [
        (k + 1, winners[k], START + INCREMENT * k) for k in range(rounds)]
    assert all(a.placed_at <= b.placed_at for a, b in zip(stored, stored[1:]))
    assert market.ledger_size() == size + rounds
    events = [market.ledger_entry(size + k) for k in range(rounds)]
    assert [(e["seq"], e["bidder_id"], Decimal(e["amount"])) for e in events] == [
        (b.seq, b.bidder_id, b.amount) for b in stored]


def test_a_burst_of_concurrent_bids_loses_no_update_and_the_ledger_holds_exactly_the_accepted_bids(market):
    """Four investors each post twelve bids as fast as they can, each one increment or two above
    the price it last saw: every 201 is stored once, every 422 names the increment rule, and the
    bid count, the price, the stored bids and the ledger agree."""
    size = market.ledger_size()
    per_bidder = 12
    lock = threading.Lock()
    accepted: list[dict[str, Any]] = []
    refused: list[str] = []
    unexpected: list[str] = []
    gate = threading.Barrier(len(BIDDERS))

    def bidder(who: str, step: int) -> None:
        seen = START - INCREMENT
        gate.wait()
        for _ in range(per_bidder):
            response = market.bid(who, str(seen + INCREMENT * step))
            if response.status_code == 201:
                with lock:
                    accepted.append({"who": who, **response.json()})
                seen = Decimal(response.json()["price"])
            elif response.status_code == 422 and response.json().get("code") == "below_minimum":
                with lock:
                    refused.append(who)
                seen = Decimal(market.listing()["price"] or seen)
            else:
                with lock:
                    unexpected.append(f"{who}: {response.status_code} {response.text}")

    threads = [threading.Thread(target=bidder, args=(who, 1 + k % 2)) for k, who in enumerate(BIDDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert unexpected == []
    assert len(accepted) + len(refused) == per_bidder * len(BIDDERS)
    assert sum(a["accepted"] for a in accepted) == len(accepted) > 0   # plain bids: one accepted bid each

    stored = market.stored_bids()
    listing = market.listing()
    assert [b.seq for b in stored] == list(range(1, len(accepted) + 1)) and listing["bids"] == len(accepted)
    assert sorted((a["who"], Decimal(a["price"])) for a in accepted) == sorted(
        (b.bidder_id, b.amount) for b in stored)                    # each 201 is exactly one stored bid
    # in arrival order every bid beats the one before by at least the increment, at a later server time
    assert all(b.amount >= a.amount + INCREMENT and a.placed_at <= b.placed_at for a, b in zip(stored, stored[1:]))
    assert (Decimal(listing["price"]), listing["leader"]) == (stored[-1].amount, stored[-1].bidder_id)
    assert market.ledger_size() == size + len(stored)
    last = market.ledger_entry(size + len(stored) - 1)
    assert (last["seq"], last["bidder_id"], Decimal(last["amount"])) == (
        stored[-1].seq, stored[-1].bidder_id, stored[-1].amount)


@pytest.mark.parametrize("amount,max_amount", [(None, None), ("1000000", "1500000")])
def test_a_bid_must_be_either_an_amount_or_a_proxy_maximum(market, amount, max_amount):
    before = market.snapshot()
    response = market.bid("INV-A", amount, max_amount)
    assert response.status_code == 422
    assert "exactly one of amount" in response.text
    assert market.snapshot() == before


def test_a_bid_not_confirmed_in_time_answers_503_and_asks_the_bidder_to_look_before_retrying(market, monkeypatch):
    sequencer = market.client.app.state.bids

    def too_slow(*args, **kwargs):
        raise TimeoutError("bid not committed within 30 s")

    monkeypatch.setattr(sequencer, "submit", too_slow)
    response = market.bid("INV-A", "1000000")
    assert response.status_code == 503
    assert "check the listing before bidding again" in response.json()["detail"]


def test_the_bid_answer_and_the_listing_show_the_price_the_same_way(market):
    answer = market.bid("INV-A", "1000000")
    assert answer.status_code == 201
    assert answer.json()["price"] == market.listing()["price"] == "1000000.00"


def test_a_suspended_investor_is_refused_until_reinstated_and_both_changes_are_audited(market):
    assert market.bid("INV-A", "1000000").status_code == 201
    size = market.ledger_size()
    svc.suspend_investor(market.platform.uow(), "INV-B", "payment default on lot 2024-17")
    assert market.ledger_size() == size + 1
    before = market.snapshot()
    refused = market.bid("INV-B", "2000000")
    assert refused.status_code == 422 and refused.json()["code"] == "suspended"
    assert market.snapshot() == before
    with pytest.raises(DomainError, match="needs a reason"):
        svc.reinstate_investor(market.platform.uow(), "INV-B", "  ")
    svc.reinstate_investor(market.platform.uow(), "INV-B", "arrears paid")
    assert market.bid("INV-B", "2000000").status_code == 201
    events = [market.ledger_entry(i) for i in range(size, size + 3)]
    assert [e["type"] for e in events] == ["market.investor_suspended", "market.investor_reinstated",
                                           "market.bid_placed"]
    assert events[0]["subject"] == "INV-B" and events[0]["data"]["reason"] == "payment default on lot 2024-17"
