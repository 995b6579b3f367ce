"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter

from nplhub import __version__
from nplhub.api.deps import PlatformDep
from nplhub.storage.db import ping

router = APIRouter(tags=["health"])


@router.get("/api/health")
def health(platform: PlatformDep) -> dict[str, object]:
    ping(platform.engine)
    return {"status": "ok", "version": __version__, "database": platform.engine.dialect.name}
