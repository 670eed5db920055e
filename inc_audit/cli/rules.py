"""`inc-audit rules`: list the rules."""

from __future__ import annotations

import click

from inc_audit.findings import RULES  # the codes, severities and summaries: none of the rules' checks is needed


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
def rules(fmt: str) -> None:
    """List the rules: code, severity and what each checks."""
    if fmt == "json":
        import json

        items = [{"code": r.code, "severity": r.severity, "summary": r.summary} for r in RULES.values()]
        click.echo(json.dumps(items, indent=2))
    elif fmt == "markdown":
        click.echo("| code | severity | fires when |\n|---|---|---|")
        for r in RULES.values():
            click.echo(f"| {r.code} | {r.severity} | {r.summary} |")
    else:
        for r in RULES.values():
            click.echo(f"{r.code}  {r.severity:<7}  {r.summary}")

