"""Valuation and recovery: collateral, cash flows per disposal route, recovery models, NPV.

The engine's public product is the *route-value frame*: one row per (loan, disposal route) with
the columns in `ROUTE_VALUE_COLUMNS`. Strategy, securitization and the marketplace read it.
"""

from __future__ import annotations

# The disposal routes the engine values, in display order (codes of `DisposalRoute`).
ROUTES: tuple[str, ...] = (
    "collection",
    "restructuring",
    "bulk_transfer",
    "single_transfer",
    "judicial_auction",
    "debt_to_equity",
    "write_off",
)

# One row per (loan_id, route).
#   loan_id            str
#   route              str, one of ROUTES
#   eligible           bool: the route is open to this loan
#   reason             str | None: why not, when not eligible (None when eligible)
#   claim              float: the loan's claim (principal + interest + penalty + fees), yuan
#   npv                float: net present value of the route's net cash flows, yuan (NaN if ineligible)
#   gross_recovery     float: undiscounted gross cash in, yuan (NaN if ineligible)
#   costs              float: undiscounted costs, yuan (NaN if ineligible)
#   months_to_recovery float: cash-weighted mean time to the cash, months (NaN if ineligible)
#   irr                float: annual internal rate of return on the claim's purchase at npv (NaN if none)
#   p10, p50, p90      float: Monte Carlo quantiles of the NPV, yuan (NaN where no Monte Carlo was run)
ROUTE_VALUE_COLUMNS: tuple[str, ...] = (
    "loan_id",
    "route",
    "eligible",
    "reason",
    "claim",
    "npv",
    "gross_recovery",
    "costs",
    "months_to_recovery",
    "irr",
    "p10",
    "p50",
    "p90",
)

__all__ = ["ROUTES", "ROUTE_VALUE_COLUMNS"]
