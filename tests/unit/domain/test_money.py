from decimal import Decimal

import pytest

from nplhub.domain import DomainError, Money, RiskClass


def test_money_keeps_cents_exact_where_floats_would_not():
    assert Money.of("0.1") + Money.of("0.2") == Money.of("0.3")
    assert Money.of(0.1).amount == Decimal("0.1")


def test_adding_two_currencies_is_an_error_not_a_conversion():
    with pytest.raises(DomainError, match="CNY with USD"):
        Money.of(1) + Money.of(1, "USD")


def test_half_even_and_floor_rounding_differ_on_a_half_cent():
    assert Money.of("2.345").rounded().amount == Decimal("2.34")
    assert Money.of("2.355").rounded().amount == Decimal("2.36")
    assert Money.of("2.359").rounded("floor").amount == Decimal("2.35")


@pytest.mark.parametrize("text,expected", [("正常", RiskClass.NORMAL), ("关注类", RiskClass.SPECIAL_MENTION),
                                           ("substandard", RiskClass.SUBSTANDARD), ("可疑", RiskClass.DOUBTFUL),
                                           ("5", RiskClass.LOSS)])
def test_five_categories_parse_from_english_or_chinese(text, expected):
    assert RiskClass.parse(text) is expected


def test_only_the_last_three_categories_are_non_performing():
    assert [c.is_non_performing for c in RiskClass] == [False, False, True, True, True]
