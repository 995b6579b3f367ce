"""`nplhub ledger ...`: the audit ledger (RFC 9162 Merkle log with signed checkpoints).

--json output contract:
  root        {"tree_size", "root", "latest_checkpoint": null | {"tree_size", "root", "origin", "key_hash",
               "signed_at", "note"}}
  checkpoint  {"tree_size", "root", "note", "new"}  (one object per round with --every)
  verify      {"ok", "entries", "root", "checkpoints_checked", "first_bad_entry", "problem_count",
               "problems": [{"entry", "message"}]}
  proof       {"out", "leaf_index", "tree_size"}  (the bundle itself is written to --out)
  consistency {"out", "old_tree_size", "tree_size"}  (idem)
  check       {"ok", "reason", "key", "origin", "tree_size", "root", and "leaf_index", "leaf_hash" for an
               entry bundle or "old_tree_size", "old_root" for a consistency bundle}
Exit status: 0 ok; 1 the ledger or bundle does not verify, or the entry/key is refused; 2 usage.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from nplhub.cli.common import EXIT_REJECTED, console, err_console, platform, print_json
from nplhub.services import ledger as service

app = typer.Typer(help="Audit ledger: Merkle log, signed checkpoints, proofs / 审计账本", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print machine-readable JSON.")


def _refuse(message: str) -> typer.Exit:
    err_console.print(f"[red]refused:[/red] {message}")
    return typer.Exit(EXIT_REJECTED)


@app.command("root")
def root(as_json: bool = JSON) -> None:
    """The current tree size and root hash, and the latest signed checkpoint / 当前树根."""
    p = platform()
    try:
        data = service.ledger_root(p.uow())
    finally:
        p.close()
    if as_json:
        print_json(data)
        return
    typer.echo(f"tree size / 条目数: {data['tree_size']}")
    typer.echo(f"root / 根哈希: {data['root']}")
    cp = data["latest_checkpoint"]
    typer.echo("latest checkpoint / 最新检查点: " + ("none" if cp is None else f"size {cp['tree_size']}"))


@app.command("checkpoint")
def checkpoint(
    as_json: bool = JSON,
    every: float = typer.Option(0.0, "--every", help="Keep signing every SECONDS (a schedule); 0 = once."),
    times: int = typer.Option(0, "--times", help="With --every: stop after N rounds (0 = until interrupted)."),
) -> None:
    """Sign a checkpoint of the current tree (C2SP signed note, Ed25519) / 签发检查点."""
    if every < 0 or times < 0:
        raise typer.BadParameter("--every and --times must not be negative")
    p = platform()
    rounds = 0
    try:
        signer = service.signer_from_settings(p.settings)
        while True:
            signed = service.sign_checkpoint(p.uow(), signer)
            rounds += 1
            if as_json:
                print_json(signed.as_dict())
            elif every == 0 or signed.new:
                typer.echo(signed.note, nl=False)
            if every == 0 or (times and rounds >= times):
                break
            time.sleep(every)
    except service.LedgerError as exc:
        raise _refuse(str(exc)) from None
    except KeyboardInterrupt:
        pass
    finally:
        p.close()


@app.command("verify")
def verify(as_json: bool = JSON) -> None:
    """Recompute the whole tree from the entries and check the stored hashes and checkpoints / 校验."""
    p = platform()
    try:
        signer = None
        key_path = p.settings.resolved_ledger_key
        if key_path.exists():
            signer = service.load_signer(key_path, p.settings.ledger_origin, create=False)
        report = service.verify_ledger(p.uow(), signer)
    except service.LedgerError as exc:
        raise _refuse(str(exc)) from None
    finally:
        p.close()
    data = report.as_dict()
    if as_json:
        print_json(data)
    elif report.ok:
        console.print(f"[green]OK[/green] {data['entries']} entries, root {data['root']}, "
                      f"{data['checkpoints_checked']} checkpoints checked", soft_wrap=True)
    else:
        console.print(f"[red]FAILED[/red] first bad entry / 首个异常条目: {data['first_bad_entry']}")
        for problem in data["problems"]:
            console.print(f"  - {problem['message']}", markup=False, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(EXIT_REJECTED)


@app.command("proof")
def proof(
    entry: int = typer.Argument(..., help="Leaf index of the entry (0-based)."),
    out: Path = typer.Option(..., "--out", help="Where to write the bundle (JSON)."),
    as_json: bool = JSON,
) -> None:
    """Export a self-contained inclusion proof bundle for one entry / 导出包含证明."""
    if entry < 0:
        raise _refuse(f"entry must be a leaf index >= 0, got {entry}")
    p = platform()
    try:
        bundle = service.export_proof(p.uow(), entry, service.signer_from_settings(p.settings))
    except service.LedgerError as exc:
        raise _refuse(str(exc)) from None
    finally:
        p.close()
    bundle.write(out)
    if as_json:
        print_json({"out": str(out), "leaf_index": entry, "tree_size": bundle.data["tree_size"]})
    else:
        console.print(f"wrote {out}: entry {entry} in the signed tree of {bundle.data['tree_size']}")


@app.command("consistency")
def consistency(
    old_size: int = typer.Argument(..., help="Tree size of a checkpoint signed earlier."),
    out: Path = typer.Option(..., "--out", help="Where to write the bundle (JSON)."),
    as_json: bool = JSON,
) -> None:
    """Export a proof that the log signed at OLD_SIZE is a prefix of the log now / 导出一致性证明."""
    p = platform()
    try:
        bundle = service.export_consistency(p.uow(), old_size, service.signer_from_settings(p.settings))
    except service.LedgerError as exc:
        raise _refuse(str(exc)) from None
    finally:
        p.close()
    bundle.write(out)
    if as_json:
        print_json({"out": str(out), "old_tree_size": old_size, "tree_size": bundle.data["tree_size"]})
    else:
        console.print(f"wrote {out}: the log of {old_size} is a prefix of the signed log of {bundle.data['tree_size']}")


@app.command("check")
def check(bundle: Path = typer.Argument(..., help="A bundle written by `nplhub ledger proof` or `consistency`."),
          as_json: bool = JSON) -> None:
    """Verify a proof bundle offline, without the database / 离线校验证明."""
    result = service.check_bundle_file(bundle)
    if as_json:
        print_json(result)
    else:
        console.print(("[green]OK[/green] " if result["ok"] else "[red]FAILED[/red] ") + result["reason"],
                      soft_wrap=True)
    if not result["ok"]:
        raise typer.Exit(EXIT_REJECTED)
