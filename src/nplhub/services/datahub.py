"""Use cases of the data hub: validate a tape, import it as a new snapshot version, summarise it.

`import_tape` reads and validates the whole tape before it opens the unit of work; any error
rejects the tape (`TapeRejected`) and nothing is written. A valid tape becomes snapshot version
n+1 of its (portfolio, cut-off), its tables are bulk-inserted in one transaction together with
its warnings and a `TapeImported` event for the ledger.

Only when asked (`quarantine=` a file or folder: `nplhub tape import --partial`) is a tape
imported in part: the rows with row-level errors and the rows depending on them are set aside
(`nplhub.datahub.quarantine`) and written to the quarantine file, which is moved into place only
once the snapshot is committed; file-level errors still reject the tape whole.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from nplhub.datahub.issues import TapeIssue, TapeRejected, errors_of, warning, warnings_of
from nplhub.datahub.mapping import INDUSTRY_SECTIONS, PROVINCE_PREFIXES
from nplhub.datahub.quarantine import (
    Quarantine,
    file_level_errors,
    quarantine_issues,
    set_aside,
    write_quarantine,
)
from nplhub.datahub.readers import read_tape
from nplhub.datahub.schema import TABLE_ORDER
from nplhub.datahub.validate import ValidatedTape, validate_tape
from nplhub.domain.classification import ORDERED_CLASSES, RiskClass
from nplhub.domain.errors import NotFound
from nplhub.domain.events import TapeImported
from nplhub.domain.portfolio import Portfolio, Snapshot
from nplhub.services.datahub_ports import SnapshotRepository
from nplhub.services.ports import AbstractUnitOfWork, SnapshotReader

Progress = Callable[[str], None]
CENT = Decimal("0.01")


@dataclass
class ImportResult:
    snapshot_id: str
    portfolio_id: str
    cutoff_date: str
    version: int
    counts: dict[str, int]
    content_sha256: str
    warnings: list[TapeIssue] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    quarantined: dict[str, int] | None = None  # rows set aside per table: a partial import only
    quarantine_file: str | None = None

    @property
    def partial(self) -> bool:
        return self.quarantined is not None and any(self.quarantined.values())

    def to_dict(self) -> dict[str, Any]:
        body = {"snapshot_id": self.snapshot_id, "portfolio_id": self.portfolio_id,
                "cutoff_date": self.cutoff_date, "version": self.version, "counts": self.counts,
                "content_sha256": self.content_sha256, "warnings": len(self.warnings)}
        if self.quarantined is not None:
            body.update(partial=self.partial, quarantined=self.quarantined, quarantine_file=self.quarantine_file)
        return body


def check_tape(path: str | Path, meta: dict[str, str | None] | None = None,
               progress: Progress | None = None, *, keep_text: bool = False) -> ValidatedTape:
    """Read and validate a tape without touching the database."""
    say = progress or (lambda _stage: None)
    say("reading")
    raw = read_tape(path, meta)
    say("validating")
    return validate_tape(raw, keep_text=keep_text)


def quarantine_path(where: str | Path, portfolio_id: str, cutoff: Any, version: int) -> Path:
    """`where` itself, or inside a folder `where` a file named after the snapshot."""
    where = Path(where)
    if where.is_dir():
        return where / f"{portfolio_id}_{cutoff.isoformat()}_v{version}.quarantine.csv"
    return where


def import_tape(uow: AbstractUnitOfWork, path: str | Path, meta: dict[str, str | None] | None = None,
                progress: Progress | None = None, *, quarantine: str | Path | None = None,
                source: str | None = None, imported_by: str = "") -> ImportResult:
    """Import the tape at `path` as a new snapshot version; raise `TapeRejected` on any error.

    `source` names where the tape came from in the snapshot (default: `path`; an upload over the
    API names its file, not the temporary folder it was unpacked into). `imported_by` names who
    asked for the import, for the audit ledger's `TapeImported` entry.

    With `quarantine` (a file, or a folder for a file named after the snapshot) the import is
    partial: rows with row-level errors, and the rows that depend on them, are set aside into
    that CSV file and the rest is imported; file-level errors still raise `TapeRejected`.
    """
    say = progress or (lambda _stage: None)
    started = time.perf_counter()
    tape = check_tape(path, meta, progress, keep_text=quarantine is not None)
    aside: Quarantine | None = None
    if quarantine is not None and tape.meta is not None and not file_level_errors(tape.issues):
        say("setting rows aside")
        kept, aside = set_aside(tape)
        if errors_of(kept.issues):
            raise TapeRejected(tape.issues + errors_of(kept.issues))
        tape = kept
    validated = time.perf_counter()
    if not tape.ok or tape.meta is None:
        raise TapeRejected(tape.issues)
    m = tape.meta
    warnings = warnings_of(tape.issues)
    counts = tape.counts
    target: Path | None = None
    staged: str | None = None
    quarantine_sha256 = ""
    # every reference of the tape was checked by the validation above
    with uow.for_bulk_load():
        repo = uow.get(SnapshotRepository)  # type: ignore[type-abstract]
        version = repo.next_version(m.portfolio_id, m.cutoff_date)
        snapshot_id = Snapshot.make_id(m.portfolio_id, m.cutoff_date, version)
        same = repo.find_by_content(m.portfolio_id, tape.sha256)
        if same is not None:
            warnings.append(warning("SAME_CONTENT", f"this tape has exactly the content of snapshot {same}; it is "
                                    f"stored again as version {version}", value=same))
        repo.save_portfolio(Portfolio(portfolio_id=m.portfolio_id, name=m.portfolio_name, seller=m.seller,
                                      currency=m.currency))
        snapshot = Snapshot(snapshot_id=snapshot_id, portfolio_id=m.portfolio_id, cutoff_date=m.cutoff_date,
                            version=version, reporting_date=m.reporting_date, source=source or tape.source,
                            imported_at=datetime.now(UTC), counts=counts)
        repo.add_snapshot(snapshot, tape.sha256)
        say("writing " + ", ".join(name for name in TABLE_ORDER if name in tape.tables))
        repo.add_tables(snapshot_id, {name: tape.tables[name] for name in TABLE_ORDER if name in tape.tables})
        try:
            if aside is not None and quarantine is not None:
                say("writing the quarantine file")
                target = quarantine_path(quarantine, m.portfolio_id, m.cutoff_date, version).resolve()
                handle, staged = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
                os.close(handle)
                write_quarantine(aside, staged)
                quarantine_sha256 = hashlib.sha256(Path(staged).read_bytes()).hexdigest()
                warnings.extend(quarantine_issues(aside, counts, str(target)))
            repo.add_issues(snapshot_id, warnings)
            uow.record(TapeImported(snapshot_id=snapshot_id, portfolio_id=m.portfolio_id,
                                    cutoff_date=m.cutoff_date, version=version, counts=counts,
                                    content_sha256=tape.sha256, warnings=len(warnings),
                                    quarantined=dict(aside.counts) if aside is not None else {},
                                    quarantine_sha256=quarantine_sha256, imported_by=imported_by))
            say("committing")
            uow.commit()
        except BaseException:
            if staged is not None:
                Path(staged).unlink(missing_ok=True)
            raise
    if staged is not None and target is not None:
        os.replace(staged, target)  # the quarantine file appears only with its committed snapshot
    done = time.perf_counter()
    return ImportResult(snapshot_id=snapshot_id, portfolio_id=m.portfolio_id, cutoff_date=m.cutoff_date.isoformat(),
                        version=version, counts=counts, content_sha256=tape.sha256, warnings=warnings,
                        seconds={"read_and_validate": validated - started, "write": done - validated},
                        quarantined=None if aside is None else aside.counts,
                        quarantine_file=None if target is None else str(target))


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(CENT))


def portfolio_summary(uow: AbstractUnitOfWork, snapshot_id: str | None = None) -> dict[str, Any]:
    """Counts and balances of a snapshot (default: the latest imported) by class, region, industry, product.

    Money is given as decimal strings in yuan ("1234.56"); shares and ratios as fractions.
    """
    with uow:
        reader = uow.get(SnapshotReader)  # type: ignore[type-abstract]
        repo = uow.get(SnapshotRepository)  # type: ignore[type-abstract]
        snapshot_id = snapshot_id or reader.latest_snapshot_id()
        if snapshot_id is None:
            raise NotFound("no snapshot has been imported yet: run `nplhub tape import PATH` first")
        snapshot = repo.get(snapshot_id)
        if snapshot is None:
            raise NotFound(f"snapshot {snapshot_id} not found")
        portfolio = repo.portfolio(snapshot.portfolio_id)
        breakdowns = {by: repo.loan_breakdown(snapshot_id, by)
                      for by in ("reported_class", "region", "industry", "product")}
        issues = repo.issues(snapshot_id)
    total = sum((b for _, _, b in breakdowns["reported_class"]), Decimal(0))
    loans = sum(n for _, n, _ in breakdowns["reported_class"])
    npl = sum((b for k, _, b in breakdowns["reported_class"] if k and RiskClass(k).is_non_performing), Decimal(0))

    def rows(by: str, label: Callable[[str | None], str | None]) -> list[dict[str, Any]]:
        return [{"key": k, "label": label(k), "loans": n, "balance": _money(b),
                 "share": float(b / total) if total else 0.0} for k, n, b in breakdowns[by]]

    order = {c.value: i for i, c in enumerate(ORDERED_CLASSES)}
    by_class = sorted(rows("reported_class", lambda k: RiskClass(k).chinese if k else None),
                      key=lambda r: order.get(r["key"], 99))
    return {
        "snapshot_id": snapshot_id,
        "portfolio_id": snapshot.portfolio_id,
        "portfolio_name": portfolio.name if portfolio else snapshot.portfolio_id,
        "cutoff_date": snapshot.cutoff_date.isoformat(),
        "version": snapshot.version,
        "counts": snapshot.counts,
        "loans": loans,
        "balance": _money(total),
        "npl_balance": _money(npl),
        "npl_ratio": float(npl / total) if total else 0.0,
        "by_class": by_class,
        "by_region": rows("region", lambda k: PROVINCE_PREFIXES.get(k or "", None)),
        "by_industry": rows("industry", lambda k: INDUSTRY_SECTIONS.get(k or "", None)),
        "by_product": rows("product", lambda k: k),
        "warnings": len([i for i in issues if i.severity == "warning"]),
    }


def demo_step(ctx: Any) -> dict[str, object]:
    """Generate the demo portfolio, import it, and report its headline figures."""
    from nplhub.datahub import generate  # the demo portfolio generator

    tape_dir = Path(ctx.workdir) / "tape"
    tape = generate.generate_tape(ctx.loans, ctx.seed)
    generate.write_tape(tape, tape_dir, "csv")
    result = import_tape(ctx.uow_factory(), tape_dir)
    ctx.snapshot_id = result.snapshot_id
    summary = portfolio_summary(ctx.uow_factory(), result.snapshot_id)
    ctx.results["datahub"] = {"import": result.to_dict(), "summary": summary}
    headline: dict[str, object] = {
        "snapshot": result.snapshot_id,
        "loans / 贷款笔数": summary["loans"],
        "balance / 贷款余额 (yuan)": f"{Decimal(summary['balance']):,.2f}",
        "NPL ratio / 不良率": f"{summary['npl_ratio']:.2%}",
    }
    for row in summary["by_class"]:
        headline[f"{row['key']} / {row['label']}"] = f"{row['share']:.2%}"
    headline["warnings / 警示"] = len(result.warnings)
    return headline
