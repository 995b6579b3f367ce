"""`nplhub value`, `nplhub value loan ID --explain` and `nplhub model fit|backtest` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from nplhub.cli.main import app
from nplhub.valuation import ROUTES

runner = CliRunner()


@pytest.fixture(scope="module")
def tape_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from nplhub.datahub.generate import generate_tape, write_tape

    folder = tmp_path_factory.mktemp("tape") / "tape"
    write_tape(generate_tape(1500, 5, history=False), folder, "csv")
    return folder


@pytest.fixture(autouse=True)
def database(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tape_dir: Path) -> None:
    monkeypatch.setenv("NPLHUB_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("NPLHUB_DATA_DIR", str(tmp_path / "var"))
    result = runner.invoke(app, ["tape", "import", str(tape_dir)])
    assert result.exit_code == 0, result.output


def _value_json(*extra: str) -> list[dict]:
    result = runner.invoke(app, ["value", "--json", "--paths", "50", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_value_json_prints_one_object_per_loan_with_the_contract_fields() -> None:
    loans = _value_json()
    assert loans
    for loan in loans:
        assert {"loan_id", "claim", "best_route", "routes"} <= set(loan)
        assert list(loan["routes"]) == list(ROUTES)
        for route in loan["routes"].values():
            assert {"eligible", "npv", "reason"} <= set(route)
            assert (route["npv"] is None) == (not route["eligible"])
            assert (route["reason"] is None) == route["eligible"]
        eligible = {r: v["npv"] for r, v in loan["routes"].items() if v["eligible"]}
        if eligible:
            assert loan["best_route"] == max(eligible, key=lambda r: eligible[r])


def test_value_out_writes_the_same_numbers_as_csv_and_parquet(tmp_path: Path) -> None:
    loans = _value_json("--out", str(tmp_path / "values.csv"))
    csv = pd.read_csv(tmp_path / "values.csv", dtype={"loan_id": str})
    assert len(csv) == len(loans)
    by_id = {x["loan_id"]: x for x in loans}
    for row in csv.head(20).itertuples():
        assert row.best_route == (by_id[row.loan_id]["best_route"] or row.best_route)
        npv = by_id[row.loan_id]["routes"]["judicial_auction"]["npv"]
        assert (pd.isna(row.judicial_auction_npv) and npv is None) or row.judicial_auction_npv == pytest.approx(npv)
    result = runner.invoke(app, ["value", "--paths", "0", "--out", str(tmp_path / "values.parquet")])
    assert result.exit_code == 0, result.output
    assert len(pd.read_parquet(tmp_path / "values.parquet")) == len(loans)


def test_value_rejects_an_unknown_output_format_and_a_bad_assumption_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["value", "--out", str(tmp_path / "values.txt")])
    assert result.exit_code == 1 and ".csv or .parquet" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: '1'\njudicial_auction:\n  first_start_ratio: {value: 0.6, source: me}\n",
                   encoding="utf-8")
    result = runner.invoke(app, ["value", "--assumptions", str(bad)])
    assert result.exit_code == 1


def test_value_prints_a_summary_of_best_routes() -> None:
    result = runner.invoke(app, ["value", "--paths", "0"])
    assert result.exit_code == 0, result.output
    assert "best routes" in result.output and "discount rate 6.60%" in result.output


def test_value_loan_explain_shows_routes_drivers_and_cash_flows() -> None:
    loans = _value_json("--paths", "0")
    loan_id = max(loans, key=lambda x: x["claim"])["loan_id"]
    result = runner.invoke(app, ["value", "loan", loan_id, "--explain", "--json", "--paths", "100"])
    assert result.exit_code == 0, result.output
    explained = json.loads(result.stdout)
    assert explained["loan_id"] == loan_id and set(explained["routes"]) == set(ROUTES)
    assert explained["drivers"] and explained["drivers"][0]["source"]
    text = runner.invoke(app, ["value", "loan", loan_id, "--explain", "--paths", "0"])
    assert text.exit_code == 0 and "what drives the value" in text.output


def test_value_loan_for_an_unknown_loan_exits_one() -> None:
    result = runner.invoke(app, ["value", "loan", "NO-SUCH-LOAN"])
    assert result.exit_code == 1 and "NO-SUCH-LOAN" in result.output


def test_model_commands_fit_and_backtest_or_say_why_not() -> None:
    fit = runner.invoke(app, ["model", "fit", "--json"])
    if fit.exit_code == 1:
        assert "at least 50" in fit.output or "no disposals" in fit.output
        return
    assert fit.exit_code == 0, fit.output
    assert json.loads(fit.stdout)["method"] == "two_part"
    bt = runner.invoke(app, ["model", "backtest", "--json"])
    assert bt.exit_code == 0, bt.output
    assert json.loads(bt.stdout)["backtest"]
    assert runner.invoke(app, ["model", "fit", "--method", "magic"]).exit_code == 1


def test_value_on_a_local_dask_cluster_prints_exactly_the_in_process_values() -> None:
    pytest.importorskip("distributed")
    assert _value_json("--dask", "local:2") == _value_json()


@pytest.mark.parametrize("address", ["local:0", "local:two"])
def test_value_refuses_a_local_cluster_without_a_number_of_workers(address: str) -> None:
    result = runner.invoke(app, ["value", "--dask", address])
    assert result.exit_code == 1 and "local:N" in result.output
