"""Rows changed behind the application's back are caught, on SQLite and on PostgreSQL."""

from __future__ import annotations

import stat

import pytest
from sqlalchemy import text

import nplhub.storage.ledger  # noqa: F401  (registers the ledger's repository and audit sink)
from nplhub.domain.events import GenericEvent
from nplhub.ledger.verifier import check_bundle
from nplhub.services import ledger as service
from nplhub.storage.db import make_engine
from nplhub.storage.unit_of_work import SqlAlchemyUnitOfWork

ORIGIN = "nplhub.test/ledger"


@pytest.fixture
def engine(empty_ledger):
    for batch in range(4):
        with SqlAlchemyUnitOfWork(empty_ledger) as uow:
            for i in range(batch * 5, batch * 5 + 5):
                uow.record(GenericEvent(kind="case.step", subject=f"CASE-{i}", data={"step": i}))
            uow.commit()
    return empty_ledger


@pytest.fixture
def signer(tmp_path):
    return service.load_signer(tmp_path / "keys" / "ledger.key", ORIGIN)


def uow(engine):
    return SqlAlchemyUnitOfWork(engine)


def sql(engine, statement: str, **params) -> None:
    with engine.begin() as conn:
        conn.execute(text(statement), params)


def test_an_untouched_ledger_verifies_with_its_checkpoint(engine, signer):
    service.sign_checkpoint(uow(engine), signer)
    report = service.verify_ledger(uow(engine), signer)
    assert report.ok, report.as_dict()
    assert report.entries == 20 and report.checkpoints == 1


def test_an_altered_row_is_named(engine, signer):
    service.sign_checkpoint(uow(engine), signer)
    with engine.connect() as conn:
        data = conn.execute(text("SELECT entry FROM ledger_entries WHERE leaf_index = 7")).scalar_one()
    sql(engine, "UPDATE ledger_entries SET entry = :e WHERE leaf_index = 7",
        e=bytes(data).replace(b'"step":7', b'"step":8'))
    report = service.verify_ledger(uow(engine), signer)
    assert not report.ok and report.first_bad_entry == 7


def test_a_deleted_row_is_named(engine, signer):
    sql(engine, "DELETE FROM ledger_entries WHERE leaf_index = 12")
    report = service.verify_ledger(uow(engine), signer)
    assert not report.ok and report.first_bad_entry == 12


def test_two_swapped_rows_are_named_at_the_first(engine, signer):
    sql(engine, "UPDATE ledger_entries SET leaf_index = -1 WHERE leaf_index = 4")
    sql(engine, "UPDATE ledger_entries SET leaf_index = 4 WHERE leaf_index = 15")
    sql(engine, "UPDATE ledger_entries SET leaf_index = 15 WHERE leaf_index = -1")
    report = service.verify_ledger(uow(engine), signer)
    assert not report.ok and report.first_bad_entry == 4


def test_a_row_rewritten_with_its_leaf_hash_is_caught_by_the_stored_hashes(engine, signer):
    from nplhub.ledger.merkle import leaf_hash

    with engine.connect() as conn:
        data = bytes(conn.execute(text("SELECT entry FROM ledger_entries WHERE leaf_index = 5")).scalar_one())
    forged = data.replace(b'"step":5', b'"step":50')
    sql(engine, "UPDATE ledger_entries SET entry = :e, leaf_hash = :h WHERE leaf_index = 5",
        e=forged, h=leaf_hash(forged))
    report = service.verify_ledger(uow(engine), signer)
    assert not report.ok and report.first_bad_entry == 4  # the pair (4, 5) under the failing hash


def test_the_log_refuses_to_sign_a_checkpoint_inconsistent_with_the_last_one(engine, signer):
    first = service.sign_checkpoint(uow(engine), signer)
    assert first.new and first.tree_size == 20
    # an attacker rewrites the history under the signed size: the complete subtree over 0..15
    sql(engine, "UPDATE ledger_nodes SET hash = :h WHERE level = 4 AND node_index = 0", h=b"\x00" * 32)
    with SqlAlchemyUnitOfWork(engine) as u:
        u.record(GenericEvent(kind="case.step", subject="CASE-20", data={"step": 20}))
        u.commit()
    with pytest.raises(service.LedgerError, match="not an extension"):
        service.sign_checkpoint(uow(engine), signer)


def test_the_log_refuses_to_sign_after_entries_under_a_signed_size_were_removed(engine, signer):
    service.sign_checkpoint(uow(engine), signer)
    sql(engine, "DELETE FROM ledger_entries WHERE leaf_index >= 18")
    sql(engine, "UPDATE ledger_head SET tree_size = 18, frontier = :f", f=b"\x00" * 64)
    with pytest.raises(service.LedgerError, match="entries were removed"):
        service.sign_checkpoint(uow(engine), signer)


def test_signing_twice_without_new_entries_returns_the_same_checkpoint(engine, signer):
    first = service.sign_checkpoint(uow(engine), signer)
    again = service.sign_checkpoint(uow(engine), signer)
    assert not again.new and again.note == first.note


def test_an_exported_bundle_verifies_offline_and_covers_later_entries_with_a_new_checkpoint(engine, signer):
    service.sign_checkpoint(uow(engine), signer)
    old = service.export_proof(uow(engine), 3, signer)
    assert old.data["tree_size"] == 20 and check_bundle(old.data)["ok"]
    with SqlAlchemyUnitOfWork(engine) as u:
        u.record(GenericEvent(kind="case.step", subject="CASE-20", data={"step": 20}))
        u.commit()
    new = service.export_proof(uow(engine), 20, signer)
    assert new.data["tree_size"] == 21 and check_bundle(new.data)["ok"]
    with pytest.raises(service.LedgerError, match="no entry 99"):
        service.export_proof(uow(engine), 99, signer)


def test_the_signing_key_is_created_once_outside_the_database_readable_only_by_its_owner(tmp_path):
    path = tmp_path / "var" / "ledger-ed25519.key"
    first = service.load_signer(path, ORIGIN)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert service.load_signer(path, ORIGIN).verifier == first.verifier
    path.chmod(0o644)
    with pytest.raises(service.LedgerError, match="readable by others"):
        service.load_signer(path, ORIGIN)


def test_the_key_remembers_what_it_signed_so_deleting_checkpoint_rows_cannot_get_a_fork_signed(engine, signer):
    service.sign_checkpoint(uow(engine), signer)
    sql(engine, "DELETE FROM ledger_checkpoints")
    sql(engine, "UPDATE ledger_nodes SET hash = :h WHERE level = 4 AND node_index = 0", h=b"\x01" * 32)
    with SqlAlchemyUnitOfWork(engine) as u:
        u.record(GenericEvent(kind="case.step", subject="CASE-20", data={"step": 20}))
        u.commit()
    with pytest.raises(service.LedgerError, match="head of size 20 this key last signed"):
        service.sign_checkpoint(uow(engine), signer)
    assert stat.S_IMODE(signer.head_file.stat().st_mode) == 0o600


def test_a_new_database_is_a_new_log_and_the_old_key_refuses_to_sign_it(engine, signer, tmp_path):
    from nplhub.storage.db import upgrade

    service.sign_checkpoint(uow(engine), signer)
    fresh_url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    upgrade(fresh_url)
    fresh = make_engine(fresh_url)
    try:
        with SqlAlchemyUnitOfWork(fresh) as u:
            u.record(GenericEvent(kind="case.step", subject="OTHER", data={}))
            u.commit()
        with pytest.raises(service.LedgerError, match="a new database is a new log"):
            service.sign_checkpoint(uow(fresh), signer)
    finally:
        fresh.dispose()
