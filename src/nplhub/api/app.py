"""The FastAPI application: REST API under /api, dashboards at /, built from the composition root."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from nplhub import __version__
from nplhub.api.errors import install_error_handlers
from nplhub.api.routers import health, ledger, market, portfolio, risk, valuation
from nplhub.api.security import TokenTable
from nplhub.bootstrap import Platform, bootstrap


def create_app(platform: Platform | None = None, tokens: TokenTable | None = None) -> FastAPI:
    platform = platform or bootstrap()
    app = FastAPI(
        title="nplhub",
        version=__version__,
        description="Non-performing asset disposal platform / 不良资产处置平台",
    )
    app.state.platform = platform
    app.state.tokens = tokens or TokenTable.from_environment()
    install_error_handlers(app)
    app.include_router(health.router)
    for module in (portfolio, risk, valuation, market, ledger):
        app.include_router(module.router)
    from nplhub.web import routes as web_routes

    app.include_router(web_routes.router)
    app.mount("/static", StaticFiles(directory=str(web_routes.STATIC_DIR)), name="static")
    return app
