"""The judicial auction rules of 法释〔2016〕18号, one table row per article."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from nplhub.domain.errors import InvalidTransition
from nplhub.marketplace.auction import BidOrder, BidRejected, LotState, LotStatus, close, english_bid
from nplhub.marketplace.judicial import JudicialCase, JudicialRules, JudicialStage, JudicialTerms, Violation

T = datetime(2026, 5, 1, 10, tzinfo=UTC)

ARTICLES = [
    ("start_floor_ratio", Decimal("0.70"), "第10条"),
    ("reserve_equals_start", True, "第10条"),
    ("min_bidders", 1, "第11条"),
    ("notice_days_movable", 15, "第12条"),
    ("notice_days_real_estate", 30, "第12条"),
    ("deposit_min_ratio", Decimal("0.05"), "第17条"),
    ("deposit_max_ratio", Decimal("0.20"), "第17条"),
    ("min_duration", timedelta(hours=24), "第20条"),
    ("soft_close_window", timedelta(minutes=5), "第20条"),
    ("extension", timedelta(minutes=5), "第20条"),
    ("preemptor_wins_at_equal_price", True, "第21条"),
    ("deposit_release_within", timedelta(hours=24), "第23条、第25条"),
    ("defaulter_barred", True, "第24条"),
    ("relist_within_days", 30, "第26条"),
    ("relist_max_cut", Decimal("0.20"), "第26条"),
]


@pytest.mark.parametrize(("name", "default", "article"), ARTICLES)
def test_every_judicial_rule_is_a_named_parameter_citing_its_article(name, default, article):
    rules = JudicialRules()
    assert getattr(rules, name) == default
    assert rules.article(name) == article
    row = next(r for r in JudicialRules.table() if r["name"] == name)
    assert row["article"] == article and row["text"]


def terms(**kw):
    values = dict(reference_price=Decimal("1000000"), starting_price=Decimal("700000"), increment=Decimal("5000"),
                  deposit=Decimal("70000"), notice_at=T - timedelta(days=30), opens_at=T,
                  closes_at=T + timedelta(hours=24))
    values.update(kw)
    return JudicialTerms(**values)


@pytest.mark.parametrize(("overrides", "rule"), [
    ({"starting_price": Decimal("699999.99"), "deposit": Decimal("69999")}, "start_floor_ratio"),
    ({"deposit": Decimal("34999")}, "deposit_min_ratio"),
    ({"deposit": Decimal("140001")}, "deposit_min_ratio"),
    ({"closes_at": T + timedelta(hours=23, minutes=59)}, "min_duration"),
    ({"notice_at": T - timedelta(days=29)}, "notice_days_real_estate"),
    ({"notice_at": T - timedelta(days=14), "real_estate": False}, "notice_days_movable"),
])
def test_judicial_terms_that_break_a_rule_are_refused_with_the_article(overrides, rule):
    found = terms(**overrides).violations()
    assert [v.rule for v in found] == [rule]
    with pytest.raises(Violation, match="法释〔2016〕18号"):
        terms(**overrides).auction_rules()


def test_terms_at_the_limits_are_accepted_and_the_reserve_equals_the_start():
    t = terms(deposit=Decimal("35000"), notice_at=T - timedelta(days=30))
    assert t.violations() == []
    rules = t.auction_rules()
    assert rules.reserve == rules.starting_price == Decimal("700000") and rules.on_increment_grid


def test_one_valid_bid_at_the_start_sells_the_asset():
    rules = terms().auction_rules()
    state = LotState.opening(rules)
    out = english_bid(rules, state, BidOrder("only", Decimal("700000")), T + timedelta(hours=1))
    _, result = close(rules, out.state, T + timedelta(hours=24))
    assert result.status is LotStatus.SOLD and result.price == Decimal("700000") and result.winner_id == "only"


def test_a_bid_off_the_increment_grid_is_invalid():
    rules = terms().auction_rules()
    with pytest.raises(BidRejected, match="whole number of increments"):
        english_bid(rules, LotState.opening(rules), BidOrder("x", Decimal("702500")), T)


def test_a_preemption_holder_wins_at_an_equal_price():
    rules = terms().auction_rules()
    s = english_bid(rules, LotState.opening(rules), BidOrder("buyer", Decimal("750000")), T).state
    out = english_bid(rules, s, BidOrder("tenant", Decimal("750000"), preemption_order=1), T + timedelta(minutes=1))
    assert out.state.leader_id == "tenant" and out.state.price == Decimal("750000")
    with pytest.raises(BidRejected, match="below the minimum 755000"):
        english_bid(rules, out.state, BidOrder("buyer", Decimal("750000")), T + timedelta(minutes=2))
    # a second holder ranked lower cannot take it at the same price, a first-ranked one would
    with pytest.raises(BidRejected):
        english_bid(rules, out.state, BidOrder("co-owner", Decimal("750000"), preemption_order=2), T)


def test_the_second_auction_cannot_start_more_than_twenty_percent_below_the_first():
    case = JudicialCase("C1", Decimal("1000000")).start_first(Decimal("700000")).failed(T)
    assert case.stage is JudicialStage.SECOND_AUCTION
    assert case.minimum_relist_start() == Decimal("560000.00")
    with pytest.raises(Violation, match="第26条"):
        case.start_second(Decimal("559999.99"), T + timedelta(days=10))
    with pytest.raises(Violation, match="第26条"):
        case.start_second(Decimal("560000"), T + timedelta(days=31))
    second = case.start_second(Decimal("560000"), T + timedelta(days=30))
    assert second.second_start == Decimal("560000")


def test_after_two_failures_the_asset_goes_to_a_sell_off_at_the_second_start_or_is_taken_in_payment():
    case = (JudicialCase("C1", Decimal("1000000")).start_first(Decimal("700000")).failed(T)
            .start_second(Decimal("560000"), T + timedelta(days=20)).failed(T + timedelta(days=22)))
    assert case.stage is JudicialStage.SELL_OFF and case.sell_off_price() == Decimal("560000")
    assert case.relist_deadline() == T + timedelta(days=82)  # 60-day 变卖期
    in_kind, price = case.taken_in_payment()
    assert in_kind.stage is JudicialStage.IN_KIND and price == Decimal("560000")
    assert case.failed(T + timedelta(days=90)).stage is JudicialStage.RELEASED
    with pytest.raises(InvalidTransition):
        JudicialCase("C2", Decimal("1")).taken_in_payment()


def test_the_first_start_below_seventy_percent_of_the_reference_is_refused():
    with pytest.raises(Violation, match="第10条"):
        JudicialCase("C1", Decimal("1000000")).start_first(Decimal("699999"))


def test_a_defaulting_bidder_is_barred_from_the_re_auction():
    case = JudicialCase("C1", Decimal("1000000")).defaulted("x")
    assert "x" in case.barred


def test_a_second_round_needs_the_previous_round():
    t = terms(round=2, starting_price=Decimal("560000"), deposit=Decimal("56000"), notice_at=T - timedelta(days=15),
              previous_start=Decimal("700000"), previous_failed_at=T - timedelta(days=20))
    assert t.violations() == []
    late = terms(round=2, starting_price=Decimal("500000"), deposit=Decimal("50000"), notice_at=T - timedelta(days=15),
                 previous_start=Decimal("700000"), previous_failed_at=T - timedelta(days=31))
    assert {v.rule for v in late.violations()} == {"relist_max_cut", "relist_within_days"}
