"""The size limit of tape uploads, enforced while the request body arrives.

A POST under /api/tapes/ whose declared Content-Length is over the limit is answered 413 before its
body is read; one sent without a length (chunked) is cut off with 413 as soon as the bytes received
pass the limit, before the multipart parser has spooled it whole. The limit is the file limit
(NPLHUB_TAPE_UPLOAD_MAX_BYTES) plus room for the metadata fields and the multipart framing; the
file itself is measured exactly again where it is copied (`nplhub.services.tape_upload`).
"""

from __future__ import annotations

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nplhub.services.tape_upload import upload_too_large

PREFIX = "/api/tapes/"
OVERHEAD = 64 * 1024   # the metadata fields and the multipart framing around the file


def too_large_response(file_limit: int) -> JSONResponse:
    rejected = upload_too_large(file_limit)
    return JSONResponse({"detail": str(rejected), "error": "UploadRejected",
                         "issues": [i.to_dict() for i in rejected.issues]}, status_code=413)


class TapeUploadLimit:
    """ASGI middleware: tape uploads over `file_limit` + OVERHEAD bytes get 413 (see the module)."""

    def __init__(self, app: ASGIApp, file_limit: int) -> None:
        self.app = app
        self.file_limit = file_limit
        self.body_limit = file_limit + OVERHEAD

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
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
