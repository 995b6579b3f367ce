"""Exports: the cash-flow report as CSV and as an Excel workbook; the deal as AbsBox JSON.

The AbsBox export writes the keyword arguments of absbox's `Generic` deal (name, dates, pool,
accounts, bonds, fees, waterfall, collection, call, triggers) in its list-and-map vocabulary, with
the pool given as the projected per-period recoveries. It is checked for structure only: nplhub
does not run a Hastructure server. Features without an AbsBox counterpart in this mapping (the
per-date curable trigger switching to a second waterfall, the cost cap) are listed under
"nplhub_notes" so that a user can finish them by hand.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from nplhub.securitization.cents import from_cents
from nplhub.securitization.deal import Deal
from nplhub.securitization.report import WaterfallReport
from nplhub.securitization.steps import (
    PayDeferredServicerFee,
    PayFee,
    PayIncentiveFee,
    PayInterest,
    PayPrincipal,
    PayResidual,
    PayServicerFee,
    ReimburseCosts,
    Step,
    TopUpReserve,
)

LABELS = {  # column prefix -> Chinese label for the workbook's header row
    "collections": "回收款", "costs_advanced": "垫付处置费用", "reserve_release": "储备释放",
    "brought_forward": "上期结转", "call_proceeds": "清仓回购款", "inflow_total": "流入合计",
    "outflow_total": "流出合计", "carried_forward": "结转下期", "reserve:top_up": "储备补足",
    "reserve:balance": "储备余额", "reserve:target": "储备目标", "servicer_fee:paid": "基本服务费",
    "incentive_fee:paid": "超额奖励服务费",
}


def report_table(report: WaterfallReport) -> tuple[list[str], list[list[Any]]]:
    rows = report.period_rows()
    header = list(rows[0].keys()) if rows else ["date"]
    return header, [[row[h] for h in header] for row in rows]


def report_csv(report: WaterfallReport) -> str:
    header, rows = report_table(report)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([str(v) for v in row])
    return buf.getvalue()


def write_report_csv(report: WaterfallReport, path: str | Path) -> Path:
    p = Path(path)
    p.write_text(report_csv(report), encoding="utf-8")
    return p


def write_report_xlsx(report: WaterfallReport, path: str | Path, tranche_summary: list[dict[str, Any]] | None = None) -> Path:
    """A workbook with the period report (one row per payment date, Chinese labels in the first
    row, the line names in the second) and, when given, a sheet of tranche figures."""
    import xlsxwriter

    p = Path(path)
    header, rows = report_table(report)
    wb = xlsxwriter.Workbook(str(p))
    try:
        money = wb.add_format({"num_format": "#,##0.00"})
        bold = wb.add_format({"bold": True})
        ws = wb.add_worksheet("cash flows 现金流")
        for j, name in enumerate(header):
            ws.write(0, j, LABELS.get(name, ""), bold)
            ws.write(1, j, name, bold)
        for i, row in enumerate(rows, start=2):
            for j, v in enumerate(row):
                if isinstance(v, Decimal):
                    ws.write_number(i, j, float(v), money)
                elif isinstance(v, bool):
                    ws.write_boolean(i, j, v)
                else:
                    ws.write(i, j, v)
        ws.freeze_panes(2, 1)
        if tranche_summary:
            ts = wb.add_worksheet("tranches 分档")
            keys = list(tranche_summary[0].keys())
            for j, k in enumerate(keys):
                ts.write(0, j, k, bold)
            for i, item in enumerate(tranche_summary, start=1):
                for j, k in enumerate(keys):
                    v = item[k]
                    ts.write(i, j, "" if v is None else v)
    finally:
        wb.close()
    return p


# -- AbsBox -------------------------------------------------------------------------------------
_FREQ = {1: "MonthEnd", 3: "QuarterEnd", 6: "HalfYearEnd", 12: "YearEnd"}
_ACC = "collection"


def _bond(deal: Deal, name: str) -> list[Any]:
    t = deal.tranche(name)
    bond_type = {"Equity": None} if t.seniority == "subordinated" else {"Sequential": None}
    return [t.name, {"balance": float(t.balance), "rate": float(t.coupon), "originBalance": float(t.balance),
                     "originRate": float(t.coupon), "startDate": deal.closing_date.isoformat(),
                     "rateType": {"Fixed": float(t.coupon)}, "bondType": bond_type}]


def _action(step: Step, deal: Deal) -> list[Any] | None:
    if isinstance(step, PayFee):
        return ["payFee", _ACC, [step.fee]]
    if isinstance(step, PayServicerFee):
        return ["payFee", _ACC, ["servicer_base_fee"]]
    if isinstance(step, PayDeferredServicerFee):
        return ["payFee", _ACC, ["servicer_base_fee"]]
    if isinstance(step, ReimburseCosts):
        return ["payFee", _ACC, [f"servicer_costs_{step.part}"]]
    if isinstance(step, TopUpReserve):
        return ["transfer", _ACC, "liquidity_reserve"]
    if isinstance(step, PayInterest):
        return ["payInt", _ACC, [step.tranche]]
    if isinstance(step, PayPrincipal):
        return ["payPrin", _ACC, [step.tranche]]
    if isinstance(step, PayIncentiveFee):
        return ["payFee", _ACC, ["servicer_incentive_fee"]]
    if isinstance(step, PayResidual):
        return ["payIntResidual", _ACC, step.tranche]
    return None  # pragma: no cover


def absbox_deal(deal: Deal, collections: list[int] | None = None) -> dict[str, Any]:
    """The deal as absbox `Generic` keyword arguments (JSON-ready), plus notes on what the
    mapping leaves out. `collections` (cents per period) become the pool's projected cash flow."""
    dates = deal.payment_dates()
    fees: list[list[Any]] = []
    for f in deal.fees:
        if f.basis == "fixed":
            kind: dict[str, Any] = {"recurFee": [["MonthDay" if deal.frequency_months == 1 else _FREQ[deal.frequency_months], 0],
                                                 float(f.amount)]}
        elif f.basis == "collections":
            kind = {"pctFee": [["poolCollection", "CollectedRecoveries"], float(f.rate)]}
        elif f.basis == "tranche_balance":
            kind = {"annualPctFee": [["bondBalance", [f.tranche]], float(f.rate)]}
        else:
            kind = {"annualPctFee": ["bondBalance", float(f.rate)]}
        fees.append([f.name, {"type": kind}])
    fees.append(["servicer_base_fee", {"type": {"pctFee": [["poolCollection", "CollectedRecoveries"],
                                                             float(deal.servicer.base_rate)]}}])
    fees.append(["servicer_incentive_fee", {"type": {"pctFee": [["cash", _ACC], float(deal.servicer.incentive_rate)]}}])
    accounts: list[list[Any]] = [[_ACC, {"balance": 0}]]
    if deal.reserve is not None:
        accounts.append(["liquidity_reserve", {"balance": float(deal.reserve.initial_balance),
                                               "type": {"targetReserve": {"multiple": float(deal.reserve.target_multiple)}}}])
    waterfall: dict[str, Any] = {"amortizing": [a for s in deal.waterfall if (a := _action(s, deal)) is not None]}
    if deal.waterfall_on_trigger is not None:
        waterfall["amortizing_triggered"] = [a for s in deal.waterfall_on_trigger if (a := _action(s, deal)) is not None]
    pool: dict[str, Any] = {"cutoff": deal.pool.cutoff_date.isoformat()}
    if collections is not None:
        pool["cashflow"] = {"dates": [d.isoformat() for d in dates],
                            "recoveries": [float(from_cents(c)) for c in collections]}
    generic = {
        "name": deal.name,
        "dates": {"cutoff": deal.pool.cutoff_date.isoformat(), "closing": deal.closing_date.isoformat(),
                  "firstPay": deal.first_payment_date.isoformat(), "payFreq": _FREQ[deal.frequency_months],
                  "poolFreq": "MonthEnd", "stated": dates[-1].isoformat()},
        "pool": pool,
        "accounts": accounts,
        "bonds": [_bond(deal, t.name) for t in deal.tranches],
        "fees": fees,
        "waterfall": waterfall,
        "collection": [["CollectedRecoveries", _ACC]],
        "call": None if deal.clean_up_call is None else [{"bondBalance": float(deal.clean_up_call.threshold)}],
        "triggers": [{"name": t.name, "kind": t.kind, "threshold": float(t.threshold), "curable": t.curable}
                     for t in deal.triggers] or None,
    }
    notes = ["servicer costs (capped/excess) are named fees here; their cap is not mapped"]
    if deal.triggers:
        notes.append("the triggered waterfall is listed as 'amortizing_triggered'; wire it to the triggers by hand")
    return {"engine": "absbox Generic (structure only; run with a Hastructure server of the same minor version)",
            "deal": generic, "nplhub_notes": notes}
