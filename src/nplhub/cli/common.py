"""What every command shares: the platform from the composition root, JSON output, exit codes."""

from __future__ import annotations

import json
import math
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


def json_safe(value: Any) -> Any:
    """JSON-safe data: NaN and infinities become null, recursively."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def rejected(exc: Exception) -> typer.Exit:
    """Say why the input was rejected and exit with status 1."""
    err_console.print(f"[red]rejected:[/red] {exc}")
    return typer.Exit(EXIT_REJECTED)
