"""The ledger's signing key, outside the database, and the signer's own record of what it signed.

The key is an Ed25519 private key in a PEM file (settings.resolved_ledger_key: NPLHUB_LEDGER_KEY,
default var/ledger-ed25519.key), created on first use with mode 0600. Beside it the signer keeps
`<key file>.head`: the last tree size and root it signed for each origin. Before signing, the log is
checked against this record as well as against the checkpoints stored in the database, so deleting
checkpoint rows and rewriting history cannot get the key to sign a fork. A new database is a new log:
it needs a new key (or the old database back).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from nplhub.config import Settings
from nplhub.ledger.checkpoint import NoteSigner


class LedgerError(Exception):
    """The ledger refuses: an inconsistent tree, an unknown entry, a bad key file."""


@dataclass(frozen=True)
class LedgerSigner(NoteSigner):
    """A note signer whose key lives in a file, with the record of its last signed heads beside it."""

    head_file: Path | None = None

    def last_signed(self) -> tuple[int, bytes] | None:
        """(tree size, root) this key last signed for its origin, if it keeps a record."""
        if self.head_file is None or not self.head_file.exists():
            return None
        try:
            heads = json.loads(self.head_file.read_text(encoding="utf-8"))
            head = heads.get(self.name)
            return None if head is None else (int(head["tree_size"]), bytes.fromhex(head["root"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise LedgerError(f"cannot read the signer's record {self.head_file}: {exc}") from exc

    def remember(self, tree_size: int, root: bytes) -> None:
        """Record a signed head (atomically, 0600)."""
        if self.head_file is None:
            return
        heads = {}
        if self.head_file.exists():
            heads = json.loads(self.head_file.read_text(encoding="utf-8"))
        heads[self.name] = {"tree_size": tree_size, "root": root.hex()}
        temporary = self.head_file.with_name(self.head_file.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(heads, handle, indent=2, sort_keys=True)
        os.replace(temporary, self.head_file)


def load_signer(path: Path, origin: str, *, create: bool = True) -> LedgerSigner:
    """The Ed25519 signer of the checkpoints, from a PEM file; created (0600) if absent."""
    path = Path(path)
    head_file = path.with_name(path.name + ".head")
    if not path.exists():
        if not create:
            raise LedgerError(f"no ledger signing key at {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # somebody else created it meanwhile: use theirs
            return load_signer(path, origin, create=False)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        return LedgerSigner(origin, key, head_file)
    if os.name == "posix" and path.stat().st_mode & 0o077:
        raise LedgerError(f"the ledger signing key {path} is readable by others: chmod 600 it")
    try:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError as exc:
        raise LedgerError(f"{path} is not a PEM private key: {exc}") from exc
    if not isinstance(loaded, Ed25519PrivateKey):
        raise LedgerError(f"{path} is not an Ed25519 key")
    return LedgerSigner(origin, loaded, head_file)


def signer_from_settings(settings: Settings | None = None) -> LedgerSigner:
    settings = settings or Settings()
    return load_signer(settings.resolved_ledger_key, settings.ledger_origin)
