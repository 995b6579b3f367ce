"""`nplhub ledger root|checkpoint|verify|proof|check` from the command line."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from nplhub.bootstrap import bootstrap
from nplhub.cli.main import app
from nplhub.config import Settings
from nplhub.domain.events import GenericEvent

runner = CliRunner()


@pytest.fixture
def platform(tmp_path, monkeypatch):
    monkeypatch.setenv("NPLHUB_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("NPLHUB_DATABASE_URL", raising=False)
    monkeypatch.delenv("NPLHUB_LEDGER_KEY", raising=False)
    platform = bootstrap(Settings())
    for i in range(12):
        with platform.uow() as uow:
            uow.record(GenericEvent(kind="market.bid_placed", subject=f"LOT-{i % 3}", data={"amount": f"{i}00.00"}))
            uow.commit()
    yield platform
    platform.close()


def run(*args: str):
    return runner.invoke(app, ["ledger", *args])


def test_root_reports_the_size_and_root_of_the_log_as_json(platform):
    result = run("root", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["tree_size"] == 12 and len(data["root"]) == 64 and data["latest_checkpoint"] is None


def test_checkpoint_signs_with_a_key_created_outside_the_database(platform, tmp_path):
    result = run("checkpoint")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:2] == ["nplhub.example/ledger", "12"] and lines[4].startswith("\u2014 nplhub.example/ledger ")
    assert (tmp_path / "var" / "ledger-ed25519.key").exists()
    data = json.loads(run("checkpoint", "--json").output)
    assert data["tree_size"] == 12 and data["new"] is False


def test_proof_then_check_verifies_an_entry_offline(platform, tmp_path):
    bundle = tmp_path / "bundle.json"
    result = run("proof", "5", "--out", str(bundle), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"out": str(bundle), "leaf_index": 5, "tree_size": 12}
    platform.close()
    (tmp_path / "var" / "nplhub.sqlite").unlink()  # no database: the bundle stands alone
    checked = run("check", str(bundle), "--json")
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.output)["ok"] is True


def test_check_rejects_an_altered_bundle_with_exit_1(platform, tmp_path):
    bundle = tmp_path / "bundle.json"
    assert run("proof", "2", "--out", str(bundle)).exit_code == 0
    data = json.loads(bundle.read_text())
    data["leaf_index"] = 3
    bundle.write_text(json.dumps(data))
    result = run("check", str(bundle))
    assert result.exit_code == 1
    assert "FAILED" in result.output


def test_proof_of_an_unknown_entry_is_refused_with_exit_1(platform, tmp_path):
    result = run("proof", "99", "--out", str(tmp_path / "b.json"))
    assert result.exit_code == 1
    assert not (tmp_path / "b.json").exists()


def test_verify_passes_then_names_the_row_altered_behind_its_back(platform):
    assert run("checkpoint").exit_code == 0
    ok = run("verify", "--json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["ok"] is True
    with platform.engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_entries WHERE leaf_index = 9"))
    bad = run("verify", "--json")
    assert bad.exit_code == 1
    report = json.loads(bad.output)
    assert report["ok"] is False and report["first_bad_entry"] == 9
    assert run("verify").output.count("first bad entry") == 1


def test_checkpoint_on_a_schedule_signs_only_when_the_log_has_grown(platform):
    result = run("checkpoint", "--every", "0.01", "--times", "3", "--json")
    assert result.exit_code == 0, result.output
    rounds = [json.loads(chunk) for chunk in result.output.replace("}\n{", "}\n\x00{").split("\x00")]
    assert [r["new"] for r in rounds] == [True, False, False]
    assert {r["tree_size"] for r in rounds} == {12}


def test_a_negative_schedule_is_a_usage_error(platform):
    assert run("checkpoint", "--every", "-1").exit_code == 2


def test_consistency_exports_a_proof_that_yesterdays_log_is_a_prefix_of_todays(platform, tmp_path):
    assert run("checkpoint").exit_code == 0
    with platform.uow() as uow:
        uow.record(GenericEvent(kind="market.bid_placed", subject="LOT-9", data={"amount": "900.00"}))
        uow.commit()
    bundle = tmp_path / "consistency.json"
    result = run("consistency", "12", "--out", str(bundle), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"out": str(bundle), "old_tree_size": 12, "tree_size": 13}
    checked = json.loads(run("check", str(bundle), "--json").output)
    assert checked["ok"] and checked["old_tree_size"] == 12 and checked["tree_size"] == 13
    assert run("consistency", "5", "--out", str(tmp_path / "x.json")).exit_code == 1  # never signed at 5
