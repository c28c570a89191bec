"""`python -m engine memory ...`: the memory of lessons from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from engine.cli.ledger import ledger_options


def _settings_and_source(runs_dir: Path | None, data_source: str | None) -> tuple[Any, str]:
    from engine.cli.options import settings_for
    from engine.ledger.ops import default_data_source

    settings = settings_for(runs_dir)
    return settings, data_source or default_data_source(settings)


@click.group()
def memory() -> None:
    """Lessons learned from earlier sessions, carried into new sessions' prompts."""


@memory.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: every lesson with its provenance.")
@ledger_options
def list_(as_json: bool, data_source: str | None, runs_dir: Path | None) -> None:
    """Every lesson, active ones first: confidence, uses and their outcomes."""
    from engine.analytics.memory import memory_table
    from engine.cli import reporting
    from engine.memory import memory_store

    settings, source = _settings_and_source(runs_dir, data_source)
    book = memory_store(settings.runs_dir).read(source)
    if as_json:
        click.echo(json.dumps([i.model_dump(mode="json") for i in book.items.values()], indent=2))
        return
    rows = memory_table(book).to_dict("records")
    click.echo(
        reporting.table(
            ["id", "status", "kind", "category", "service", "conf", "used", "outcomes", "lesson"],
            [
                (
                    r["item_id"],
                    r["status"],
                    r["kind"],
                    r["category"],
                    r["service"],
                    f"{r['confidence']:.2f}",
                    r["uses"],
                    r["outcomes"],
                    str(r["lesson"])[:60],
                )
                for r in rows
            ],
        )
    )


@memory.command("retire")
@click.argument("item_id")
@click.option("--reason", required=True, help="Why the lesson no longer holds (recorded in the audit trail).")
@ledger_options
def retire(item_id: str, reason: str, data_source: str | None, runs_dir: Path | None) -> None:
    """Take a lesson out of every future prompt (it stays listed, retired)."""
    from engine.access.roles import local_admin
    from engine.memory.hooks import retire_lesson_as

    settings, source = _settings_and_source(runs_dir, data_source)
    item = retire_lesson_as(settings.runs_dir, local_admin(), source, item_id, reason)
    click.echo(f"retired {item.item_id} ({item.kind.value}, {item.category.value}, {item.service})")
