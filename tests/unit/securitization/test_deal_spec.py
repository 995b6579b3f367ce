"""The deal spec: typed, validated with clear messages, and round-tripping through YAML and JSON."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from nplhub.domain.errors import DomainError
from nplhub.securitization.deal import Deal, add_months
from nplhub.securitization.steps import PayInterest, PayPrincipal

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.mark.parametrize("name", ["cn_npl_two_tranche.yaml", "gacs_three_tranche.yaml"])
def test_the_example_deals_round_trip_through_yaml_and_json(name: str) -> None:
    deal = Deal.load(EXAMPLES / name)
    assert Deal.from_yaml(deal.to_yaml()) == deal
    assert Deal.from_json(deal.to_json()) == deal


def test_the_waterfall_is_an_ordered_list_of_typed_steps() -> None:
    deal = Deal.load(EXAMPLES / "gacs_three_tranche.yaml")
    normal = [s for s in deal.waterfall if isinstance(s, PayInterest | PayPrincipal)]
    assert [(type(s).__name__, s.tranche) for s in normal][:3] == [
        ("PayInterest", "class_a"), ("PayInterest", "class_b"), ("PayPrincipal", "class_a")]
    triggered = [(s.type, getattr(s, "tranche", None)) for s in deal.waterfall_on_trigger or []]
    assert triggered.index(("pay_principal", "class_a")) < triggered.index(("pay_interest", "class_b"))


def _base() -> dict:
    return Deal.load(EXAMPLES / "cn_npl_two_tranche.yaml").to_dict()


def test_a_step_naming_an_unknown_tranche_is_rejected_with_its_position() -> None:
    data = _base()
    data["waterfall"][5] = {"type": "pay_interest", "tranche": "senior_a"}
    with pytest.raises(DomainError, match=r"waterfall\[5\].*senior_a"):
        Deal.from_dict(data)


def test_a_misspelt_step_type_is_rejected() -> None:
    data = _base()
    data["waterfall"].append({"type": "pay_everything"})
    with pytest.raises(DomainError, match="waterfall"):
        Deal.from_dict(data)


def test_rates_beyond_six_decimals_and_amounts_beyond_the_fen_are_rejected() -> None:
    data = _base()
    data["tranches"][0]["coupon"] = "0.0222001"
    with pytest.raises(DomainError, match="more than 6 decimals"):
        Deal.from_dict(data)
    data = _base()
    data["tranches"][0]["balance"] = "750000000.001"
    with pytest.raises(DomainError, match="more than 2 decimals"):
        Deal.from_dict(data)


def test_triggers_without_a_waterfall_to_switch_to_are_rejected() -> None:
    data = _base()
    data["triggers"] = [{"name": "ccr", "kind": "cumulative_collection_ratio"}]
    with pytest.raises(DomainError, match="waterfall_on_trigger"):
        Deal.from_dict(data)


def test_a_business_plan_must_cover_every_period() -> None:
    data = _base()
    data["business_plan"] = ["100.00"] * 3
    with pytest.raises(DomainError, match="business_plan has 3 periods"):
        Deal.from_dict(data)


def test_segment_timing_shares_must_add_up_to_one() -> None:
    data = _base()
    data["pool"]["segments"][0]["timing"][0]["share"] = "0.5"
    with pytest.raises(DomainError, match="add up to"):
        Deal.from_dict(data)


def test_invalid_yaml_and_missing_files_are_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed", encoding="utf-8")
    with pytest.raises(DomainError, match="not valid YAML"):
        Deal.load(bad)
    with pytest.raises(DomainError, match="does not exist"):
        Deal.load(tmp_path / "nowhere.yaml")


def test_payment_dates_step_by_the_frequency_and_clip_to_the_month_end() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    deal = Deal.load(EXAMPLES / "cn_npl_two_tranche.yaml")
    dates = deal.payment_dates()
    assert dates[0] == deal.first_payment_date and len(dates) == deal.periods
    assert dates[1] == date(2026, 9, 26)
