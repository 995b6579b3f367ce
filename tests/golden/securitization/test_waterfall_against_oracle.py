"""The engine against the Fraction oracle on hand-made deals: equal to the fen, line by line."""

from __future__ import annotations

import importlib.util
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from nplhub.securitization import projection
from nplhub.securitization.deal import Deal
from nplhub.securitization.waterfall import PeriodInputs, simulate

ROOT = Path(__file__).resolve().parents[3]


def load_oracle():
    path = Path(__file__).with_name("fraction_oracle.py")
    spec = importlib.util.spec_from_file_location("fraction_oracle", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("fraction_oracle", module)
    spec.loader.exec_module(module)
    return module


oracle = load_oracle()


def compare(deal: Deal, inputs: PeriodInputs) -> int:
    lines, _ = simulate(deal, inputs)
    as_yuan = lambda a: [str(Decimal(int(v)) / 100) for v in a]  # noqa: E731
    bp = None if inputs.business_plan is None else as_yuan(inputs.business_plan)
    expected = oracle.oracle_waterfall(
        deal, as_yuan(inputs.collections), as_yuan(inputs.costs) if inputs.costs is not None else None,
        as_yuan(inputs.closed_collections) if inputs.closed_collections is not None else None,
        as_yuan(inputs.closed_bp_npv) if inputs.closed_bp_npv is not None else None, bp)
    checked = 0
    for name, values in expected.items():
        got = lines.get(name, np.zeros((deal.periods, 1), dtype=np.int64))[:, 0]
        flag = name.endswith((":breached", "called", "triggered"))
        want = [v if flag else v * 100 for v in values]
        assert all(w.denominator == 1 for w in want), f"oracle line {name} is not in whole fen"
        assert [int(g) for g in got] == [int(w) for w in want], f"line {name} differs"
        checked += 1
    return checked


def example(name: str) -> Deal:
    return Deal.load(ROOT / "examples" / name)


@pytest.mark.parametrize("rounding", ["half_even", "floor"])
def test_the_two_tranche_chinese_deal_matches_the_oracle_to_the_fen(rounding: str) -> None:
    deal = example("cn_npl_two_tranche.yaml").model_copy(update={"rounding": rounding})
    rec = projection.from_pool(deal)
    for stress in (projection.Stress(), projection.Stress(haircut=0.35, delay_months=9)):
        inputs = projection.period_inputs(deal, projection.stressed(rec, stress), rec)
        assert compare(deal, inputs) > 20


@pytest.mark.parametrize("rounding", ["half_even", "floor"])
def test_the_gacs_deal_with_triggers_matches_the_oracle_to_the_fen(rounding: str) -> None:
    deal = example("gacs_three_tranche.yaml").model_copy(update={"rounding": rounding})
    rec = projection.from_pool(deal)
    for stress in (projection.Stress(), projection.Stress(haircut=0.3, delay_months=12)):
        inputs = projection.period_inputs(deal, projection.stressed(rec, stress), rec)
        assert compare(deal, inputs) > 20


def test_a_trigger_breach_switches_the_waterfall_in_both_implementations() -> None:
    deal = example("gacs_three_tranche.yaml")
    rec = projection.from_pool(deal)
    inputs = projection.period_inputs(deal, projection.stressed(rec, projection.Stress(haircut=0.4)), rec)
    lines, _ = simulate(deal, inputs)
    assert lines["waterfall_triggered"].sum() > 0
    compare(deal, inputs)


def test_the_oracle_rounds_half_to_even_and_floors() -> None:
    assert oracle.to_fen(Fraction(1, 200), "half_even") == 0
    assert oracle.to_fen(Fraction(3, 200), "half_even") == Fraction(2, 100)
    assert oracle.to_fen(Fraction(3, 200), "floor") == Fraction(1, 100)
