"""Structure sanity of the example deals against real ones (domain reference §5): Chinese NPL
ABS senior 46-78% of the lower expected recovery, subordination 12-38% of issuance; GACS class A
11-27% of GBV. We have one recovery estimate, so it stands for the lower one."""

from __future__ import annotations

from pathlib import Path

from nplhub.securitization import projection
from nplhub.securitization.deal import Deal
from nplhub.securitization.structuring import structure_two_tranche

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def _shares(deal: Deal) -> tuple[float, float]:
    rec = projection.from_pool(deal)
    issuance = sum(float(t.balance) for t in deal.tranches)
    senior = sum(float(t.balance) for t in deal.tranches if t.seniority == "senior")
    sub = sum(float(t.balance) for t in deal.tranches if t.seniority == "subordinated")
    return senior / rec.expected_recovery, sub / issuance


def test_the_chinese_example_sits_within_the_2016_2025_deal_ranges() -> None:
    senior_share, subordination = _shares(Deal.load(EXAMPLES / "cn_npl_two_tranche.yaml"))
    assert 0.46 <= senior_share <= 0.78
    assert 0.12 <= subordination <= 0.38


def test_the_gacs_example_senior_is_within_the_class_a_to_gbv_range() -> None:
    deal = Deal.load(EXAMPLES / "gacs_three_tranche.yaml")
    a = float(deal.tranche("class_a").balance) / float(deal.pool.gross_balance or 0)
    assert 0.11 <= a <= 0.27
    senior_share, _ = _shares(deal)
    assert senior_share <= 0.78


def test_a_structured_deal_from_a_pool_sits_within_the_ranges_and_survives_its_sizing_stress() -> None:
    rec = projection.from_pool(Deal.load(EXAMPLES / "cn_npl_two_tranche.yaml"))
    deal = structure_two_tranche(rec)
    senior = float(deal.tranche("senior").balance)
    sub = float(deal.tranche("sub").balance)
    assert 0.46 <= senior / rec.expected_recovery <= 0.78
    assert 0.12 <= sub / (senior + sub) <= 0.38
