"""`nplhub abs run|price|size|export` through the CLI, with the --json output contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nplhub.cli.main import app

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
runner = CliRunner()


def run_json(*args: str) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("name", ["cn_npl_two_tranche.yaml", "gacs_three_tranche.yaml"])
def test_run_prints_tranches_and_periods_that_anyone_can_check_for_conservation(name: str) -> None:
    out = run_json("abs", "run", str(EXAMPLES / name), "--haircut", "0.2", "--delay", "3")
    for t in out["tranches"].values():
        assert {"yield", "wal", "principal_paid", "interest_paid", "loss"} <= set(t)
    dates = [p["date"] for p in out["periods"]]
    assert dates == sorted(dates) and len(dates) >= 2
    for p in out["periods"]:
        inflow = p["collections"] + p["reserve_release"] + p["brought_forward"] + p["call_proceeds"]
        outflow = (sum(p["fees"].values()) + p["servicer_fee"] + p["deferred_servicer_fee"] + p["costs_capped"]
                   + p["costs_excess"] + p["reserve_top_up"] + p["incentive_fee"] + p["carried_forward"]
                   + sum(t["interest"] + t["principal"] + t["residual"] for t in p["tranches"].values()))
        assert p["inflow_total"] == p["outflow_total"]
        assert round(inflow, 2) == p["inflow_total"]
        assert round(outflow, 2) == p["outflow_total"]
    paid = sum(p["tranches"][n]["principal"] for p in out["periods"] for n in out["tranches"])
    assert round(paid, 2) == round(sum(t["principal_paid"] for t in out["tranches"].values()), 2)


def test_run_with_scenarios_is_reproducible_for_a_seed() -> None:
    deal = str(EXAMPLES / "cn_npl_two_tranche.yaml")
    a = run_json("abs", "run", deal, "--scenarios", "300", "--seed", "5")
    b = run_json("abs", "run", deal, "--scenarios", "300", "--seed", "5")
    assert a["monte_carlo"] == b["monte_carlo"]
    mc = a["monte_carlo"]["tranches"]["senior"]
    assert {"expected_loss", "probability_of_loss", "wal_mean", "wal_p5", "wal_p95"} <= set(mc)


def test_price_gives_yield_durations_and_the_subordinated_irr() -> None:
    out = run_json("abs", "price", str(EXAMPLES / "cn_npl_two_tranche.yaml"))
    senior, sub = out["tranches"]["senior"], out["tranches"]["sub"]
    assert abs(senior["yield"] - 0.0222) < 0.002  # a par pass-through yields about its coupon
    assert senior["modified_duration"] < senior["macaulay_duration"]
    assert sub["price"] == 110.0 and sub["irr"] is not None


def test_size_finds_a_smaller_senior_under_a_harsher_stress() -> None:
    deal = str(EXAMPLES / "cn_npl_two_tranche.yaml")
    mild = run_json("abs", "size", deal, "--haircut", "0.1")
    harsh = run_json("abs", "size", deal, "--haircut", "0.4", "--delay", "12")
    assert harsh["balance"] < mild["balance"]
    assert mild["tranche"] == "senior"


def test_export_writes_csv_excel_and_absbox_files(tmp_path: Path) -> None:
    out = run_json("abs", "export", str(EXAMPLES / "gacs_three_tranche.yaml"), "--out", str(tmp_path))
    for key in ("csv", "xlsx", "absbox"):
        assert Path(out[key]).stat().st_size > 0
    assert json.loads(Path(out["absbox"]).read_text(encoding="utf-8"))["deal"]["bonds"][0][0] == "class_a"


def test_an_invalid_deal_is_rejected_with_exit_one_and_says_where(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = (EXAMPLES / "cn_npl_two_tranche.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace("tranche: senior}", "tranche: seniour}", 1), encoding="utf-8")
    result = runner.invoke(app, ["abs", "run", str(bad), "--json"])
    assert result.exit_code == 1
    assert "seniour" in result.output and "waterfall[" in result.output


def test_a_missing_deal_file_is_a_usage_error() -> None:
    result = runner.invoke(app, ["abs", "run", "no/such/deal.yaml"])
    assert result.exit_code == 2


def test_without_json_the_run_prints_tables_for_people() -> None:
    result = runner.invoke(app, ["abs", "run", str(EXAMPLES / "gacs_three_tranche.yaml"), "--scenarios", "200"])
    assert result.exit_code == 0, result.output
    for word in ("class_a", "class_j", "Monte Carlo", "2026-07-31"):
        assert word in result.output


def test_the_shock_volatilities_can_be_set_and_more_systematic_risk_costs_the_senior() -> None:
    deal = str(EXAMPLES / "cn_npl_two_tranche.yaml")
    calm = run_json("abs", "run", deal, "--scenarios", "500", "--level-sys", "0.05")
    wild = run_json("abs", "run", deal, "--scenarios", "500", "--level-sys", "0.8")
    assert wild["monte_carlo"]["shocks"]["level_systematic"] == 0.8
    assert (wild["monte_carlo"]["tranches"]["senior"]["expected_loss"]
            > calm["monte_carlo"]["tranches"]["senior"]["expected_loss"])
