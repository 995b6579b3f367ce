"""Domain errors become HTTP answers with the sentence the domain wrote."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from nplhub.domain.errors import Conflict, DomainError, InvalidTransition, NotFound
from nplhub.services.ledger import LedgerError


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
        status = 422
        if isinstance(exc, NotFound):
            status = 404
        elif isinstance(exc, Conflict | InvalidTransition):
            status = 409
        body = {"detail": str(exc), "error": type(exc).__name__}
        code = getattr(exc, "code", None)   # a refused bid names its rule (below_minimum, not_registered, ...)
        if isinstance(code, str):
            body["code"] = code
        return JSONResponse(body, status_code=status)

    @app.exception_handler(LedgerError)
    async def _ledger_error(request: Request, exc: LedgerError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "error": "LedgerError"}, status_code=422)
