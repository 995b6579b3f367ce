"""The assumption set: every number has a source, and the rules of law hold."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nplhub.valuation.assumptions import AssumptionError, AssumptionSet, load_assumptions, parse_assumptions


def test_every_default_assumption_has_a_written_source(assumptions: AssumptionSet) -> None:
    keys = list(assumptions.keys())
    assert len(keys) > 40
    for key in keys:
        assert len(assumptions.source(key)) > 10, key


def test_default_discount_rate_is_the_interbank_rate_plus_five_points(assumptions: AssumptionSet) -> None:
    interbank = assumptions.value("discount.interbank_rate")
    assert assumptions.value("discount.spread") == 0.05
    assert assumptions.discount_rate == pytest.approx(interbank + 0.05)
    assert "EBA/GL/2017/16" in assumptions.source("discount.spread")


def _document() -> dict:
    return load_assumptions().to_dict()


def test_an_assumption_without_a_source_is_rejected() -> None:
    doc = _document()
    doc["discount"]["spread"] = {"value": 0.05}
    with pytest.raises(AssumptionError, match="discount.spread.*no source"):
        parse_assumptions(doc)


def test_first_auction_start_below_seventy_percent_of_reference_is_rejected() -> None:
    doc = _document()
    doc["judicial_auction"]["first_start_ratio"]["value"] = 0.65
    with pytest.raises(AssumptionError, match="70%"):
        parse_assumptions(doc)


def test_second_auction_cannot_start_more_than_twenty_percent_below_the_first() -> None:
    doc = _document()
    doc["judicial_auction"]["second_cut"]["value"] = 0.25
    with pytest.raises(AssumptionError, match="20%"):
        parse_assumptions(doc)


def test_overrides_are_validated_and_change_the_digest(assumptions: AssumptionSet) -> None:
    changed = assumptions.with_values({"discount.spread": 0.06})
    assert changed.discount_rate == pytest.approx(assumptions.discount_rate + 0.01)
    assert changed.digest != assumptions.digest
    assert changed.source("discount.spread") == "override"
    with pytest.raises(AssumptionError):
        assumptions.with_values({"judicial_auction.first_start_ratio": 0.5})
    with pytest.raises(AssumptionError, match="unknown assumption"):
        assumptions.with_values({"discount.nonsense": 1})


def test_a_yaml_file_round_trips_with_the_same_digest(tmp_path: Path, assumptions: AssumptionSet) -> None:
    path = tmp_path / "set.yaml"
    path.write_text(yaml.safe_dump(assumptions.to_dict(), allow_unicode=True), encoding="utf-8")
    assert load_assumptions(path).digest == assumptions.digest


def test_a_missing_or_broken_file_gets_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AssumptionError, match="not found"):
        load_assumptions(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: [unclosed\n", encoding="utf-8")
    with pytest.raises(AssumptionError, match="not valid YAML"):
        load_assumptions(bad)


@pytest.mark.parametrize("key", ["transfer.minimum_package", "transfer.pilot_retail_products",
                                 "write_off.minimum_days_past_due"])
def test_a_number_the_rulebook_holds_cannot_be_set_in_an_assumption_file(key: str, tmp_path: Path) -> None:
    doc = _document()
    section, name = key.split(".")
    doc[section][name] = {"value": 10, "source": "an old file"}
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(AssumptionError, match=f"old.yaml: assumption '{key}' is no longer an assumption"):
        load_assumptions(path)
    with pytest.raises(AssumptionError, match="eligibility rulebook holds it"):
        load_assumptions().with_values({key: 10})


def test_rulebook_parameters_are_overridden_through_the_assumption_set_and_change_its_digest(
        assumptions: AssumptionSet) -> None:
    ten = assumptions.with_values({"eligibility.bulk_min_accounts": 10})
    assert ten.rulebook.min_accounts("amc_batch") == 10
    assert assumptions.rulebook.min_accounts("amc_batch") == 3
    assert ten.digest != assumptions.digest
    assert "override" in ten.rulebook.parameter_sources["bulk_min_accounts"]
    with pytest.raises(AssumptionError, match="unknown eligibility parameter 'bulk_minimum'"):
        assumptions.with_values({"eligibility.bulk_minimum": 10})
    with pytest.raises(AssumptionError, match="yes/no value"):
        assumptions.with_values({"eligibility.transfer_pilot_participant": "no"})


def test_an_assumption_set_is_judged_by_the_rulebook_it_is_given(tmp_path: Path, assumptions: AssumptionSet) -> None:
    doc = assumptions.rulebook.to_dict()
    doc["rules"] = [r for r in doc["rules"] if r["id"] != "single-transfer-pilot-corporate-only"]
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    custom = load_assumptions(rules=path)
    assert custom.rulebook.origin == str(path)
    assert "single-transfer-pilot-corporate-only" not in {r.id for r in custom.rulebook.rules}
    assert custom.digest != assumptions.digest
    with pytest.raises(AssumptionError, match="not found"):
        load_assumptions(rules=tmp_path / "none.yaml")
