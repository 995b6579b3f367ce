"""Ledger benchmark: batched appends into SQLite and inclusion proofs, nplhub beside pymerkle.

    .venv/bin/python benchmarks/bench_ledger.py            # 1,000,000 entries
    .venv/bin/python benchmarks/bench_ledger.py --quick    # 20,000 entries
    .venv/bin/python benchmarks/bench_ledger.py --quick --writers 50 \
        --pg-admin postgresql+psycopg://postgres@127.0.0.1:5432/postgres   # + 50 concurrent writers

Both logs get the same leaves: RFC 8785 ledger entries built once up front (the time to build them is
reported on its own line). nplhub appends them through its repository (entries, interior nodes and
head in SQLite, one transaction per batch); pymerkle (GPL-3.0+, a benchmark-only peer from the `bench`
extra) appends them to its SqliteTree with `append_entries`. Then both prove inclusion of the same
random entries; nplhub's proofs are read from stored nodes and checked against its root, and the two
roots are compared (both follow RFC 9162, so they must be equal).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import nplhub.storage.ledger  # noqa: F401  (registers the repository)
from nplhub.ledger import merkle
from nplhub.ledger.canonical import entry_bytes, timestamp
from nplhub.ledger.log import assemble, inclusion_plan, plan_nodes
from nplhub.storage.db import make_engine, upgrade
from nplhub.storage.ledger import SqlLedgerRepository

EVENT_TYPE = "market.bid_placed"


def make_leaves(n: int) -> list[bytes]:
    stamp = timestamp()
    return [entry_bytes(i, stamp, {"type": EVENT_TYPE, "subject": f"LOT-{i % 5000:05d}",
                                   "data": {"amount": f"{100000 + i}.00", "bidder": f"B-{i % 50}", "round": 1}})
            for i in range(n)]


def bench_nplhub(workdir: Path, leaves: list[bytes], batch: int, probes: list[int]) -> dict[str, float]:
    url = f"sqlite:///{workdir / 'nplhub.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(leaves), batch):
        with engine.begin() as conn:
            SqlLedgerRepository(conn).append_leaves((EVENT_TYPE, d) for d in leaves[start:start + batch])
    append_s, append_cpu = time.perf_counter() - started, time.process_time() - cpu
    timings = []
    with engine.connect() as conn:
        repo = SqlLedgerRepository(conn)
        head = repo.head()
        root = head.root()
        for index in probes:
            t0 = time.perf_counter()
            plan = inclusion_plan(index, head.size)
            proof = assemble(plan, repo.nodes(plan_nodes(plan)))
            timings.append(time.perf_counter() - t0)
            assert merkle.verify_inclusion(index, head.size, merkle.leaf_hash(leaves[index]), proof, root)
    engine.dispose()
    return {"append_s": append_s, "append_cpu": append_cpu, "proof_median_ms": statistics.median(timings) * 1e3,
            "proof_p99_ms": sorted(timings)[int(len(timings) * 0.99) - 1] * 1e3, "root": root.hex()}


def bench_events(workdir: Path, n: int, batch: int) -> tuple[float, float]:
    """The whole path of an event: canonicalise with its index, hash, store (what the audit sink does)."""
    url = f"sqlite:///{workdir / 'events.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    records = [{"type": EVENT_TYPE, "subject": f"LOT-{i % 5000:05d}",
                "data": {"amount": f"{100000 + i}.00", "bidder": f"B-{i % 50}", "round": 1}} for i in range(n)]
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, n, batch):
        with engine.begin() as conn:
            SqlLedgerRepository(conn).append(records[start:start + batch])
    engine.dispose()
    return time.perf_counter() - started, time.process_time() - cpu


def bench_writers(url: str, writers: int, per_writer: int) -> float:
    """Units of work committing one event each from `writers` threads: ledger transactions per second."""
    import threading

    from nplhub.domain.events import GenericEvent
    from nplhub.storage.unit_of_work import SqlAlchemyUnitOfWork

    upgrade(url)
    engine = make_engine(url, pool_size=writers, max_overflow=10)

    def work(w: int) -> None:
        for i in range(per_writer):
            with SqlAlchemyUnitOfWork(engine, immediate=True) as uow:
                uow.record(GenericEvent(kind=EVENT_TYPE, subject=f"LOT-{w}", data={"amount": f"{i}.00"}))
                uow.commit()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    with engine.begin() as conn:
        repo = SqlLedgerRepository(conn)
        repo.sequence()
        assert repo.head().size == writers * per_writer, "an event was lost"
    engine.dispose()
    return writers * per_writer / elapsed


def bench_concurrency(workdir: Path, writers: int, per_writer: int, pg_admin: str | None) -> None:
    rate = bench_writers(f"sqlite:///{workdir / 'writers.sqlite'}", writers, per_writer)
    print(f"nplhub   {writers} concurrent writers, one event per transaction, SQLite: {rate:,.0f} transactions/s")
    if not pg_admin:
        return
    import uuid

    from sqlalchemy import create_engine, text

    name = f"nplhub_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_admin, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        rate = bench_writers(pg_admin.rsplit("/", 1)[0] + f"/{name}", writers, per_writer)
        print(f"nplhub   {writers} concurrent writers, one event per transaction, PostgreSQL: "
              f"{rate:,.0f} transactions/s")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_pymerkle(workdir: Path, leaves: list[bytes], probes: list[int]) -> dict[str, float] | None:
    try:
        from pymerkle import SqliteTree
    except ImportError:
        return None
    tree = SqliteTree(str(workdir / "pymerkle.sqlite"))
    started, cpu = time.perf_counter(), time.process_time()
    tree.append_entries(leaves)
    append_s, append_cpu = time.perf_counter() - started, time.process_time() - cpu
    size = tree.get_size()
    root = tree.get_root()
    timings = []
    for index in probes:
        t0 = time.perf_counter()
        tree.prove_inclusion(index + 1, size)  # pymerkle counts leaves from one
        timings.append(time.perf_counter() - t0)
    tree.close()
    return {"append_s": append_s, "append_cpu": append_cpu, "proof_median_ms": statistics.median(timings) * 1e3,
            "proof_p99_ms": sorted(timings)[int(len(timings) * 0.99) - 1] * 1e3, "root": root.hex()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 entries instead of 1,000,000")
    parser.add_argument("--entries", type=int, default=None)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--probes", type=int, default=1000)
    parser.add_argument("--events", type=int, default=None, help="entries for the whole-event path")
    parser.add_argument("--writers", type=int, default=0, help="also run N concurrent single-event writers")
    parser.add_argument("--per-writer", type=int, default=40)
    parser.add_argument("--pg-admin", default=None, help="PostgreSQL admin URL for the writers run "
                        "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres)")
    args = parser.parse_args()
    n = args.entries or (20_000 if args.quick else 1_000_000)
    events = args.events or min(n, 200_000)
    rng = random.Random(20240601)
    probes = [rng.randrange(n) for _ in range(args.probes)]
    workdir = Path(tempfile.mkdtemp(prefix="bench_ledger_"))
    try:
        if args.writers:
            bench_concurrency(workdir, args.writers, args.per_writer, args.pg_admin)
        t0, cpu = time.perf_counter(), time.process_time()
        leaves = make_leaves(n)
        build_s, build_cpu = time.perf_counter() - t0, time.process_time() - cpu
        print(f"entries: {n:,}  batch: {args.batch:,}  probes: {len(probes):,}")
        print(f"building the RFC 8785 entries: {build_s:.1f} s ({n / build_s:,.0f}/s, {n / build_cpu:,.0f}/s of CPU)")
        ours = bench_nplhub(workdir, leaves, args.batch, probes)
        print(f"nplhub   append: {ours['append_s']:.1f} s = {n / ours['append_s']:,.0f} appends/s "
              f"({n / ours['append_cpu']:,.0f}/s of CPU time); proof median "
              f"{ours['proof_median_ms']:.3f} ms, p99 {ours['proof_p99_ms']:.3f} ms")
        event_s, event_cpu = bench_events(workdir, events, args.batch)
        print(f"nplhub   whole event path (canonicalise + hash + store), {events:,} events: "
              f"{events / event_s:,.0f} events/s ({events / event_cpu:,.0f}/s of CPU time)")
        peer = bench_pymerkle(workdir, leaves, probes)
        if peer is None:
            print("pymerkle not installed (pip install -e '.[bench]'): no comparison")
            return
        print(f"pymerkle append: {peer['append_s']:.1f} s = {n / peer['append_s']:,.0f} appends/s "
              f"({n / peer['append_cpu']:,.0f}/s of CPU time); proof median "
              f"{peer['proof_median_ms']:.3f} ms, p99 {peer['proof_p99_ms']:.3f} ms")
        print(f"roots equal: {ours['root'] == peer['root']}")
        print(f"ratio nplhub/pymerkle: append speed x{peer['append_s'] / ours['append_s']:.2f}, "
              f"proof time x{ours['proof_median_ms'] / peer['proof_median_ms']:.2f} (median)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
