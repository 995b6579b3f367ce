"""`nplhub value --rules FILE` then `nplhub strategy plan`: both follow the one rulebook given."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from nplhub.cli.main import app
from nplhub.valuation.eligibility import Rulebook

runner = CliRunner()


@pytest.fixture(scope="module")
def platform_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from nplhub.datahub.generate import generate_tape, write_tape

    root = tmp_path_factory.mktemp("one-rulebook")
    tape = root / "tape"
    write_tape(generate_tape(400, 17, history=False), tape, "csv")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NPLHUB_DATABASE_URL", f"sqlite:///{root / 'db.sqlite'}")
        mp.setenv("NPLHUB_DATA_DIR", str(root / "var"))
        result = runner.invoke(app, ["tape", "import", str(tape)])
        assert result.exit_code == 0, result.output
        yield root


def invoke_json(*args: str) -> dict | list:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_bank_outside_the_transfer_pilot_values_and_plans_without_single_transfers(platform_env: Path) -> None:
    doc = Rulebook.load().to_dict()
    doc["parameters"]["transfer_pilot_participant"]["value"] = False
    rules = platform_env / "outside-pilot.yaml"
    rules.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")

    default = invoke_json("value", "--json", "--paths", "0")
    assert any(v["routes"]["single_transfer"]["eligible"] for v in default)
    valued = invoke_json("value", "--json", "--paths", "0", "--rules", str(rules))
    for v in valued:
        single = v["routes"]["single_transfer"]
        assert not single["eligible"] and single["npv"] is None
        assert isinstance(single["reason"], str)
    assert any("single-transfer-pilot-corporate-only" in v["routes"]["single_transfer"]["reason"] for v in valued)

    plan = invoke_json("strategy", "plan", "--json")
    assert "single_transfer" not in plan["route_counts"]
    best = {v["loan_id"]: v["best_route"] for v in valued if v["best_route"] is not None}
    assert {a["loan_id"]: a["route"] for a in plan["assignments"]} == best


def runs(root: Path) -> int:
    with sqlite3.connect(root / "db.sqlite") as db:
        return int(db.execute("SELECT count(*) FROM valuation_runs").fetchone()[0])


def test_a_malformed_rulebook_is_refused_and_stores_no_run(platform_env: Path) -> None:
    doc = Rulebook.load().to_dict()
    doc["rules"][0]["requires"] = {"field": "prodcut", "in": ["consumer"]}
    bad = platform_env / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    before = runs(platform_env)
    result = runner.invoke(app, ["value", "--paths", "0", "--rules", str(bad)])
    assert result.exit_code == 1
    said = " ".join(result.output.split())  # as read, whatever the terminal's line breaks
    assert "bad.yaml" in said and "condition requires: unknown field 'prodcut'" in said
    assert runs(platform_env) == before
