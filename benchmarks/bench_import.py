"""Tape import benchmark: nplhub (full validation) against a naive pandas baseline, same run.

    .venv/bin/python benchmarks/bench_import.py            # 1,000,000 loans
    .venv/bin/python benchmarks/bench_import.py --quick    # 20,000 loans

The demo generator writes a CSV tape of `--loans` loans with its counterparties, collateral and
loan-collateral links (the four tables of the benchmark). Then, each in a fresh child process so
that its peak memory is its own (ru_maxrss of the child):

- nplhub: `import_tape` end to end into a fresh, migrated SQLite file: read, full validation,
  bulk insert in one transaction, commit;
- baseline: pandas `read_csv` + `DataFrame.to_sql` of the same four files into a fresh SQLite
  file (no validation, no keys or indexes, pandas' default insert through a sqlite3 connection).

It prints seconds, loans per second, peak resident memory and the baseline/nplhub time ratio.
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing as mp
import resource
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

TABLES = ("counterparties", "loans", "collateral", "loan_collateral")
SEED = 7


def make_tape(loans: int, seed: int, out: Path) -> dict[str, int]:
    from nplhub.datahub.generate import generate_tape, write_tape

    tape = generate_tape(loans, seed, history=False)
    subset = dataclasses.replace(tape, tables={name: tape.tables[name] for name in TABLES})
    write_tape(subset, out, "csv")
    return {name: len(frame) for name, frame in subset.tables.items()}


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: per address space, so a spawned child does not
    inherit its parent's high-water mark as ru_maxrss does across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_generator(loans: str, out: str) -> dict[str, Any]:
    return make_tape(int(loans), SEED, Path(out))


def run_nplhub(tape: str, db: str) -> dict[str, Any]:
    from nplhub.bootstrap import bootstrap
    from nplhub.config import Settings
    from nplhub.services.datahub import import_tape

    hub = bootstrap(Settings(database_url=f"sqlite:///{db}", data_dir=Path(db).parent))
    cpu, started = time.process_time(), time.perf_counter()
    result = import_tape(hub.uow(), tape)
    seconds = time.perf_counter() - started
    hub.close()
    return {"seconds": seconds, "cpu": time.process_time() - cpu, "rows": sum(result.counts.values()),
            "stages": result.seconds, "peak_mb": peak_mb()}


def run_baseline(tape: str, db: str) -> dict[str, Any]:
    import pandas as pd

    cpu, started = time.process_time(), time.perf_counter()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    rows = 0
    for name in TABLES:
        frame = pd.read_csv(Path(tape) / f"{name}.csv")
        frame.to_sql(name, conn, if_exists="append", index=False)
        rows += len(frame)
    conn.commit()
    conn.close()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "cpu": time.process_time() - cpu, "rows": rows,
            "peak_mb": peak_mb()}


def _child(target: str, tape: str, db: str, queue: Any) -> None:
    queue.put(globals()[target](tape, db))


def in_child(target: str, tape: str, db: str) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_child, args=(target, tape, db, queue))
    process.start()
    result = queue.get()
    process.join()
    return dict(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="20,000 loans")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the tape here (reused if present)")
    args = parser.parse_args()
    loans = 20_000 if args.quick else args.loans
    work = args.workdir or Path(tempfile.mkdtemp(prefix="nplhub-bench-import-"))
    tape = work / "tape"
    started = time.perf_counter()
    if not (tape / "loans.csv").exists():
        counts = in_child("run_generator", str(loans), str(tape))
        print(f"generated {counts} in {time.perf_counter() - started:.1f} s", flush=True)
    for old in work.glob("*.sqlite*"):
        old.unlink()
    print(f"tape: {sum(f.stat().st_size for f in tape.iterdir()) / 1e6:.0f} MB of CSV in {tape}", flush=True)
    ours = in_child("run_nplhub", str(tape), str(work / "nplhub.sqlite"))
    base = in_child("run_baseline", str(tape), str(work / "baseline.sqlite"))
    print(f"{'':24}{'seconds':>10}{'cpu s':>10}{'loans/s':>12}{'peak MB':>10}", flush=True)
    for label, r in (("nplhub (validated)", ours), ("pandas baseline", base)):
        print(f"{label:24}{r['seconds']:>10.1f}{r['cpu']:>10.1f}{loans / r['seconds']:>12,.0f}{r['peak_mb']:>10.0f}")
    print("nplhub stages:", {k: round(v, 1) for k, v in ours["stages"].items()})
    print(f"ratio baseline/nplhub time: {base['seconds'] / ours['seconds']:.2f}x "
          f"(cpu {base['cpu'] / ours['cpu']:.2f}x)")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
