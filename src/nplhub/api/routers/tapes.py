"""Data tapes over the API: validate or import an uploaded tape, fetch a partial import's quarantine file.

The upload is one multipart file (`file`): an .xlsx workbook, a flat .csv/.parquet loan list, or a
.zip of a CSV or Parquet folder with its tape.yaml; the metadata fields override the tape's as the
CLI's flags do. Refused uploads answer 413 (too large, also once unpacked), 415 (not a tape type)
or 422 (an unsafe or unexpected archive), and a rejected tape 422, each with `issues` in the shape
of `nplhub tape ... --json`. Who may do what: see `nplhub.api.security`.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, UploadFile, status
from fastapi.responses import FileResponse
from pydantic import BaseModel

from nplhub.api.deps import PlatformDep, PrincipalDep, check, require
from nplhub.api.security import Permission, Principal
from nplhub.datahub.issues import TapeIssue
from nplhub.services.datahub import ImportResult
from nplhub.services.tape_quarantine import fetch_quarantine, quarantine_folder
from nplhub.services.tape_upload import UploadLimits, check_upload, import_upload

router = APIRouter(prefix="/api/tapes", tags=["tapes"])
# checked again before the body is read (api/uploads.py), since FastAPI parses the upload first
UPLOAD_PERMISSIONS = {f"{router.prefix}/validate": Permission.CHECK_TAPES,
                      f"{router.prefix}/import": Permission.IMPORT_TAPES}
Checker = Annotated[Principal, Depends(require(UPLOAD_PERMISSIONS[f"{router.prefix}/validate"]))]
Importer = Annotated[Principal, Depends(require(UPLOAD_PERMISSIONS[f"{router.prefix}/import"]))]
def _quarantine_reader(principal: PrincipalDep) -> Principal:
    """Who may fetch set-aside rows: roles that read personal data, and the importers who sent them."""
    if principal.can(Permission.IMPORT_TAPES):
        return principal
    return check(principal, Permission.READ_PII)


QuarantineReader = Annotated[Principal, Depends(_quarantine_reader)]

PortfolioId = Annotated[str | None, Form(description="Overrides tape.yaml / _meta.")]
PortfolioName = Annotated[str | None, Form()]
CutoffDate = Annotated[str | None, Form(description="YYYY-MM-DD")]
ReportingDate = Annotated[str | None, Form(description="YYYY-MM-DD")]
Currency = Annotated[str | None, Form()]
Seller = Annotated[str | None, Form()]
Partial = Annotated[bool, Form(description="Import the valid rows and set aside the rows with errors, and the rows "
                                            "that depend on them, into a quarantine file; file-level errors still "
                                            "reject the whole tape.")]


class TapeIssuePublic(BaseModel):
    table: str | None
    row: int | None
    column: str | None
    value: str | None
    code: str
    message: str
    severity: str

    @classmethod
    def of(cls, issue: TapeIssue) -> TapeIssuePublic:
        return cls(**issue.to_dict())


class TapeCheckPublic(BaseModel):
    ok: bool
    counts: dict[str, int]
    issues: list[TapeIssuePublic]


class TapeImportPublic(BaseModel):
    snapshot_id: str
    portfolio_id: str
    cutoff_date: str
    version: int
    counts: dict[str, int]
    content_sha256: str
    warnings: int
    partial: bool | None = None                 # a partial import only: whether any row was set aside
    quarantined: dict[str, int] | None = None   # rows set aside per table
    quarantine_id: str | None = None            # the snapshot whose quarantine file GET .../quarantine gives
    quarantine_url: str | None = None

    @classmethod
    def of(cls, result: ImportResult) -> TapeImportPublic:
        body = cls(snapshot_id=result.snapshot_id, portfolio_id=result.portfolio_id, cutoff_date=result.cutoff_date,
                   version=result.version, counts=result.counts, content_sha256=result.content_sha256,
                   warnings=len(result.warnings))
        if result.quarantined is not None:
            body.partial = result.partial
            body.quarantined = result.quarantined
            body.quarantine_id = result.snapshot_id
            body.quarantine_url = quarantine_url(result.snapshot_id)
        return body


def quarantine_url(snapshot_id: str) -> str:
    """The snapshot id escaped whole: it holds '@' and '#' (PORTFOLIO@CUTOFF#vN)."""
    return f"{router.prefix}/{quote(snapshot_id, safe='')}/quarantine"


def _meta(portfolio_id: str | None, portfolio_name: str | None, cutoff_date: str | None,
          reporting_date: str | None, currency: str | None, seller: str | None) -> dict[str, str | None]:
    return {"portfolio_id": portfolio_id, "portfolio_name": portfolio_name, "cutoff_date": cutoff_date,
            "reporting_date": reporting_date, "currency": currency, "seller": seller}


@router.post("/validate")
def validate(platform: PlatformDep, _: Checker, file: UploadFile, portfolio_id: PortfolioId = None,
             portfolio_name: PortfolioName = None, cutoff_date: CutoffDate = None,
             reporting_date: ReportingDate = None, currency: Currency = None,
             seller: Seller = None) -> TapeCheckPublic:
    """Check an uploaded tape against the contract without importing it (200 also when it has errors: `ok`
    says whether it would be imported) / 校验数据带（不导入）."""
    tape = check_upload(file.file, file.filename, UploadLimits.from_settings(platform.settings),
                        _meta(portfolio_id, portfolio_name, cutoff_date, reporting_date, currency, seller))
    return TapeCheckPublic(ok=tape.ok, counts=tape.counts, issues=[TapeIssuePublic.of(i) for i in tape.issues])


def _caller(principal: Principal) -> str:
    """Who imports, for the ledger: the role and the token's subject, never a part of the token."""
    return f"api:{principal.role.value}" + (f":{principal.subject}" if principal.subject else "")


@router.post("/import", status_code=status.HTTP_201_CREATED, response_model_exclude_none=True)
def import_(platform: PlatformDep, principal: Importer, file: UploadFile, portfolio_id: PortfolioId = None,
            portfolio_name: PortfolioName = None, cutoff_date: CutoffDate = None,
            reporting_date: ReportingDate = None, currency: Currency = None, seller: Seller = None,
            partial: Partial = False) -> TapeImportPublic:
    """Import an uploaded tape as a new snapshot version; any error rejects it whole (422, nothing written),
    unless `partial` / 导入数据带."""
    quarantine = quarantine_folder(platform.settings.data_dir, create=True) if partial else None
    result = import_upload(platform.uow(), file.file, file.filename, UploadLimits.from_settings(platform.settings),
                           _meta(portfolio_id, portfolio_name, cutoff_date, reporting_date, currency, seller),
                           quarantine=quarantine, imported_by=_caller(principal))
    return TapeImportPublic.of(result)


@router.get("/{snapshot_id}/quarantine", response_class=FileResponse,
            responses={200: {"content": {"text/csv": {}}, "description": "The quarantine file (CSV, UTF-8 with BOM)."}})
def quarantine(platform: PlatformDep, principal: QuarantineReader, snapshot_id: str) -> FileResponse:
    """The rows a partial import set aside, as CSV; they hold personal data: officer, regulator, admin, and
    the data steward who imports tapes (the rows are its own), and every fetch is recorded in the audit
    ledger / 部分导入的隔离文件."""
    found = fetch_quarantine(platform.uow(), snapshot_id, quarantine_folder(platform.settings.data_dir),
                             role=principal.role.value, subject=principal.subject)
    return FileResponse(found.path, media_type="text/csv; charset=utf-8", filename=found.path.name,
                        headers={"X-Content-SHA256": found.sha256, "Cache-Control": "no-store"})
