"""The signing key lives in a file outside the database, with the key's record of what it signed."""

from __future__ import annotations

import stat

import pytest

from nplhub.services.ledger_keys import LedgerError, load_signer


def test_a_key_is_created_once_with_owner_only_permissions_and_reloaded(tmp_path):
    path = tmp_path / "var" / "ledger-ed25519.key"
    first = load_signer(path, "nplhub.test/ledger")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_signer(path, "nplhub.test/ledger").verifier == first.verifier


def test_a_missing_key_is_refused_when_creation_is_not_asked(tmp_path):
    with pytest.raises(LedgerError, match="no ledger signing key"):
        load_signer(tmp_path / "absent.key", "nplhub.test/ledger", create=False)


def test_a_file_that_is_not_an_ed25519_pem_key_is_refused(tmp_path):
    path = tmp_path / "bad.key"
    path.write_text("not a key")
    path.chmod(0o600)
    with pytest.raises(LedgerError, match="not a PEM private key"):
        load_signer(path, "nplhub.test/ledger")


def test_the_key_remembers_the_last_head_it_signed_per_origin(tmp_path):
    signer = load_signer(tmp_path / "k.key", "nplhub.test/ledger")
    assert signer.last_signed() is None
    signer.remember(7, b"\x01" * 32)
    other = load_signer(tmp_path / "k.key", "other.origin/log")
    other.remember(3, b"\x02" * 32)
    assert load_signer(tmp_path / "k.key", "nplhub.test/ledger").last_signed() == (7, b"\x01" * 32)
    assert other.last_signed() == (3, b"\x02" * 32)
    assert stat.S_IMODE(signer.head_file.stat().st_mode) == 0o600


def test_a_corrupt_record_is_reported_not_ignored(tmp_path):
    signer = load_signer(tmp_path / "k.key", "nplhub.test/ledger")
    signer.head_file.write_text("{not json")
    with pytest.raises(LedgerError, match="cannot read the signer's record"):
        signer.last_signed()
