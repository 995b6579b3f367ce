"""Exports: the cash-flow report as CSV and Excel, the deal as AbsBox JSON (structure only)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl

from nplhub.securitization import projection
from nplhub.securitization.deal import Deal
from nplhub.securitization.export import absbox_deal, report_csv, write_report_xlsx
from nplhub.securitization.report import run_waterfall

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def report(name: str = "gacs_three_tranche.yaml"):
    deal = Deal.load(EXAMPLES / name)
    rec = projection.from_pool(deal)
    return deal, run_waterfall(deal, projection.period_inputs(deal, projection.stressed(rec, projection.Stress(0.3)), rec))


def test_the_csv_has_one_row_per_payment_date_and_balances_in_and_out() -> None:
    deal, r = report()
    rows = list(csv.DictReader(io.StringIO(report_csv(r))))
    assert [row["date"] for row in rows] == [d.isoformat() for d in r.dates]
    for row in rows:
        assert row["inflow_total"] == row["outflow_total"]
    assert "tranche:class_a:principal_paid" in rows[0]


def test_the_workbook_holds_the_same_figures_as_the_csv(tmp_path: Path) -> None:
    deal, r = report()
    path = write_report_xlsx(r, tmp_path / "cf.xlsx", [{"tranche": "class_a", "yield": 0.01}])
    wb = openpyxl.load_workbook(path)
    ws = wb["cash flows 现金流"]
    names = [c.value for c in ws[2]]
    col = names.index("inflow_total")
    values = [ws.cell(row=i + 3, column=col + 1).value for i in range(len(r.dates))]
    assert values == [int(v) / 100 for v in r.line("inflow_total")]
    assert ws.cell(row=1, column=col + 1).value == "流入合计"
    assert wb["tranches 分档"]["A2"].value == "class_a"


def test_the_absbox_deal_has_the_generic_structure_and_our_capital_structure() -> None:
    deal, r = report()
    out = absbox_deal(deal, [int(c) for c in r.line("collections")])
    json.dumps(out)  # serialisable
    generic = out["deal"]
    assert set(generic) >= {"name", "dates", "pool", "accounts", "bonds", "fees", "waterfall", "collection"}
    assert [b[0] for b in generic["bonds"]] == ["class_a", "class_b", "class_j"]
    assert generic["bonds"][2][1]["bondType"] == {"Equity": None}
    assert generic["bonds"][0][1]["balance"] == 230_000_000.0
    assert set(generic["dates"]) >= {"cutoff", "closing", "firstPay", "payFreq", "stated"}
    verbs = {a[0] for w in generic["waterfall"].values() for a in w}
    assert verbs <= {"payFee", "payInt", "payPrin", "payIntResidual", "transfer"}
    assert len(generic["waterfall"]["amortizing"]) == len(deal.waterfall)
    assert generic["pool"]["cashflow"]["recoveries"][0] == int(r.line("collections")[0]) / 100
    assert out["nplhub_notes"]
