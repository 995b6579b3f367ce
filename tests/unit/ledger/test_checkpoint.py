"""Signed notes and checkpoints: the golang.org/x/mod sumdb/note example and RFC 8032 §7.1."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from nplhub.ledger.checkpoint import (
    Checkpoint,
    NoteError,
    NoteSigner,
    NoteVerifier,
    open_checkpoint,
    open_note,
)

GO_PRIVATE = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_SIGNATURE = ("\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdng"
                "otpRZb6KE6RyyBwJnAM=\n")


def test_the_go_sumdb_note_example_is_reproduced_byte_for_byte():
    signer = NoteSigner.parse(GO_PRIVATE)
    assert signer.verifier.key_hash.hex() == "c74f20a3"
    assert signer.sign(GO_TEXT) == GO_TEXT + "\n" + GO_SIGNATURE


def test_the_go_example_note_opens_under_its_verifier_key_and_not_after_a_change():
    note = GO_TEXT + "\n" + GO_SIGNATURE
    verifier = NoteVerifier.parse(NoteSigner.parse(GO_PRIVATE).verifier.encode())
    assert open_note(note, verifier) == GO_TEXT
    with pytest.raises(NoteError, match="does not verify"):
        open_note(note.replace("answer", "Answer"), verifier)
    other = NoteSigner.generate("PeterNeumann").verifier
    with pytest.raises(NoteError, match="no signature by"):
        open_note(note, other)


@pytest.mark.parametrize(("secret", "message", "public", "signature"), [
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe"
     "24655141438e7a100b"),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "72",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302a"
     "eeb00d291612bb0c00"),
], ids=["test 1", "test 2"])
def test_ed25519_signs_the_rfc8032_test_vectors(secret, message, public, signature):
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(secret))
    signer = NoteSigner("rfc8032", key)
    assert signer.verifier.public_key.hex() == public
    assert key.sign(bytes.fromhex(message)).hex() == signature
    assert signer.verifier.verify(bytes.fromhex(message), bytes.fromhex(signature))


def test_a_checkpoint_is_origin_size_and_base64_root_and_round_trips_through_its_signed_note():
    root = bytes(range(32))
    cp = Checkpoint("nplhub.example/ledger", 42, root)
    assert cp.body() == f"nplhub.example/ledger\n42\n{base64.b64encode(root).decode()}\n"
    signer = NoteSigner.generate("nplhub.example/ledger")
    note = cp.sign(signer)
    assert open_checkpoint(note, signer.verifier) == cp


@pytest.mark.parametrize("body", ["origin\n42\n", "origin\n042\nAAAA\n", "origin\nforty\n" + "A" * 44 + "\n",
                                  "origin\n1\nAAAA\n"])
def test_a_malformed_checkpoint_is_refused(body):
    with pytest.raises(NoteError):
        Checkpoint.parse(body)


def test_a_key_name_with_spaces_or_plus_is_refused():
    with pytest.raises(NoteError, match="invalid key name"):
        NoteSigner.generate("my log")
    with pytest.raises(NoteError, match="invalid key name"):
        NoteSigner.generate("a+b")


def test_a_verifier_key_with_a_wrong_hash_is_refused():
    encoded = NoteSigner.generate("log").verifier.encode()
    name, _, rest = encoded.split("+", 2)
    with pytest.raises(NoteError, match="hash does not match"):
        NoteVerifier.parse(f"{name}+00000000+{rest}")


def test_a_note_cosigned_by_two_keys_opens_under_either_and_ignores_unknown_signers():
    log, witness = NoteSigner.generate("nplhub.example/ledger"), NoteSigner.generate("witness.example")
    body = Checkpoint("nplhub.example/ledger", 3, bytes(32)).body()
    note = log.sign(body) + witness.signature_line(body)
    assert open_note(note, log.verifier) == body
    assert open_note(note, witness.verifier) == body
    with pytest.raises(NoteError, match="no signature by"):
        open_note(note, NoteSigner.generate("stranger").verifier)
