"""Portfolios and snapshots."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from nplhub.api.deps import PlatformDep, require
from nplhub.api.security import Permission
from nplhub.services.datahub import portfolio_summary

router = APIRouter(prefix="/api/portfolio", tags=["portfolio"])

Reader = Annotated[object, Depends(require(Permission.READ_AGGREGATES))]


@router.get("/summary")
def summary(platform: PlatformDep, _: Reader, snapshot_id: str | None = None) -> dict[str, Any]:
    """Counts and balances of a snapshot (default: the latest) by class, region, industry and product."""
    return portfolio_summary(platform.uow(), snapshot_id)
