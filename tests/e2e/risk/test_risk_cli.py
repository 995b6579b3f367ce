"""`nplhub risk ...` through the Typer runner: the --json output contracts of issue 3."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from nplhub.cli.main import app

DATA = Path(__file__).resolve().parents[3] / ".venv" / "oracles" / "transitionmatrix" / "datasets"
runner = CliRunner()
CLASSES = {"normal", "special_mention", "substandard", "doubtful", "loss"}


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env=env)


@pytest.fixture
def compact_file(tmp_path):
    rows = []
    rng = np.random.default_rng(3)
    truth = np.array([[0.9, 0.1, 0.0], [0.2, 0.6, 0.2], [0.0, 0.0, 1.0]])
    for i in range(300):
        s = 0
        for t in range(6):
            rows.append((i, t, s))
            s = rng.choice(3, p=truth[s])
    path = tmp_path / "history.csv"
    pd.DataFrame(rows, columns=["ID", "Time", "State"]).to_csv(path, index=False)
    return path


def test_matrix_json_has_method_states_and_one_period_matrix_in_state_order(compact_file):
    result = run("risk", "matrix", "--input", str(compact_file), "--method", "cohort", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["method"] == "cohort" and out["states"] == [0, 1, 2]
    m = np.asarray(out["matrix"])
    assert m.shape == (3, 3)
    np.testing.assert_allclose(m.sum(axis=1), 1.0)
    frame = pd.read_csv(compact_file).sort_values(["ID", "Time"])
    nxt = frame.groupby("ID")["State"].shift(-1)
    counts = pd.crosstab(frame["State"][nxt.notna()], nxt.dropna().astype(int)).reindex(
        index=[0, 1, 2], columns=[0, 1, 2], fill_value=0).to_numpy()
    np.testing.assert_allclose(m, counts / counts.sum(axis=1, keepdims=True), atol=1e-12)


@pytest.mark.skipif(not DATA.is_dir(), reason="transitionMatrix data sets not installed")
def test_matrix_runs_transition_matrix_data_sets_unchanged():
    result = run("risk", "matrix", "--input", str(DATA / "synthetic_data8.csv"), "--method", "aalen-johansen", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["method"] == "aalen-johansen" and out["states"] == [0, 1]
    assert out["matrix"][0][0] == pytest.approx(0.5, abs=0.02)
    result = run("risk", "matrix", "--input", str(DATA / "rating_data.csv"), "--cohorts", "5", "--not-rated", "8",
                 "--json")
    out = json.loads(result.output)
    assert len(out["not_rated_removed"]["states"]) == 8


def test_matrix_rejects_a_missing_file_and_wrong_columns_with_exit_1(tmp_path):
    result = run("risk", "matrix", "--input", str(tmp_path / "none.csv"), "--json")
    assert result.exit_code == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("loan,when,grade\n1,0,A\n", encoding="utf-8")
    result = run("risk", "matrix", "--input", str(bad), "--json")
    assert result.exit_code == 1
    assert "missing column" in result.output


def test_matrix_rejects_an_unknown_method_as_a_usage_error(compact_file):
    assert run("risk", "matrix", "--input", str(compact_file), "--method", "magic").exit_code == 2


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    from nplhub.bootstrap import bootstrap
    from nplhub.config import Settings
    from nplhub.datahub.generate import generate_tape, write_tape
    from nplhub.services.datahub import import_tape

    root = tmp_path_factory.mktemp("risk-cli")
    url = f"sqlite:///{root / 'nplhub.sqlite'}"
    platform = bootstrap(Settings(database_url=url))
    tape = generate_tape(800, 5)
    write_tape(tape, root / "tape", "csv")
    import_tape(platform.uow(), root / "tape")
    platform.close()
    ends = sorted(pd.to_datetime(tape.tables["loan_states"]["as_of_date"]).dt.date.unique())
    return {"NPLHUB_DATABASE_URL": url}, ends, tape


def test_classify_json_lists_every_loan_with_classes_and_reasons(database):
    env, _, tape = database
    result = run("risk", "classify", "--json", env=env)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == len(tape.tables["loans"])
    for row in rows:
        assert {"loan_id", "reported_class", "derived_class", "reasons"} <= row.keys()
        assert row["reported_class"] in CLASSES and row["derived_class"] in CLASSES
        assert row["reasons"] and all({"code", "zh", "en"} <= r.keys() for r in row["reasons"])


def test_metrics_json_gives_the_ratios_and_the_five_migration_rates_as_fractions(database):
    env, ends, _ = database
    result = run("risk", "metrics", "--from", str(ends[-13]), "--to", str(ends[-1]), "--json", env=env)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    for key in ("npl_ratio", "provision_coverage_ratio", "loan_provision_ratio"):
        assert 0 <= out[key] < 10
    assert set(out["migration_rates"]) == {"normal", "special_mention", "substandard", "doubtful", "normal_loans"}
    assert 0 <= out["migration_rates"]["normal"] <= 1


def test_metrics_reject_a_date_outside_the_history_with_exit_1(database):
    env, ends, _ = database
    result = run("risk", "metrics", "--from", "1999-01-31", "--to", str(ends[-1]), "--json", env=env)
    assert result.exit_code == 1
    assert "no loan_states month-end" in result.output


def test_hidden_and_warn_json(database):
    env, _, _ = database
    hidden = run("risk", "hidden", "--json", env=env)
    assert hidden.exit_code == 0, hidden.output
    report = json.loads(hidden.output)
    assert {"hidden_npl_amount", "by_branch", "by_region", "by_industry", "loans"} <= report.keys()
    warn = run("risk", "warn", "--json", "--top", "5", env=env)
    assert warn.exit_code == 0, warn.output
    out = json.loads(warn.output)
    assert {"validation", "top_loans", "watch_list"} <= out.keys()
    assert len(out["top_loans"]) <= 5


def test_classify_save_stores_the_run_and_keeps_stdout_pure_json(database):
    env, _, tape = database
    result = run("risk", "classify", "--save", "--downgraded", "--json", env=env)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert all(r["downgraded"] for r in rows)
    assert "stored run RR-" in result.stderr
