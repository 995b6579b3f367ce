"""The audit ledger: root, proofs. A proof bundle verifies offline with `nplhub ledger check`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from nplhub.api.deps import PlatformDep, require
from nplhub.api.security import Permission
from nplhub.services import ledger as svc

router = APIRouter(prefix="/api/ledger", tags=["ledger"])
LedgerReader = Annotated[object, Depends(require(Permission.READ_LEDGER))]


@router.get("/root")
def root(platform: PlatformDep, _: LedgerReader) -> dict[str, Any]:
    """Tree size, root hash and the latest signed checkpoint."""
    return svc.ledger_root(platform.uow())


@router.get("/proof/{leaf_index}")
def proof(platform: PlatformDep, _: LedgerReader, leaf_index: int) -> dict[str, Any]:
    """A self-contained inclusion-proof bundle for one entry (entry, path, signed checkpoint, key)."""
    signer = svc.signer_from_settings(platform.settings)
    return svc.export_proof(platform.uow(), leaf_index, signer).data  # type: ignore[no-any-return]
