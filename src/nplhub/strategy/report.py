"""The comparison report: traditional disposal routes against the innovative ones, with assumptions.

Traditional (传统方式): collection, restructuring, judicial auction, write-off.
Innovative (创新方式): bulk (packaged) transfer, single-account transfer on the registration
centre's platform, market-based debt-to-equity; securitization is priced by `nplhub abs`.

Three views: every route if every eligible loan took it; each loan's best traditional against its
best innovative route (on loans that have both); and the plan as chosen. Written as HTML (jinja2)
and as an Excel workbook (xlsxwriter), with the assumptions and the rules' sources beside them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from nplhub.valuation.eligibility import Rulebook

FAMILY = {
    "collection": "traditional", "restructuring": "traditional", "judicial_auction": "traditional",
    "write_off": "traditional", "bulk_transfer": "innovative", "single_transfer": "innovative",
    "debt_to_equity": "innovative", "securitization": "innovative",
}
ROUTE_LABELS = {
    "collection": "清收 / collection", "restructuring": "重组 / restructuring",
    "judicial_auction": "司法拍卖 / judicial auction", "write_off": "核销 / write-off",
    "bulk_transfer": "批量转让 / packaged transfer", "single_transfer": "单户转让(平台) / platform single transfer",
    "debt_to_equity": "债转股 / debt-to-equity", "securitization": "资产证券化 / securitization",
}
FAMILY_LABELS = {"traditional": "传统方式 / traditional", "innovative": "创新方式 / innovative"}


def _metrics(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    f = frame.assign(_wm=frame["months_to_recovery"].astype(float).fillna(0.0) * frame["claim"].astype(float))
    g = f.groupby(key, sort=False).agg(loans=("loan_id", "count"), claim=("claim", "sum"),
                                       gross_recovery=("gross_recovery", "sum"), costs=("costs", "sum"),
                                       npv=("npv", "sum"), wm=("_wm", "sum"))
    g["recovery_rate"] = g["gross_recovery"] / g["claim"].where(g["claim"] > 0)
    g["cost_ratio"] = g["costs"] / g["gross_recovery"].where(g["gross_recovery"] > 0)
    g["npv_to_claim"] = g["npv"] / g["claim"].where(g["claim"] > 0)
    g["months"] = g["wm"] / g["claim"].where(g["claim"] > 0)
    return g.drop(columns="wm").reset_index()


def comparison_tables(options: pd.DataFrame, assignments: pd.DataFrame, plan: Any, rulebook: Rulebook) -> dict[str, Any]:
    """Tables of the report; `options` are the eligible (loan, route) rows, `assignments` the plan's."""
    opts = options.assign(family=options["route"].map(FAMILY))
    every = _metrics(opts, "route")
    every["family"] = every["route"].map(FAMILY)
    every["label"] = every["route"].map(ROUTE_LABELS)

    best_of = opts.loc[opts.groupby(["loan_id", "family"])["npv"].idxmax()]
    both = best_of.groupby("loan_id")["family"].transform("nunique") == 2
    head_to_head = _metrics(best_of[both], "family")
    head_to_head["label"] = head_to_head["family"].map(FAMILY_LABELS)

    planned = assignments.assign(family=assignments["route"].map(FAMILY))
    in_plan = _metrics(planned, "route")
    in_plan["family"] = in_plan["route"].map(FAMILY)
    in_plan["label"] = in_plan["route"].map(ROUTE_LABELS)
    plan_family = _metrics(planned, "family")
    plan_family["label"] = plan_family["family"].map(FAMILY_LABELS)

    constraints = dict(plan.constraints)
    assumptions = [{"name": k, "value": str(v)} for k, v in constraints.items()]
    assumptions += [{"name": f"eligibility parameter {k}", "value": f"{v} — {rulebook.parameter_sources[k]}"}
                    for k, v in rulebook.parameters.items()]
    return {
        "title": "处置方式比较报告 / Disposal route comparison",
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "plan": {"plan_id": plan.plan_id, "snapshot_id": plan.snapshot_id, "status": plan.status,
                 "method": plan.method, "objective_npv": plan.objective_npv,
                 "unconstrained_npv": plan.unconstrained_npv, "gap": plan.gap, "loans": plan.loans},
        "binding": list(plan.summary.get("binding_constraints", [])),
        "every_route": every.sort_values(["family", "npv"], ascending=[False, False]),
        "head_to_head": head_to_head,
        "head_to_head_loans": int(best_of[both]["loan_id"].nunique()),
        "in_plan": in_plan.sort_values("npv", ascending=False),
        "plan_family": plan_family,
        "assumptions": pd.DataFrame(assumptions),
        "rules": pd.DataFrame(rulebook.describe()),
        "rulebook_version": rulebook.version,
    }


_COLUMNS = [("label", "route / 方式"), ("loans", "loans / 笔数"), ("claim", "claim / 债权 (¥)"),
            ("gross_recovery", "gross recovery / 回收 (¥)"), ("recovery_rate", "recovery rate / 回收率"),
            ("months", "months / 周期(月)"), ("costs", "costs / 成本 (¥)"), ("cost_ratio", "cost ratio / 成本率"),
            ("npv", "NPV / 净现值 (¥)"), ("npv_to_claim", "NPV / claim")]


def _display(frame: pd.DataFrame) -> list[list[str]]:
    rows = []
    for rec in frame.to_dict("records"):
        row = []
        for key, _ in _COLUMNS:
            v = rec.get(key)
            if isinstance(v, float | np.floating):
                if not np.isfinite(v):
                    row.append("—")
                elif key in ("recovery_rate", "cost_ratio", "npv_to_claim"):
                    row.append(f"{v:.1%}")
                elif key == "months":
                    row.append(f"{v:.1f}")
                else:
                    row.append(f"{v:,.0f}")
            else:
                row.append(str(v))
        rows.append(row)
    return rows


def write_html(tables: dict[str, Any], path: Path) -> Path:
    env = jinja2.Environment(loader=jinja2.PackageLoader("nplhub.strategy", "templates"),
                             autoescape=jinja2.select_autoescape(["html"]))
    html = env.get_template("report.html").render(
        t=tables, headers=[h for _, h in _COLUMNS], every=_display(tables["every_route"]),
        h2h=_display(tables["head_to_head"]), in_plan=_display(tables["in_plan"]),
        plan_family=_display(tables["plan_family"]), assumptions=tables["assumptions"].to_dict("records"),
        rules=tables["rules"].to_dict("records"))
    path.write_text(html, encoding="utf-8")
    return path


def write_workbook(tables: dict[str, Any], path: Path) -> Path:
    with pd.ExcelWriter(path, engine="xlsxwriter") as xw:
        summary = pd.DataFrame([{"item": k, "value": v} for k, v in tables["plan"].items()])
        summary.to_excel(xw, sheet_name="plan", index=False)
        rename = dict(_COLUMNS)
        for sheet, key in (("every route", "every_route"), ("traditional vs innovative", "head_to_head"),
                           ("plan by route", "in_plan"), ("plan by family", "plan_family")):
            frame = tables[key]
            frame[[k for k, _ in _COLUMNS if k in frame]].rename(columns=rename).to_excel(xw, sheet_name=sheet,
                                                                                           index=False)
        pd.DataFrame(tables["binding"] or [{"text": "no binding constraint"}]).to_excel(
            xw, sheet_name="binding constraints", index=False)
        tables["assumptions"].to_excel(xw, sheet_name="assumptions", index=False)
        tables["rules"].to_excel(xw, sheet_name="eligibility rules", index=False)
        for ws in xw.sheets.values():
            ws.set_column(0, 12, 22)
    return path
