"""Risk analytics: classification, hidden NPLs, supervisory metrics."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from nplhub.api.deps import PlatformDep, require
from nplhub.api.security import Permission
from nplhub.services import risk as svc

router = APIRouter(prefix="/api/risk", tags=["risk"])
Aggregates = Annotated[object, Depends(require(Permission.READ_AGGREGATES))]
LoanLevel = Annotated[object, Depends(require(Permission.READ_LOANS))]


@router.get("/metrics")
def metrics(platform: PlatformDep, _: Aggregates, date_from: date, date_to: date,
            snapshot_id: str | None = None) -> dict[str, Any]:
    """NPL ratio, provision coverage, loan provision ratio and the migration rates between two month ends."""
    return svc.snapshot_metrics(platform.uow(), date_from, date_to, snapshot_id)


@router.get("/classification")
def classification(platform: PlatformDep, _: LoanLevel, snapshot_id: str | None = None) -> list[dict[str, Any]]:
    """Every loan's reported and derived class with the reasons (loan level)."""
    return svc.classify_snapshot(platform.uow(), snapshot_id).records()  # type: ignore[no-any-return]


@router.get("/hidden")
def hidden(platform: PlatformDep, _: Aggregates, snapshot_id: str | None = None) -> dict[str, Any]:
    """The hidden-NPL amount by branch, region and industry (aggregates only)."""
    report = svc.hidden_npl(platform.uow(), snapshot_id)
    return {k: v for k, v in report.items() if k != "loans"}
