"""The guard in front of tape uploads: who may send one, and how large it may be, judged before
and while the request body arrives.

FastAPI parses a multipart body (spooling the file to disk) before it resolves the route's
dependencies, so the route's own permission check would come only after the whole upload was
received. This middleware looks first: a POST to an upload route by an unknown token is answered
401, by a role without the route's permission 403, without reading its body (the route checks
again). A POST under /api/tapes/ whose declared Content-Length is over the limit is answered 413
before its body is read; one sent without a length (chunked) is cut off with 413 as soon as the
bytes received pass the limit, before the multipart parser has spooled it whole. The limit is the
file limit (NPLHUB_TAPE_UPLOAD_MAX_BYTES) plus room for the metadata fields and the multipart
framing; the file itself is measured exactly again where it is copied (`services/tape_upload.py`).
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nplhub.api.deps import check, principal_of
from nplhub.api.security import Permission
from nplhub.services.tape_upload import upload_too_large

PREFIX = "/api/tapes/"
OVERHEAD = 64 * 1024   # the metadata fields and the multipart framing around the file


def too_large_response(file_limit: int) -> JSONResponse:
    rejected = upload_too_large(file_limit)
    return JSONResponse({"detail": str(rejected), "error": "UploadRejected",
                         "issues": [i.to_dict() for i in rejected.issues]}, status_code=413)


class TapeUploadGuard:
    """ASGI middleware: callers without `permissions[path]` get 401/403 and uploads over
    `file_limit` + OVERHEAD bytes 413, before the body is read or as soon as it passes the limit."""

    def __init__(self, app: ASGIApp, file_limit: int, permissions: Mapping[str, Permission]) -> None:
        self.app = app
        self.file_limit = file_limit
        self.body_limit = file_limit + OVERHEAD
        self.permissions = dict(permissions)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        permission = self.permissions.get(scope["path"].rstrip("/"))
        if permission is not None:
            try:
                check(principal_of(scope["app"].state.tokens, headers.get("authorization"),
                                   headers.get("x-api-key")), permission)
            except HTTPException as refused:
                await JSONResponse({"detail": refused.detail}, refused.status_code)(scope, receive, send)
                return
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.body_limit:
            await too_large_response(self.file_limit)(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.body_limit:
                    # raised inside the form parser's read: the app's handler answers (api/errors.py)
                    raise HTTPException(413, "upload too large")
            return message

        await self.app(scope, limited, send)
