"""Valuation runs and per-loan explanations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from nplhub.api.deps import PlatformDep, require
from nplhub.api.security import Permission
from nplhub.services import valuation as svc

router = APIRouter(prefix="/api/valuation", tags=["valuation"])
Aggregates = Annotated[object, Depends(require(Permission.READ_AGGREGATES))]
LoanLevel = Annotated[object, Depends(require(Permission.READ_LOANS))]


@router.get("/run")
def latest_run(platform: PlatformDep, _: Aggregates, snapshot_id: str | None = None) -> dict[str, Any]:
    """The latest valuation run of the snapshot: totals, assumptions, best routes."""
    return svc.latest_run(platform.uow(), snapshot_id)


@router.get("/loans")
def loans(platform: PlatformDep, _: LoanLevel, snapshot_id: str | None = None) -> list[dict[str, Any]]:
    """Per loan: claim, best route and every route's eligibility, NPV and reason."""
    return svc.portfolio_records(svc.latest_route_values(platform.uow(), snapshot_id))


@router.get("/loans/{loan_id}")
def explain(platform: PlatformDep, _: LoanLevel, loan_id: str, snapshot_id: str | None = None) -> dict[str, Any]:
    """Cash flows per route and the drivers of one loan's value."""
    return svc.explain(platform.uow(), loan_id, snapshot_id)
