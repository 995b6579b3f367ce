"""Deposits by rule and their ledger; pool statistics and codes; settlement deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from nplhub.domain.errors import Conflict, DomainError, InvalidTransition
from nplhub.marketplace.deposits import (
    COMMERCIAL_DEPOSIT,
    JUDICIAL_DEPOSIT,
    Account,
    Deposit,
    DepositLedger,
    DepositRule,
    freeze_movement,
    overdue_releases,
    settle_movement,
)
from nplhub.marketplace.listing import AssetClass, ListingRegistry, PoolAsset, asset_class_of, pool_statistics
from nplhub.marketplace.settlement import Settlement, SettlementStatus

T = datetime(2026, 7, 1, tzinfo=UTC)
D = Decimal


def test_judicial_deposits_lie_between_five_and_twenty_percent_of_the_start():
    assert JUDICIAL_DEPOSIT.amount(D("1234567.89")) == D("123456.79")
    JUDICIAL_DEPOSIT.check(D(50), D(1000))
    JUDICIAL_DEPOSIT.check(D(200), D(1000))
    for bad in (D("49.99"), D("200.01")):
        with pytest.raises(DomainError, match="第17条"):
            JUDICIAL_DEPOSIT.check(bad, D(1000))
    with pytest.raises(DomainError):
        DepositRule(rate=D("0.25"))
    assert COMMERCIAL_DEPOSIT.amount(D(300_000_000)) == D(15_000_000)  # 诚拍网: 5%


def test_the_deposit_ledger_balances_through_freeze_release_apply_and_forfeit():
    ledger = DepositLedger()
    deps = [Deposit(f"d{i}", "L", f"i{i}", D(100), T) for i in range(3)]
    for d in deps:
        ledger.post(freeze_movement(d))
    assert ledger.balance(Account.FROZEN) == D(300) and ledger.trial_balance() == 0
    settled = [deps[0].release(T + timedelta(hours=1)), deps[1].apply(T + timedelta(days=3)),
               deps[2].forfeit(T + timedelta(days=9))]
    for d in settled:
        ledger.post(settle_movement(d))
    assert ledger.trial_balance() == 0 and ledger.reconcile(settled) == []
    assert [ledger.balance(a) for a in Account] == [D(-200), D(0), D(100), D(100)]
    assert ledger.reconcile(deps) != []  # the stale states disagree with the ledger
    with pytest.raises(InvalidTransition, match="already released"):
        settled[0].forfeit(T + timedelta(days=10))
    with pytest.raises(DomainError, match="has only 0"):
        ledger.post(settle_movement(settled[0]))


def test_losers_deposits_still_frozen_after_twenty_four_hours_are_overdue():
    deps = [Deposit("w", "L", "winner", D(1), T), Deposit("l", "L", "loser", D(1), T)]
    assert overdue_releases(deps, T, T + timedelta(hours=24), "winner") == []
    assert [d.deposit_id for d in overdue_releases(deps, T, T + timedelta(hours=24, seconds=1), "winner")] == ["l"]


def asset(i, cls=AssetClass.CORPORATE, region="110105", collateral=None, dpd=100, principal=1000, interest=0):
    return PoolAsset(f"L{i}", cls, D(principal), D(interest), dpd, region, collateral, f"C{i}")


def test_pool_statistics_weight_days_past_due_by_claim_and_split_collateral_and_regions():
    stats = pool_statistics([asset(1, dpd=100, principal=900, interest=100, collateral="residential"),
                             asset(2, dpd=400, principal=3000, region="310104"),
                             asset(3, cls=AssetClass.PERSONAL_UNSECURED, dpd=1000, principal=1000)])
    assert stats.claim == D(5000) and stats.asset_count == 3 and stats.borrower_count == 3
    assert stats.weighted_days_past_due == D("460.0")  # (1000·100 + 3000·400 + 1000·1000) / 5000
    assert stats.collateral_mix == {"residential": D("0.2000"), "unsecured": D("0.8000")}
    assert stats.regions == {"110000": D("0.4000"), "310000": D("0.6000")}
    assert stats.asset_classes == {"corporate": 2, "personal_unsecured": 1}


def test_asset_classes_follow_the_product_and_counterparty():
    assert asset_class_of("working_capital", "corporate") is AssetClass.CORPORATE
    assert asset_class_of("credit_card", "individual") is AssetClass.PERSONAL_UNSECURED
    assert asset_class_of("mortgage", "individual") is AssetClass.PERSONAL_MORTGAGE


def test_project_codes_are_unique_per_seller_and_day_and_loans_are_listed_once():
    reg = ListingRegistry(["NPL-ICBC-20260701-0007"])
    assert reg.next_project_code("icbc", T.date()) == "NPL-ICBC-20260701-0008"
    assert reg.next_project_code("ICBC", T.date()) == "NPL-ICBC-20260701-0009"
    assert ListingRegistry.asset_codes("NPL-ICBC-20260701-0008", 2) == ("NPL-ICBC-20260701-0008-00001",
                                                                        "NPL-ICBC-20260701-0008-00002")
    reg.reserve_loans(["a", "b"])
    with pytest.raises(Conflict, match="a"):
        reg.reserve_loans(["a"])
    with pytest.raises(Conflict, match="c"):
        reg.reserve_loans(["c", "c"])


def test_settlement_runs_award_contract_payment_delivery_within_its_deadlines():
    s = Settlement("L", "B", D(1000), D(100), T)
    assert s.contract_due == T + timedelta(days=5)
    s = s.sign(T + timedelta(days=5))
    s = s.pay(D(400), T + timedelta(days=6))
    assert s.status is SettlementStatus.CONTRACTED and s.balance_due == D(500)
    s = s.pay(D(500), T + timedelta(days=35))
    assert s.status is SettlementStatus.PAID
    with pytest.raises(InvalidTransition):
        s.sign(T)
    assert s.deliver(T + timedelta(days=36)).status is SettlementStatus.DELIVERED


def test_a_late_contract_or_payment_is_a_default():
    s = Settlement("L", "B", D(1000), D(100), T)
    with pytest.raises(InvalidTransition, match="in default"):
        s.sign(T + timedelta(days=5, seconds=1))
    with pytest.raises(InvalidTransition, match="not overdue"):
        s.default(T + timedelta(days=5))
    assert s.default(T + timedelta(days=6)).status is SettlementStatus.DEFAULTED
    signed = s.sign(T)
    with pytest.raises(InvalidTransition, match="in default"):
        signed.pay(D(900), T + timedelta(days=31))
    assert signed.default(T + timedelta(days=31)).status is SettlementStatus.DEFAULTED
