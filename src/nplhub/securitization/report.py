"""The period-by-period cash-flow report of one waterfall run (one scenario path)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np

from nplhub.securitization.cents import from_cents
from nplhub.securitization.deal import Deal
from nplhub.securitization.waterfall import PeriodInputs, outflow_line_names, simulate


@dataclass(frozen=True)
class TrancheFlows:
    name: str
    dates: list[date]
    interest: list[int]
    principal: list[int]
    residual: list[int]
    balance_end: int
    interest_shortfall: int

    def totals(self) -> list[int]:
        return [i + p + r for i, p, r in zip(self.interest, self.principal, self.residual)]


@dataclass(frozen=True)
class WaterfallReport:
    deal: Deal
    dates: list[date]
    lines: dict[str, np.ndarray]  # name -> (periods,) int64 cents

    @property
    def periods(self) -> int:
        return len(self.dates)

    def line(self, name: str) -> np.ndarray:
        return self.lines.get(name, np.zeros(self.periods, dtype=np.int64))

    def outflow_total(self) -> np.ndarray:
        return sum((self.line(n) for n in outflow_line_names(self.deal)), np.zeros(self.periods, np.int64))

    def tranche(self, name: str) -> TrancheFlows:
        self.deal.tranche(name)
        pre = f"tranche:{name}:"
        return TrancheFlows(
            name=name, dates=self.dates,
            interest=[int(v) for v in self.line(pre + "interest_paid")],
            principal=[int(v) for v in self.line(pre + "principal_paid")],
            residual=[int(v) for v in self.line(pre + "residual_paid")],
            balance_end=int(self.line(pre + "balance")[-1]),
            interest_shortfall=int(self.line(pre + "interest_shortfall")[-1]),
        )

    def period_rows(self) -> list[dict[str, Any]]:
        """One dict per payment date: the date, every line in yuan (Decimal), inflow and outflow."""
        outflow = self.outflow_total()
        rows = []
        for k, d in enumerate(self.dates):
            row: dict[str, Any] = {"date": d.isoformat()}
            for name in sorted(self.lines):
                v = int(self.lines[name][k])
                row[name] = bool(v) if name.endswith((":breached", "called", "triggered")) else from_cents(v)
            row["inflow_total"] = from_cents(int(self.lines["inflow_total"][k]))
            row["outflow_total"] = from_cents(int(outflow[k]))
            rows.append(row)
        return rows


def run_waterfall(deal: Deal, inputs: PeriodInputs) -> WaterfallReport:
    """The waterfall for one scenario; periods after a clean-up call are dropped."""
    coll = np.asarray(inputs.collections)
    if coll.ndim != 1:
        raise ValueError("run_waterfall takes one path; use simulate() for many")
    raw, _ = simulate(deal, inputs)
    lines = {name: arr[:, 0] for name, arr in raw.items()}
    dates = deal.payment_dates()
    called = np.nonzero(lines.get("called", np.zeros(len(dates)))[: len(dates)])[0]
    if called.size:
        end = int(called[0]) + 1
        dates = dates[:end]
        lines = {name: arr[:end] for name, arr in lines.items()}
    return WaterfallReport(deal=deal, dates=dates, lines=lines)


def yuan(cents: int) -> Decimal:
    return from_cents(cents)
