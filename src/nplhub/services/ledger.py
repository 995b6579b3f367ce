"""Use cases of the audit ledger: the head, checkpoints, verification, proof bundles, the demo step.

The signing key lives outside the database (`nplhub.services.ledger_keys`). A checkpoint is signed
only after the current tree has been shown consistent with the latest checkpoint stored in the
database *and* with the last head the key itself recorded signing, so the log never signs two
inconsistent checkpoints.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nplhub.ledger.audit import AuditReport, audit_log
from nplhub.ledger.checkpoint import Checkpoint, NoteSigner
from nplhub.ledger.log import assemble, consistency_plan, inclusion_plan, plan_nodes
from nplhub.ledger.merkle import verify_consistency, verify_inclusion
from nplhub.ledger.verifier import BUNDLE_FORMAT, CONSISTENCY_FORMAT
from nplhub.services.demo import DemoContext
from nplhub.services.ledger_keys import LedgerError, LedgerSigner, load_signer, signer_from_settings
from nplhub.services.ledger_ports import LedgerRepository, StoredCheckpoint
from nplhub.services.ports import AbstractUnitOfWork

__all__ = ["LedgerError", "LedgerSigner", "export_consistency", "export_proof", "ledger_root", "load_signer",
           "sign_checkpoint", "signer_from_settings", "verify_ledger"]


def _repo(uow: AbstractUnitOfWork) -> LedgerRepository:
    return uow.get(LedgerRepository)  # type: ignore[type-abstract]


# -- the head --------------------------------------------------------------------------------------
def _checkpoint_view(cp: StoredCheckpoint | None) -> dict[str, Any] | None:
    if cp is None:
        return None
    return {"tree_size": cp.tree_size, "root": cp.root_hash.hex(), "origin": cp.origin,
            "key_hash": cp.key_hash, "signed_at": cp.signed_at.isoformat(), "note": cp.note}


def sequence_pending(uow: AbstractUnitOfWork) -> int:
    """Give the queued events their leaf indices (see nplhub.storage.ledger); returns how many."""
    with uow:
        done = _repo(uow).sequence(wait=True)
        uow.commit()
        return done


def ledger_root(uow: AbstractUnitOfWork) -> dict[str, Any]:
    """The current tree size and root, and the latest signed checkpoint (queued events sequenced first)."""
    with uow:
        repo = _repo(uow)
        repo.sequence(wait=True)
        head = repo.head()
        result = {"tree_size": head.size, "root": head.root().hex(),
                  "latest_checkpoint": _checkpoint_view(repo.latest_checkpoint())}
        uow.commit()
        return result


# -- checkpoints -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SignedCheckpoint:
    tree_size: int
    root: bytes
    note: str
    new: bool

    def as_dict(self) -> dict[str, Any]:
        return {"tree_size": self.tree_size, "root": self.root.hex(), "note": self.note, "new": self.new}


def _sign_locked(repo: LedgerRepository, signer: NoteSigner, now: datetime) -> SignedCheckpoint:
    repo.sequence(wait=True)
    head = repo.head(lock=True)  # no append can slip in between reading the root and signing it
    root = head.root()
    latest = repo.latest_checkpoint(signer.name)
    if latest is not None:
        if latest.tree_size > head.size:
            raise LedgerError(f"the log has {head.size} entries but a checkpoint of {latest.tree_size} "
                              "was signed: entries were removed; refusing to sign")
        if latest.tree_size == head.size:
            if latest.root_hash != root:
                raise LedgerError(f"the root at size {head.size} differs from the signed one; refusing to sign")
            return SignedCheckpoint(head.size, root, latest.note, new=False)
        plan = consistency_plan(latest.tree_size, head.size)
        proof = assemble(plan, repo.nodes(plan_nodes(plan)))
        if not verify_consistency(latest.tree_size, head.size, latest.root_hash, root, proof):
            raise LedgerError(f"the log is not an extension of the checkpoint signed at size "
                              f"{latest.tree_size}; refusing to sign (run `nplhub ledger verify`)")
    _check_against_signers_record(repo, signer, head.size, root)
    note = Checkpoint(signer.name, head.size, root).sign(signer)
    repo.add_checkpoint(signer.name, head.size, root, signer.verifier.key_hash.hex(), now, note)
    if isinstance(signer, LedgerSigner):
        signer.remember(head.size, root)
    return SignedCheckpoint(head.size, root, note, new=True)


def _check_against_signers_record(repo: LedgerRepository, signer: NoteSigner, size: int, root: bytes) -> None:
    """The key's own record of what it last signed must be a prefix of what it is about to sign."""
    last = signer.last_signed() if isinstance(signer, LedgerSigner) else None
    if last is None:
        return
    last_size, last_root = last
    if last_size > size or (last_size == size and last_root != root):
        where = f" ({signer.head_file.with_suffix('')})" if isinstance(signer, LedgerSigner) and signer.head_file else ""
        raise LedgerError(f"this key{where} last signed a log of {last_size} entries that this database's log of "
                          f"{size} does not extend: a new database is a new log (move the key and its .head file "
                          "away, or set NPLHUB_LEDGER_KEY) or restore the database; refusing to sign")
    if 0 < last_size < size:
        plan = consistency_plan(last_size, size)
        if not verify_consistency(last_size, size, last_root, root, assemble(plan, repo.nodes(plan_nodes(plan)))):
            raise LedgerError(f"the log is not an extension of the head of size {last_size} this key last "
                              "signed; refusing to sign (run `nplhub ledger verify`)")


