"""The FastAPI application: REST API under /api, dashboards at /, built from the composition root."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from nplhub import __version__
from nplhub.api.errors import install_error_handlers
from nplhub.api.routers import health, ledger, market, portfolio, risk, tapes, valuation
from nplhub.api.security import TokenTable
from nplhub.api.uploads import TapeUploadGuard
from nplhub.bootstrap import Platform, bootstrap
from nplhub.services.market_sequencer import BidSequencer


def create_app(platform: Platform | None = None, tokens: TokenTable | None = None) -> FastAPI:
    platform = platform or bootstrap()
    # bids on one lot are applied in arrival order and committed in groups (see market_sequencer)
    bids = BidSequencer(platform.uow)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        bids.close()

    app = FastAPI(
        lifespan=lifespan,
        title="nplhub",
        version=__version__,
        description="Non-performing asset disposal platform / 不良资产处置平台",
    )
    app.state.platform = platform
    app.state.bids = bids
    app.state.tokens = tokens or TokenTable.from_environment()
    install_error_handlers(app)
    app.include_router(health.router)
    for module in (portfolio, risk, valuation, market, ledger):
        app.include_router(module.router)
    app.include_router(tapes.router)
    # a tape upload is refused before it is spooled whole: a caller who may not send it, or one past the limit
    app.state.tape_upload_max_bytes = platform.settings.tape_upload_max_bytes
    app.add_middleware(TapeUploadGuard, file_limit=platform.settings.tape_upload_max_bytes,
                       permissions=tapes.UPLOAD_PERMISSIONS)
    from nplhub.web import routes as web_routes

    app.include_router(web_routes.router)
    app.mount("/static", StaticFiles(directory=str(web_routes.STATIC_DIR)), name="static")
    return app
