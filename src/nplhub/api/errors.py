"""Domain errors become HTTP answers with the sentence the domain wrote."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from nplhub.api.uploads import too_large_response
from nplhub.datahub.issues import TapeRejected
from nplhub.domain.errors import Conflict, DomainError, InvalidTransition, NotFound
from nplhub.services.ledger import LedgerError
from nplhub.services.tape_upload import UploadProblem, UploadRejected

UPLOAD_STATUS = {UploadProblem.TOO_LARGE: 413, UploadProblem.UNSUPPORTED: 415, UploadProblem.INVALID: 422}


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

    @app.exception_handler(TapeRejected)
    async def _tape_rejected(request: Request, exc: TapeRejected) -> JSONResponse:
        # nothing was written; every error and warning found, as `nplhub tape import --json` lists them
        return JSONResponse({"detail": str(exc), "error": "TapeRejected",
                             "issues": [i.to_dict() for i in exc.issues]}, status_code=422)

    @app.exception_handler(UploadRejected)
    async def _upload_rejected(request: Request, exc: UploadRejected) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "error": "UploadRejected",
                             "issues": [i.to_dict() for i in exc.issues]}, status_code=UPLOAD_STATUS[exc.problem])

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        limit = getattr(request.app.state, "tape_upload_max_bytes", None)
        if exc.status_code == 413 and limit is not None and request.url.path.startswith("/api/tapes/"):
            # the request body went over the tape routes' limit while it arrived (api/uploads.py)
            return too_large_response(limit)
        return await http_exception_handler(request, exc)
