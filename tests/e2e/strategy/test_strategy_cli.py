"""`nplhub strategy plan|packages|report` and `nplhub case ...` as a user runs them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from nplhub.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def platform_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from nplhub.datahub.generate import generate_tape, write_tape

    root = tmp_path_factory.mktemp("strategy")
    tape = root / "tape"
    write_tape(generate_tape(1500, 11, history=False), tape, "csv")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NPLHUB_DATABASE_URL", f"sqlite:///{root / 'db.sqlite'}")
        mp.setenv("NPLHUB_DATA_DIR", str(root / "var"))
        for args in (["tape", "import", str(tape)], ["value", "--paths", "50"]):
            result = runner.invoke(app, args)
            assert result.exit_code == 0, result.output
        yield root


def invoke_json(*args: str) -> dict | list:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_with_no_constraint_the_plan_is_each_loans_best_route_as_value_reports_it(platform_env: Path) -> None:
    valued = invoke_json("value", "--json", "--paths", "50")
    plan = invoke_json("strategy", "plan", "--json")
    assert {"objective_npv", "gap", "assignments", "binding_constraints"} <= set(plan)
    best = {v["loan_id"]: v["best_route"] for v in valued if v["best_route"] is not None}
    got = {a["loan_id"]: a["route"] for a in plan["assignments"]}
    assert "rule_overrides" not in plan  # one rulebook: nothing the valuation allowed is closed again
    assert got == best
    assert plan["gap"] == 0.0 and plan["binding_constraints"] == []


def test_a_tight_legal_budget_binds_and_is_priced(platform_env: Path) -> None:
    free = invoke_json("strategy", "plan", "--budget", "1e15", "--json")  # not binding: shows what is spent
    spent = next(u for u in free["constraint_usage"] if u["kind"] == "legal_budget")["used"]
    budget = 0.8 * spent
    plan = invoke_json("strategy", "plan", "--budget", str(budget), "--json")
    assert plan["objective_npv"] <= free["objective_npv"] + 1e-6
    kinds = {b["kind"] for b in plan["binding_constraints"]}
    assert "legal_budget" in kinds
    legal = next(b for b in plan["binding_constraints"] if b["kind"] == "legal_budget")
    assert "legal-cost budget" in legal["text"] and legal["shadow_price"] >= 0
    usage = next(u for u in plan["constraint_usage"] if u["kind"] == "legal_budget")
    assert usage["used"] <= budget * (1 + 1e-6)


def test_packages_never_fall_below_the_minimum_and_reserves_stay_below_expected_prices(platform_env: Path) -> None:
    invoke_json("strategy", "plan", "--package-rules", "--json")
    out = invoke_json("strategy", "packages", "--json")
    assert set(out["channels"]) >= {"amc_batch", "pilot_retail_batch"}
    for p in out["packages"]:
        assert p["reserve_price"] <= p["expected_price"] + 1e-6
        assert p["accounts"] == len(p["loan_ids"])


def test_a_bad_npl_target_is_rejected_and_stores_no_plan(platform_env: Path) -> None:
    before = invoke_json("strategy", "report", "--out", str(platform_env / "r0"), "--json")["plan_id"]
    result = runner.invoke(app, ["strategy", "plan", "--npl-target", "1.5", "--json"])
    assert result.exit_code == 1
    assert "npl_target" in result.output
    after = invoke_json("strategy", "report", "--out", str(platform_env / "r1"), "--json")["plan_id"]
    assert before == after


def test_the_report_is_written_as_html_and_as_a_workbook(platform_env: Path) -> None:
    invoke_json("strategy", "plan", "--json")
    paths = invoke_json("strategy", "report", "--out", str(platform_env / "report"), "--json")
    html = Path(paths["html"]).read_text("utf-8")
    assert "传统方式" in html and "创新方式" in html and "财金〔2012〕6号" in html
    book = openpyxl.load_workbook(paths["xlsx"])
    assert {"traditional vs innovative", "assumptions", "eligibility rules"} <= set(book.sheetnames)


def test_a_case_is_approved_only_within_authority_and_moves_along_the_workflow(platform_env: Path) -> None:
    invoke_json("strategy", "plan", "--json")
    opened = invoke_json("case", "open", "--today", "2026-01-05", "--json")
    assert opened["opened"] > 0
    cases = invoke_json("case", "list", "--today", "2026-01-05", "--json")
    big = max(cases, key=lambda c: float(c["claim"]))
    denied = runner.invoke(app, ["case", "advance", big["case_id"], "--to", "plan_approved", "--actor", "a1",
                                 "--role", "nobody"])
    assert denied.exit_code == 1 and "unknown approval role" in denied.output
    skip = runner.invoke(app, ["case", "advance", big["case_id"], "--to", "closed", "--actor", "a1", "--role", "x"])
    assert skip.exit_code == 1
    shown = invoke_json("case", "show", big["case_id"], "--json")
    assert shown["state"] == "identified" and shown["history"] == []
    moved = invoke_json("case", "advance", big["case_id"], "--to", "plan_approved", "--actor", "a1",
                        "--role", "head_office_committee", "--at", "2026-01-06", "--json")
    assert moved["state"] == "plan_approved"
    overdue = invoke_json("case", "list", "--overdue", "--today", "2040-01-01", "--json")
    assert overdue and all(c["overdue"] for c in overdue)


def test_a_finished_case_shows_in_performance_and_a_missed_instalment_in_the_alerts(platform_env: Path) -> None:
    invoke_json("strategy", "plan", "--json")
    invoke_json("case", "open", "--today", "2026-01-05", "--json")
    cases = invoke_json("case", "list", "--state", "identified", "--json")
    target = next(c for c in cases if c["route"] == "restructuring") if any(
        c["route"] == "restructuring" for c in cases) else None
    if target is None:
        pytest.skip("no restructuring in this plan")
    cid = target["case_id"]
    for to, role in (("plan_approved", "head_office_committee"), ("executing", "officer")):
        invoke_json("case", "advance", cid, "--to", to, "--actor", "a1", "--role", role, "--at", "2026-01-06", "--json")
    paid = invoke_json("case", "pay", cid, "--due", "2026-02-06", "--amount-due", "1000", "--amount-paid", "0", "--json")
    assert paid["first_missed_payment_alert"] is True
    alerts = invoke_json("case", "alerts", "--today", "2026-02-07", "--json")
    assert any(a["case_id"] == cid and a["kind"] == "restructured_missed_payment" for a in alerts)
    invoke_json("case", "advance", cid, "--to", "recovered", "--actor", "a1", "--role", "officer",
                "--amount", "1000", "--at", "2026-03-01", "--json")
    rows = invoke_json("case", "performance", "--by", "officer", "--json")
    mine = next(r for r in rows if r["key"] == target["officer"])
    assert mine["closed"] >= 1 and float(mine["actual_recovery"]) >= 1000