def sign_checkpoint(uow: AbstractUnitOfWork, signer: NoteSigner, now: datetime | None = None) -> SignedCheckpoint:
    """Sign the current tree head (or return the latest checkpoint if the tree has not grown)."""
    with uow:
        result = _sign_locked(_repo(uow), signer, now or datetime.now(UTC))
        uow.commit()
        return result


# -- verification ---------------------------------------------------------------------------------
def verify_ledger(uow: AbstractUnitOfWork, signer: NoteSigner | None = None) -> AuditReport:
    """Recompute everything from the entries and compare it with what is stored and signed."""
    sequence_pending(uow)
    with uow:
        repo = _repo(uow)
        return audit_log(repo.iter_entries(), repo.iter_nodes(), repo.head(), repo.checkpoints(),
                         None if signer is None else signer.verifier)


# -- proofs -------------------------------------------------------------------------------------------
@dataclass
class ProofBundle:
    data: dict[str, Any] = field(default_factory=dict)

    def write(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def export_proof(uow: AbstractUnitOfWork, leaf_index: int, signer: NoteSigner,
                 now: datetime | None = None) -> ProofBundle:
    """A self-contained bundle: the entry, its audit path to a signed checkpoint, the public key.

    Uses the latest checkpoint if it covers the entry, otherwise signs a new one first."""
    with uow:
        repo = _repo(uow)
        repo.sequence(wait=True)
        entry = repo.entry(leaf_index)
        if entry is None:
            raise LedgerError(f"the ledger has no entry {leaf_index}")
        latest = repo.latest_checkpoint(signer.name)
        if latest is None or latest.tree_size <= leaf_index:
            signed = _sign_locked(repo, signer, now or datetime.now(UTC))
            size, root, note = signed.tree_size, signed.root, signed.note
        else:
            size, root, note = latest.tree_size, latest.root_hash, latest.note
        plan = inclusion_plan(leaf_index, size)
        proof = assemble(plan, repo.nodes(plan_nodes(plan)))
        if not verify_inclusion(leaf_index, size, entry.leaf_hash, proof, root):
            raise LedgerError(f"entry {leaf_index} does not verify against the checkpoint of size {size}: "
                              "run `nplhub ledger verify`")
        uow.commit()
    return ProofBundle({
        "format": BUNDLE_FORMAT,
        "leaf_index": leaf_index,
        "entry": json.loads(entry.entry),
        "entry_b64": base64.b64encode(entry.entry).decode(),
        "leaf_hash": entry.leaf_hash.hex(),
        "tree_size": size,
        "inclusion_proof": [base64.b64encode(p).decode() for p in proof],
        "checkpoint": note,
        "public_key": signer.verifier.encode(),
    })


def export_consistency(uow: AbstractUnitOfWork, old_size: int, signer: NoteSigner,
                       now: datetime | None = None) -> ProofBundle:
    """A bundle showing that the log signed at `old_size` is a prefix of the log now (signing the current
    tree first if it has grown): for whoever kept the old checkpoint."""
    with uow:
        repo = _repo(uow)
        old = repo.checkpoint_at(old_size, signer.name)
        if old is None:
            raise LedgerError(f"no checkpoint was signed at size {old_size}")
        new = _sign_locked(repo, signer, now or datetime.now(UTC))
        plan = consistency_plan(old_size, new.tree_size)
        proof = assemble(plan, repo.nodes(plan_nodes(plan)))
        if not verify_consistency(old_size, new.tree_size, old.root_hash, new.root, proof):
            raise LedgerError(f"the log is not an extension of the checkpoint of size {old_size}: "
                              "run `nplhub ledger verify`")
        uow.commit()
    return ProofBundle({
        "format": CONSISTENCY_FORMAT,
        "old_tree_size": old_size,
        "tree_size": new.tree_size,
        "consistency_proof": [base64.b64encode(p).decode() for p in proof],
        "old_checkpoint": old.note,
        "checkpoint": new.note,
        "public_key": signer.verifier.encode(),
    })


def check_bundle_file(path: Path) -> dict[str, Any]:
    """Verify a bundle file with the standalone verifier (no database)."""
    from nplhub.ledger.verifier import check_bundle

    try:
        bundle = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return {"ok": False, "reason": f"cannot read {path}: {exc}"}
    if not isinstance(bundle, dict):
        return {"ok": False, "reason": f"{path} is not a JSON object"}
    return check_bundle(bundle)


def signer_key_hash(note: str) -> str:
    """The key hash (hex) of the first signature of a signed note."""
    payload = note.rstrip("\n").rsplit(" ", 1)[-1]
    return base64.b64decode(payload)[:4].hex()


# -- the demo -------------------------------------------------------------------------------------------
def demo_step(ctx: DemoContext) -> dict[str, object]:
    """Last step of the demo: sign a checkpoint over every event the pipeline recorded."""
    try:
        signed = sign_checkpoint(ctx.uow_factory(), signer_from_settings(ctx.settings))  # the platform's key
    except LedgerError as exc:  # e.g. a new database with an old key: say so, do not sign, do not crash
        ctx.results["ledger"] = {"refused": str(exc)}
        return {"checkpoint / 签名检查点": "refused / 拒绝签名 (see `nplhub ledger checkpoint`)"}
    ctx.results["ledger"] = signed.as_dict()
    return {
        "entries / 账本条目": signed.tree_size,
        "root / 根哈希": signed.root.hex()[:16] + "…",
        "checkpoint / 签名检查点": f"size {signed.tree_size}, Ed25519 ({signer_key_hash(signed.note)})",
    }
