"""`nplhub demo-data`: write a generated demo portfolio as a data tape."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import typer

from nplhub.cli.common import EXIT_USAGE, console, err_console, print_json
from nplhub.datahub.generate import DEFAULT_CUTOFF, FORMATS, generate_tape, write_tape


def demo_data(
    loans: int = typer.Option(5000, "--loans", min=1, help="Number of loans in the book."),
    seed: int = typer.Option(20240601, "--seed", help="Seed: the same seed gives the same tape."),
    out: Path = typer.Option(..., "--out", help="Output folder (created if missing)."),
    fmt: str = typer.Option("csv", "--format", help="Container: csv, xlsx, parquet or flat."),
    cutoff: str = typer.Option(DEFAULT_CUTOFF.isoformat(), "--cutoff", help="Cut-off date, YYYY-MM-DD."),
    history: bool = typer.Option(True, "--history/--no-history",
                                 help="Include the monthly tables loan_states and repayments."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Generate a realistic regional-bank demo portfolio and write it as a tape / 生成演示贷款组合数据."""
    if fmt not in FORMATS:
        err_console.print(f"[red]error:[/red] --format {fmt!r} is not one of {', '.join(FORMATS)}")
        raise typer.Exit(EXIT_USAGE)
    try:
        cutoff_date = date.fromisoformat(cutoff)
    except ValueError:
        err_console.print(f"[red]error:[/red] --cutoff {cutoff!r} is not a date of the form YYYY-MM-DD")
        raise typer.Exit(EXIT_USAGE) from None
    started = time.perf_counter()
    with console.status(f"generating {loans:,} loans (seed {seed}) ...", spinner="dots") if not as_json \
            else _null():
        tape = generate_tape(loans=loans, seed=seed, cutoff=cutoff_date, history=history)
    with console.status(f"writing {fmt} to {out} ...") if not as_json else _null():
        files = write_tape(tape, out, fmt=fmt)
    counts = {name: len(frame) for name, frame in tape.tables.items()}
    result: dict[str, object] = {
        "out": str(out),
        "format": fmt,
        "seed": seed,
        "cutoff_date": cutoff_date.isoformat(),
        "files": [str(p) for p in files],
        "counts": counts,
        "npl_ratio": round(tape.truth.npl_ratio_reported, 6),
        "seconds": round(time.perf_counter() - started, 2),
    }
    if as_json:
        print_json(result)
        return
    for name, count in counts.items():
        console.print(f"  {name:<16} {count:>10,}")
    console.print(f"NPL ratio / 不良率 {tape.truth.npl_ratio_reported:.2%}; wrote {len(files)} file(s) to {out} "
                  f"in {result['seconds']} s")


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
