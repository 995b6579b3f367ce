"""`nplhub tape validate|import PATH`: check a tape, or import it as a new snapshot version.

Exit status: 0 success, 1 rejected input (the errors are listed), 2 usage error.
`--json` prints the issues as a list of objects with exactly the keys table, row, column,
value, code, message, severity; on a successful import, the counts per table and the snapshot id.
`import --partial [--quarantine FILE]` imports what is valid and writes the rows set aside to
the quarantine file (default: a file named after the snapshot in DATA_DIR/quarantine/); exit
status 0 even when rows were set aside, 1 when the tape is still rejected.
"""

from __future__ import annotations

import getpass
from pathlib import Path

import typer
from rich.markup import escape

from nplhub.cli.common import EXIT_REJECTED, console, err_console, platform, print_json, usage_error
from nplhub.datahub.issues import TapeIssue, TapeRejected, errors_of, warnings_of
from nplhub.datahub.schema import TABLE_ORDER

app = typer.Typer(help="Validate and import data tapes / 数据带校验与导入", no_args_is_help=True)

PathArg = typer.Argument(..., help="A folder of CSV or Parquet files, an .xlsx workbook, or a flat .csv/.xlsx loan list.")


def _meta(portfolio_id: str | None, portfolio_name: str | None, cutoff_date: str | None,
          reporting_date: str | None, currency: str | None, seller: str | None) -> dict[str, str | None]:
    return {"portfolio_id": portfolio_id, "portfolio_name": portfolio_name, "cutoff_date": cutoff_date,
            "reporting_date": reporting_date, "currency": currency, "seller": seller}


def _who() -> str:
    """The operating-system user who runs the import, for the audit ledger."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (some containers)
        return "cli:unknown"


def _show_issues(issues: list[TapeIssue], limit: int = 50) -> None:
    for issue in issues[:limit]:
        style = "red" if issue.is_error else "yellow"
        where = " ".join(part for part in (
            issue.table or "", f"row {issue.row}" if issue.row is not None else "", issue.column or "") if part)
        value = f" {issue.value!r}" if issue.value is not None else ""
        # the location, value and message are data: escaped, or Rich would take "[loans row 4]" for markup
        err_console.print(f"[{style}]{issue.severity}[/{style}] {issue.code} "
                          + escape(f"[{where}]{value}: {issue.message}"), markup=True, highlight=False)
    if len(issues) > limit:
        err_console.print(f"... {len(issues) - limit} more; use --json for the full list")


def _check_path(path: Path) -> None:
    if not path.exists():
        raise usage_error(f"no such file or folder: {path}")


@app.command("validate")
def validate(
    path: Path = PathArg,
    json_output: bool = typer.Option(False, "--json", help="Print the issues as JSON."),
    portfolio_id: str | None = typer.Option(None, "--portfolio-id", help="Overrides tape.yaml / _meta."),
    portfolio_name: str | None = typer.Option(None, "--portfolio-name"),
    cutoff_date: str | None = typer.Option(None, "--cutoff-date", help="YYYY-MM-DD"),
    reporting_date: str | None = typer.Option(None, "--reporting-date", help="YYYY-MM-DD"),
    currency: str | None = typer.Option(None, "--currency"),
    seller: str | None = typer.Option(None, "--seller"),
) -> None:
    """Check a tape against the contract without importing it / 校验数据带（不导入）."""
    from nplhub.services.datahub import check_tape

    _check_path(path)
    tape = check_tape(path, _meta(portfolio_id, portfolio_name, cutoff_date, reporting_date, currency, seller))
    if json_output:
        print_json([i.to_dict() for i in tape.issues])
    else:
        _show_issues(tape.issues)
        if tape.ok:
            console.print(f"[green]valid[/green] {path}: " + ", ".join(f"{k} {v}" for k, v in tape.counts.items() if v)
                          + f"; {len(warnings_of(tape.issues))} warning(s)")
        else:
            err_console.print(f"[red]rejected[/red] {path}: {len(errors_of(tape.issues))} error(s)")
    if not tape.ok:
        raise typer.Exit(EXIT_REJECTED)


@app.command("import")
def import_(
    path: Path = PathArg,
    json_output: bool = typer.Option(False, "--json", help="Print the counts and snapshot id (or the issues) as JSON."),
    portfolio_id: str | None = typer.Option(None, "--portfolio-id", help="Overrides tape.yaml / _meta."),
    portfolio_name: str | None = typer.Option(None, "--portfolio-name"),
    cutoff_date: str | None = typer.Option(None, "--cutoff-date", help="YYYY-MM-DD"),
    reporting_date: str | None = typer.Option(None, "--reporting-date", help="YYYY-MM-DD"),
    currency: str | None = typer.Option(None, "--currency"),
    seller: str | None = typer.Option(None, "--seller"),
    partial: bool = typer.Option(
        False, "--partial", help="Import the valid rows and set aside the rows with errors, and the rows that depend "
        "on them, into a quarantine file; file-level errors still reject the whole tape."),
    quarantine: Path | None = typer.Option(
        None, "--quarantine", help="With --partial: the quarantine CSV file (or a folder for a file named after the "
        "snapshot). Default: DATA_DIR/quarantine/."),
) -> None:
    """Import a tape as a new snapshot version; any error rejects it whole, unless --partial / 导入数据带."""
    from nplhub.services.datahub import import_tape

    _check_path(path)
    if quarantine is not None and not partial:
        raise usage_error("--quarantine needs --partial: without it any error rejects the whole tape")
    if quarantine is not None and not (quarantine.is_dir() or quarantine.parent.is_dir()):
        raise usage_error(f"the folder of the quarantine file does not exist: {quarantine.parent}")
    meta = _meta(portfolio_id, portfolio_name, cutoff_date, reporting_date, currency, seller)
    hub = platform()
    if partial and quarantine is None:
        quarantine = hub.settings.data_dir / "quarantine"
        quarantine.mkdir(parents=True, exist_ok=True)
    try:
        if json_output:
            result = import_tape(hub.uow(), path, meta, quarantine=quarantine, imported_by=_who())
        else:
            with console.status("importing ...") as status:
                result = import_tape(hub.uow(), path, meta, progress=lambda stage: status.update(f"{stage} ..."),
                                     quarantine=quarantine, imported_by=_who())
    except TapeRejected as rejected:
        if json_output:
            print_json([i.to_dict() for i in rejected.issues])
        else:
            _show_issues(rejected.issues)
            err_console.print(f"[red]rejected[/red] {path}: {len(errors_of(rejected.issues))} error(s); "
                              "nothing was written")
        raise typer.Exit(EXIT_REJECTED) from None
    finally:
        hub.close()
    if json_output:
        body = {"snapshot_id": result.snapshot_id, "version": result.version, "counts": result.counts,
                "warnings": len(result.warnings)}
        if result.quarantined is not None:
            body.update(partial=result.partial, quarantined=result.quarantined,
                        quarantine_file=result.quarantine_file)
        print_json(body)
        return
    _show_issues(result.warnings)
    console.print(f"[green]imported[/green] {result.snapshot_id} (version {result.version}): "
                  + ", ".join(f"{k} {v}" for k, v in result.counts.items() if v))
    if result.quarantined is not None:
        aside = sum(result.quarantined.values())
        per_table = ", ".join(f"{k} {result.quarantined[k]}" for k in TABLE_ORDER if result.quarantined.get(k))
        style = "yellow" if aside else "green"
        console.print(f"[{style}]set aside[/{style}] {aside} row(s){' (' + per_table + ')' if aside else ''} "
                      f"in the quarantine file {result.quarantine_file}", highlight=False)
