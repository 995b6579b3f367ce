"""Every unit of work appends its events to the ledger in its own transaction."""

from __future__ import annotations

import threading

import pytest

import nplhub.storage.ledger  # noqa: F401  (registers the ledger's repository and audit sink)
from nplhub.domain.events import GenericEvent
from nplhub.ledger import merkle
from nplhub.ledger.log import assemble, inclusion_plan, plan_nodes
from nplhub.services.ledger_ports import LedgerRepository
from nplhub.storage.db import make_engine
from nplhub.storage.unit_of_work import SqlAlchemyUnitOfWork


@pytest.fixture
def engine(empty_ledger):
    return empty_ledger


def bid(n: int) -> GenericEvent:
    return GenericEvent(kind="market.bid_placed", subject=f"LOT-{n % 7}", data={"amount": f"{1000 + n}.00"})


def entries(engine):
    with SqlAlchemyUnitOfWork(engine) as uow:
        repo = uow.get(LedgerRepository)
        repo.sequence(wait=True)  # on PostgreSQL a busy moment may leave events queued for the next writer
        result = list(repo.iter_entries()), repo.head()
        assert repo.queued() == 0
        uow.commit()
        return result


def test_committed_events_become_entries_with_consecutive_indices(engine):
    for batch in range(3):
        with SqlAlchemyUnitOfWork(engine) as uow:
            for i in range(batch + 1):
                uow.record(bid(batch * 10 + i))
            uow.commit()
    stored, head = entries(engine)
    assert [e.leaf_index for e in stored] == list(range(6))
    assert head.size == 6
    assert head.root() == merkle.root_hash([e.entry for e in stored])
    assert {e.event_type for e in stored} == {"market.bid_placed"}


def test_a_rolled_back_unit_of_work_leaves_no_entry(engine):
    with SqlAlchemyUnitOfWork(engine) as uow:
        uow.record(bid(1))
        # no commit: the change and its entry are both abandoned
    with SqlAlchemyUnitOfWork(engine) as uow:
        uow.record(bid(2))
        uow.commit()
    stored, head = entries(engine)
    assert [e.leaf_index for e in stored] == [0]
    assert b'"1002.00"' in stored[0].entry


def test_a_failure_after_the_append_rolls_the_entry_back(engine):
    class Boom(Exception):
        pass

    uow = SqlAlchemyUnitOfWork(engine)
    with pytest.raises(Boom), uow:
        uow.record(bid(1))
        uow.audit_sink().append(uow.pending_events)  # type: ignore[union-attr]
        raise Boom
    stored, head = entries(engine)
    assert stored == [] and head.size == 0


def test_fifty_concurrent_writers_get_one_gapless_consistent_log(engine):
    writers, per_writer = 50, 4
    errors: list[BaseException] = []

    def work(w: int) -> None:
        try:
            for i in range(per_writer):
                with SqlAlchemyUnitOfWork(engine, immediate=True) as uow:
                    uow.record(bid(w * 100 + i))
                    uow.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    stored, head = entries(engine)
    n = writers * per_writer
    assert [e.leaf_index for e in stored] == list(range(n))
    assert head.root() == merkle.root_hash([e.entry for e in stored])
    with SqlAlchemyUnitOfWork(engine) as uow:
        repo = uow.get(LedgerRepository)
        plan = inclusion_plan(123, n)
        proof = assemble(plan, repo.nodes(plan_nodes(plan)))
    assert merkle.verify_inclusion(123, n, stored[123].leaf_hash, proof, head.root())


@pytest.mark.postgres
def test_on_postgresql_a_writer_that_finds_the_head_busy_queues_its_event_and_it_is_sequenced_later(postgres_url):
    from nplhub.services import ledger as service
    from nplhub.storage.db import upgrade

    upgrade(postgres_url)
    engine = make_engine(postgres_url)
    try:
        with SqlAlchemyUnitOfWork(engine) as uow:
            uow.record(bid(0))
            uow.commit()
        holder = engine.connect()
        holder.begin()
        holder.exec_driver_sql("SELECT 1 FROM ledger_head WHERE id = 1 FOR UPDATE")  # a long sequencing
        with SqlAlchemyUnitOfWork(engine) as uow:  # does not wait for the holder
            uow.record(bid(1))
            uow.commit()
        with SqlAlchemyUnitOfWork(engine) as uow:
            assert uow.get(LedgerRepository).queued() == 1
        holder.rollback()
        holder.close()
        with SqlAlchemyUnitOfWork(engine) as uow:  # the next writer takes the queued event along
            uow.record(bid(2))
            uow.commit()
        stored, head = entries(engine)
        assert [b'"1001.00"' in e.entry for e in stored] == [False, True, False]
        assert head.size == 3 and service.ledger_root(SqlAlchemyUnitOfWork(engine))["tree_size"] == 3
    finally:
        engine.dispose()


def test_an_event_json_cannot_hold_fails_the_commit_and_leaves_nothing_behind(engine):
    from nplhub.ledger.canonical import CanonicalisationError

    with pytest.raises(CanonicalisationError, match="cannot canonicalise"), SqlAlchemyUnitOfWork(engine) as uow:
        uow.record(bid(1))
        uow.record(GenericEvent(kind="valuation.run_completed", subject="RUN-1", data={"irr": float("nan")}))
        uow.commit()
    stored, head = entries(engine)
    assert stored == [] and head.size == 0


def test_a_repository_on_a_bare_connection_still_appends_atomically(engine):
    from nplhub.storage.ledger import SqlLedgerRepository

    with engine.connect() as conn:  # no explicit transaction: the first statement begins one
        SqlLedgerRepository(conn).append([bid(1).to_record(), bid(2).to_record()])
        conn.rollback()
    stored, head = entries(engine)
    assert stored == [] and head.size == 0
