"""Generate docs/cli-reference.md from the command tree itself, so the reference cannot drift.

`python -m nplhub.cli.reference > docs/cli-reference.md` rewrites it; a test fails when the file
and the commands disagree.
"""

from __future__ import annotations

from typing import Any

import typer.main


def _walk(command: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    found = [(path, command)]
    if getattr(command, "commands", None):
        for name in sorted(command.commands):
            found.extend(_walk(command.commands[name], [*path, name]))
    return found


def _param_line(param: Any) -> str:
    if getattr(param, "param_type_name", "") == "option":
        names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
        default = param.default
        shown = "" if default in (None, False, (), "") or callable(default) else f" (default: `{default}`)"
        return f"- {names}: {(param.help or '').strip()}{shown}"
    help_text = (getattr(param, "help", None) or "").strip()
    return f"- `{str(param.name).upper()}` (argument){': ' + help_text if help_text else ''}"


def render(app: typer.Typer) -> str:
    root = typer.main.get_command(app)
    lines = ["# CLI reference", "", "Generated from the commands by `python -m nplhub.cli.reference`; "
             "do not edit by hand.", ""]
    for path, command in _walk(root, ["nplhub"]):
        lines.append(f"{'#' * min(len(path) + 1, 4)} `{' '.join(path)}`")
        lines.append("")
        if command.help:
            lines.append(command.help.strip())
            lines.append("")
        params = [p for p in command.params if p.name not in ("install_completion", "show_completion", "help")]
        if params:
            lines.extend(_param_line(p) for p in params)
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def command_paths(app: typer.Typer) -> list[str]:
    return [" ".join(path) for path, _ in _walk(typer.main.get_command(app), ["nplhub"])]


if __name__ == "__main__":  # pragma: no cover
    from nplhub.cli.main import app

    print(render(app), end="")
