"""Check an nplhub ledger proof bundle with no database and no nplhub: a standalone verifier.

This file depends only on the Python standard library and `cryptography` (for Ed25519), so a
bank, investor, court or regulator can read it in minutes, copy it, and run

    python verifier.py bundle.json

A bundle (JSON) holds: the entry's exact bytes (`entry_b64`), its `leaf_index`, the audit path
(`inclusion_proof`, base64 hashes), a signed `checkpoint` (C2SP tlog-checkpoint in a C2SP signed
note) and the log's `public_key` (`<name>+<key hash hex>+<base64(0x01 || Ed25519 key)>`).
The checks, in order:

1. the public key is well formed and its key hash matches;
2. the checkpoint carries a valid Ed25519 signature by that key, and its origin is the key's name;
3. leaf hash = SHA-256(0x00 || entry bytes), and the entry says it is entry `leaf_index`;
4. the audit path leads from the leaf hash to the checkpoint's root (RFC 9162 §2.1.3.2).

A consistency bundle (`format` nplhub-ledger-consistency/v1, from `nplhub ledger consistency`)
holds two checkpoints signed by the key, `old_checkpoint` and `checkpoint`, and the RFC 9162
consistency proof between them (`consistency_proof`): it shows the log you saw earlier is a prefix of
the log now (§2.1.4.2), i.e. nothing was changed or removed in between.

Compare the public key with the one the log operator publishes: a bundle proves something about the
log *that key* signed, nothing more.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

BUNDLE_FORMAT = "nplhub-ledger-bundle/v1"
CONSISTENCY_FORMAT = "nplhub-ledger-consistency/v1"


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def root_from_path(index: int, size: int, leaf_hash: bytes, path: list[bytes]) -> bytes | None:
    """RFC 9162 §2.1.3.2: the root an audit path leads to, or None if the path cannot be right."""
    if not 0 <= index < size or any(len(p) != 32 for p in path):
        return None
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = sha256(b"\x01" + p + r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = sha256(b"\x01" + r + p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def consistent(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: is the tree (old_size, old_root) a prefix of (new_size, new_root)?"""
    if old_size <= 0 or new_size < old_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof or any(len(p) != 32 for p in proof):
        return False
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is itself the first node
        proof = [old_root, *proof]
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = sha256(b"\x01" + c + fr), sha256(b"\x01" + c + sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = sha256(b"\x01" + sr + c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0


def parse_public_key(text: str) -> tuple[str, bytes, bytes]:
    """(name, key hash, raw Ed25519 key) of `<name>+<hash>+<base64(0x01 || key)>`."""
    name, hash_hex, encoded = text.strip().split("+", 2)
    raw = base64.b64decode(encoded, validate=True)
    if len(raw) != 33 or raw[0] != 0x01:
        raise ValueError("not an Ed25519 verifier key")
    key_hash = sha256(name.encode() + b"\n" + raw)[:4]
    if key_hash.hex() != hash_hex.lower():
        raise ValueError("the key hash does not match the key")
    return name, key_hash, raw[1:]


def open_signed_note(note: str, name: str, key_hash: bytes, public_key: bytes) -> str:
    """The note's text if it carries a valid signature by the key; ValueError otherwise."""
    cut = note.rfind("\n\n")
    if cut < 0:
        raise ValueError("the checkpoint is not a signed note")
    text = note[:cut + 1]
    for line in note[cut + 2:].splitlines():
        signer, _, payload = line.removeprefix("\u2014 ").partition(" ")
        blob = base64.b64decode(payload, validate=True)
        if line.startswith("\u2014 ") and signer == name and blob[:4] == key_hash and len(blob) == 68:
            try:
                Ed25519PublicKey.from_public_bytes(public_key).verify(blob[4:], text.encode())
            except InvalidSignature:
                raise ValueError("the checkpoint signature does not verify") from None
            return text
    raise ValueError("the checkpoint is not signed by this public key")


def signed_checkpoint(note: str, name: str, key_hash: bytes, public_key: bytes) -> tuple[int, bytes]:
    """(tree size, root) of a checkpoint signed by the key, whose origin is the key's name."""
    origin, size, root_b64 = open_signed_note(note, name, key_hash, public_key).split("\n")[:3]
    if origin != name:
        raise ValueError(f"the checkpoint origin {origin!r} is not the key name {name!r}")
    return int(size), base64.b64decode(root_b64, validate=True)


def check_bundle(bundle: dict[str, Any]) -> dict[str, Any]:
    """Verify a bundle; returns {"ok": bool, "reason": str, ...the facts checked}."""
    facts: dict[str, Any] = {"ok": False}
    try:
        if bundle.get("format") not in (BUNDLE_FORMAT, CONSISTENCY_FORMAT):
            raise ValueError(f"unknown bundle format {bundle.get('format')!r}")
        name, key_hash, public_key = parse_public_key(bundle["public_key"])
        facts.update(key=f"{name}+{key_hash.hex()}", origin=name)
        tree_size, root = signed_checkpoint(bundle["checkpoint"], name, key_hash, public_key)
        facts.update(tree_size=tree_size, root=root.hex())
        if bundle["format"] == CONSISTENCY_FORMAT:
            old_size, old_root = signed_checkpoint(bundle["old_checkpoint"], name, key_hash, public_key)
            facts.update(old_tree_size=old_size, old_root=old_root.hex())
            proof = [base64.b64decode(p, validate=True) for p in bundle["consistency_proof"]]
            if not consistent(old_size, tree_size, old_root, root, proof):
                raise ValueError(f"the log of {tree_size} entries is not an extension of the log of {old_size}")
            facts.update(ok=True, reason=f"the log of {old_size} entries is a prefix of the log of {tree_size}, "
                                         f"both signed by {facts['key']}")
            return facts
        entry = base64.b64decode(bundle["entry_b64"], validate=True)
        index = int(bundle["leaf_index"])
        if json.loads(entry).get("index") != index:
            raise ValueError(f"the entry does not say it is entry {index}")
        leaf_hash = sha256(b"\x00" + entry)
        facts.update(leaf_index=index, leaf_hash=leaf_hash.hex())
        path = [base64.b64decode(p, validate=True) for p in bundle["inclusion_proof"]]
        if root_from_path(index, tree_size, leaf_hash, path) != root:
            raise ValueError(f"the audit path does not lead from entry {index} to the signed root")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        facts["reason"] = str(exc) if not isinstance(exc, KeyError) else f"missing field {exc}"
        return facts
    facts.update(ok=True, reason=f"entry {index} is in the log of {tree_size} entries signed by {facts['key']}")
    return facts


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python verifier.py bundle.json", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as handle:
        result = check_bundle(json.load(handle))
    print(("OK: " if result["ok"] else "FAILED: ") + result["reason"])
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
