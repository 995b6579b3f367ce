"""docs/risk.md documents every `nplhub risk` command and option (docs cannot drift)."""

from __future__ import annotations

from pathlib import Path

import typer.main

from nplhub.cli.risk import app

DOC = Path(__file__).resolve().parents[3] / "docs" / "risk.md"


def test_every_risk_command_and_option_is_in_the_risk_docs():
    text = DOC.read_text(encoding="utf-8")
    group = typer.main.get_command(app)
    missing = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        if f"nplhub risk {name}" not in text:
            missing.append(name)
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--") and opt != "--help" and opt not in text:
                    missing.append(f"{name} {opt}")
    assert not missing, f"undocumented: {missing}"
