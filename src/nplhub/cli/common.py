"""What every command shares: the platform from the composition root, JSON output, exit codes."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console

from nplhub.bootstrap import Platform, bootstrap

# Exit statuses: 0 success, 1 rejected input, 2 usage error.
EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2

console = Console()
err_console = Console(stderr=True)


def platform() -> Platform:
    return bootstrap()


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def usage_error(message: str) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}")
    return typer.Exit(EXIT_USAGE)
