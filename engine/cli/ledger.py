"""`python -m engine ledger ...`: the findings ledger from the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import click

from engine.cli.options import runs_dir_option, settings_for
from engine.core.sources import SourceDefaults

DATA_SOURCE = click.Choice(["simulated", "live"])


def _settings(runs_dir: Path | None) -> Any:
    return settings_for(runs_dir)


def _source(settings: Any, data_source: str | None) -> Literal["simulated", "live"]:
    from engine.ledger.ops import default_data_source

    return data_source or default_data_source(settings)  # type: ignore[return-value]


def ledger_options(fn: Any) -> Any:
    fn = click.option(
        "--data-source",
        type=DATA_SOURCE,
        help="Which ledger: live or simulated (default: live when DEVIN_API_KEY is set).",
    )(fn)
    return runs_dir_option(fn)


@click.group()
def ledger() -> None:
    """The findings ledger: every finding across scans and runs, and what became of it."""


@ledger.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--service", "service_name", help="Service for findings that do not name one.")
@click.option("--repo", "repo_url", help="Repository URL for findings that do not name one.")
@ledger_options
def import_(
    file: Path, service_name: str | None, repo_url: str | None, data_source: str | None, runs_dir: Path | None
) -> None:
    """Record a scan (CSV or a scanner's JSON/SARIF) without running anything."""
    from engine.access.roles import local_admin
    from engine.ingest import IngestLimits
    from engine.launch.prepare import read_source
    from engine.ledger.ops import import_scan_bytes

    settings = _settings(runs_dir)
    data = read_source(file, IngestLimits.from_settings(settings))  # an oversized file is never read
    result = import_scan_bytes(
        settings,
        local_admin(),
        data,
        file.name,
        data_source=_source(settings, data_source),
        defaults=SourceDefaults(service_name, repo_url),
    )
    s = result.summary
    if s.already_imported:
        click.echo(f"{file.name}: already imported (scan {s.scan_id}); nothing changed")
        return
    counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in s.counts.items())
    click.echo(f"{file.name}: {counts}")
    for alert in result.alerts:
        click.echo(f"alert: {alert.title}")


@ledger.command("list")
@click.option("--state", "states", multiple=True, help="Only these lifecycle states (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@ledger_options
def list_(states: tuple[str, ...], as_json: bool, data_source: str | None, runs_dir: Path | None) -> None:
    """Every finding the ledger knows, with its state, age and SLA."""
    from engine.analytics.ledger_view import ledger_rows
    from engine.cli import reporting
    from engine.core.models import utcnow
    from engine.ledger import read_ledger
    from engine.policy import load_policy

    settings = _settings(runs_dir)
    book = read_ledger(settings.runs_dir, _source(settings, data_source))
    rows = ledger_rows(book, load_policy(settings.policy_file), utcnow())
    if states:
        rows = [r for r in rows if r.state in states]
    if as_json:
        click.echo(json.dumps([r.model_dump(mode="json") for r in rows], indent=2))
        return
    click.echo(
        reporting.table(
            ["fingerprint", "state", "severity", "service", "sla", "age (d)", "seen", "title"],
            [
                (
                    r.fingerprint,
                    r.state,
                    r.severity,
                    r.service_name,
                    r.sla,
                    r.age_days,
                    r.appearances,
                    r.title[:60],
                )
                for r in rows
            ],
        )
    )


@ledger.command("show")
@click.argument("fingerprint")
@ledger_options
def show(fingerprint: str, data_source: str | None, runs_dir: Path | None) -> None:
    """One finding's whole record: sightings, attempts, pull request, decisions."""
    from engine.core.errors import BadInputError
    from engine.ledger import read_ledger

    settings = _settings(runs_dir)
    entry = read_ledger(settings.runs_dir, _source(settings, data_source)).entries.get(fingerprint)
    if entry is None:
        raise BadInputError(f"fingerprint {fingerprint!r} is not in the ledger")
    click.echo(entry.model_dump_json(indent=2))


@ledger.command("false-positive")
@click.argument("fingerprint")
@click.option("--reason", required=True, help="Why it is not a real problem.")
@ledger_options
def false_positive(fingerprint: str, reason: str, data_source: str | None, runs_dir: Path | None) -> None:
    """Mark a finding as a false positive: no scan reactivates it."""
    from engine.access.roles import local_admin
    from engine.ledger.ops import mark_false_positive_as

    settings = _settings(runs_dir)
    mark_false_positive_as(settings, local_admin(), _source(settings, data_source), fingerprint, reason)
    click.echo(f"{fingerprint}: false positive")


@ledger.command("accept-risk")
@click.argument("fingerprint")
@click.option("--owner", required=True, help="Who owns the accepted risk.")
@click.option("--reason", required=True, help="Why the risk is accepted.")
@click.option("--days", type=click.IntRange(1, 3650), required=True, help="Until when: days from now.")
@ledger_options
def accept_risk(
    fingerprint: str, owner: str, reason: str, days: int, data_source: str | None, runs_dir: Path | None
) -> None:
    """Accept a finding's risk until a date; it reopens when the acceptance expires."""
    from engine.access.roles import local_admin
    from engine.ledger.ops import accept_risk_as

    settings = _settings(runs_dir)
    expires = datetime.now(UTC) + timedelta(days=days)
    accept_risk_as(
        settings,
        local_admin(),
        _source(settings, data_source),
        fingerprint,
        owner=owner,
        reason=reason,
        expires_at=expires,
    )
    click.echo(f"{fingerprint}: risk accepted until {expires:%Y-%m-%d}")


@ledger.command("reopen")
@click.argument("fingerprint")
@click.option("--reason", required=True)
@ledger_options
def reopen(fingerprint: str, reason: str, data_source: str | None, runs_dir: Path | None) -> None:
    """Undo a false positive or risk acceptance, or send a finding that needs human review back
    for a new round of attempts."""
    from engine.access.roles import local_admin
    from engine.ledger.ops import reopen_as

    settings = _settings(runs_dir)
    reopen_as(settings, local_admin(), _source(settings, data_source), fingerprint, reason)
    click.echo(f"{fingerprint}: reopened")


@ledger.command("pr")
@click.argument("fingerprint")
@click.argument("state", type=click.Choice(["merged", "closed", "open"]))
@ledger_options
def pull_request(fingerprint: str, state: str, data_source: str | None, runs_dir: Path | None) -> None:
    """Record what became of a finding's pull request (when the Git host cannot be asked)."""
    from engine.access.roles import local_admin
    from engine.ledger.ops import set_pull_request_as

    settings = _settings(runs_dir)
    changed = set_pull_request_as(
        settings,
        local_admin(),
        _source(settings, data_source),
        fingerprint,
        state,  # type: ignore[arg-type]
    )
    click.echo(f"{fingerprint}: pull request {state}" + ("" if changed else " (already known)"))


@ledger.command("sync-prs")
@click.option("--git-api", "base_url", help="GitHub-compatible API base (default: GIT_API_BASE_URL).")
@ledger_options
def sync_prs(base_url: str | None, data_source: str | None, runs_dir: Path | None) -> None:
    """Ask the Git host what became of every open pull request."""
    from engine.access.roles import local_admin
    from engine.ledger.ops import sync_pull_requests_from_git

    settings = _settings(runs_dir)
    applied = sync_pull_requests_from_git(settings, local_admin(), _source(settings, data_source), base_url)
    if not applied:
        click.echo("no open pull requests in the ledger")
    for fingerprint, state in applied.items():
        click.echo(f"{fingerprint}: {state}")
