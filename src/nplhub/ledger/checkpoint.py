"""Signed checkpoints: C2SP tlog-checkpoint bodies in C2SP signed notes, signed with Ed25519.

A checkpoint body is three lines, each ending in a newline:

    <origin>
    <tree size, decimal>
    <root hash, base64>

A signed note is the text, a blank line, then one line per signature:

    — <key name> <base64(key hash (4 bytes) || Ed25519 signature (64 bytes))>

with key hash = SHA-256(key name || "\\n" || 0x01 || public key)[:4] (0x01 = the Ed25519 algorithm
byte). Verifier keys are written `<name>+<key hash, 8 hex digits>+<base64(0x01 || public key)>` and
private keys `PRIVATE+KEY+<name>+<key hash>+<base64(0x01 || seed)>`, as in golang.org/x/mod/sumdb/note.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALG_ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space


class NoteError(ValueError):
    """A note, key or checkpoint that is malformed or does not verify."""


def _check_name(name: str) -> None:
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise NoteError(f"invalid key name {name!r}: it must be non-empty, without spaces or '+'")


def key_hash(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()[:4]


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class NoteVerifier:
    name: str
    public_key: bytes

    @property
    def key_hash(self) -> bytes:
        return key_hash(self.name, self.public_key)

    def encode(self) -> str:
        encoded = base64.b64encode(bytes([ALG_ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_hash.hex()}+{encoded}"

    @classmethod
    def parse(cls, text: str) -> NoteVerifier:
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteError("a verifier key reads <name>+<hash>+<base64 key>")
        name, hash_hex, encoded = parts
        _check_name(name)
        try:
            raw = base64.b64decode(encoded, validate=True)
        except ValueError as exc:
            raise NoteError("the verifier key is not valid base64") from exc
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise NoteError("the verifier key is not an Ed25519 key")
        verifier = cls(name, raw[1:])
        if verifier.key_hash.hex() != hash_hex.lower():
            raise NoteError("the verifier key's hash does not match its name and key")
        return verifier

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class NoteSigner:
    name: str
    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        _check_name(self.name)

    @classmethod
    def generate(cls, name: str) -> NoteSigner:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def parse(cls, text: str) -> NoteSigner:
        """A private key in the sumdb/note form PRIVATE+KEY+<name>+<hash>+<base64>."""
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("a private key reads PRIVATE+KEY+<name>+<hash>+<base64 key>")
        raw = base64.b64decode(parts[4], validate=True)
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise NoteError("the private key is not an Ed25519 key")
        signer = cls(parts[2], Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if signer.verifier.key_hash.hex() != parts[3].lower():
            raise NoteError("the private key's hash does not match its name and key")
        return signer

    @property
    def verifier(self) -> NoteVerifier:
        return NoteVerifier(self.name, _raw_public(self.private_key.public_key()))

    def signature_line(self, text: str) -> str:
        signature = self.private_key.sign(text.encode())
        payload = base64.b64encode(self.verifier.key_hash + signature).decode()
        return f"{SIGNATURE_PREFIX}{self.name} {payload}\n"

    def sign(self, text: str) -> str:
        """The signed note of `text` (which must end with a newline)."""
        _check_text(text)
        return f"{text}\n{self.signature_line(text)}"


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("the text of a note must end with a newline")
    if "\n\n" in text:
        raise NoteError("the text of a note must not contain a blank line")


def split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """The text and the (key name, base64-decoded payload) of each signature line."""
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise NoteError("a signed note is text, a blank line and signature lines, ending with a newline")
    text, block = note[:cut + 1], note[cut + 2:]
    signatures = []
    for line in block.splitlines():
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(f"malformed signature line {line!r}")
        name, _, payload = line[len(SIGNATURE_PREFIX):].partition(" ")
        try:
            signatures.append((name, base64.b64decode(payload, validate=True)))
        except ValueError as exc:
            raise NoteError(f"signature of {name!r} is not valid base64") from exc
    if not signatures:
        raise NoteError("the note carries no signature")
    return text, signatures


def open_note(note: str, verifier: NoteVerifier) -> str:
    """The text of `note` if `verifier` signed it; NoteError otherwise."""
    text, signatures = split_note(note)
    for name, payload in signatures:
        if name == verifier.name and payload[:4] == verifier.key_hash and len(payload) == 68:
            if verifier.verify(text.encode(), payload[4:]):
                return text
            raise NoteError(f"the signature of {name} does not verify")
    raise NoteError(f"the note has no signature by {verifier.name}+{verifier.key_hash.hex()}")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.tree_size}\n{base64.b64encode(self.root_hash).decode()}\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise NoteError("a checkpoint has an origin, a tree size and a root hash, one per line")
        origin, size, root = lines[0], lines[1], lines[2]
        if not origin or not size.isdigit() or (size != "0" and size.startswith("0")):
            raise NoteError("malformed checkpoint origin or tree size")
        try:
            root_hash = base64.b64decode(root, validate=True)
        except ValueError as exc:
            raise NoteError("the checkpoint root is not valid base64") from exc
        if len(root_hash) != 32:
            raise NoteError("the checkpoint root is not a SHA-256 hash")
        return cls(origin, int(size), root_hash)

    def sign(self, signer: NoteSigner) -> str:
        return signer.sign(self.body())


def open_checkpoint(note: str, verifier: NoteVerifier) -> Checkpoint:
    return Checkpoint.parse(open_note(note, verifier))
