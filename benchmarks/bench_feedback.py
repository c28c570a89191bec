"""Retries with feedback against blind retries, on the simulated Devin API (a real server).

`--findings` seeded findings (engine.sample) each get a first attempt. Every failed first
attempt is then retried twice over, side by side: once with the prompt a retry had before
(blind: "this is attempt 2"), once with the previous attempt's outcome, structured output
and last messages in its feedback block (engine.devin.feedback), as the engine sends it. Both
retries draw the same seeded plan, so the difference is the feedback alone. Prints the seed,
both success rates and the difference; exits 1 when feedback does not help.

Usage: python benchmarks/bench_feedback.py [--findings 200] [--seed 13] [--failure-rate 0.4]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.core.models import AgentProgress, Finding, RemediationSession, SessionStatus  # noqa: E402
from engine.devin.client import DevinClient  # noqa: E402
from engine.devin.feedback import feedback_of, last_agent_messages  # noqa: E402
from engine.devin.playbooks import load_playbook  # noqa: E402
from engine.devin.prompt import build_prompt  # noqa: E402
from engine.devin.schemas import SessionDetails  # noqa: E402
from engine.devin.status import map_status  # noqa: E402
from engine.launch.control import launch_plan_options  # noqa: E402
from engine.launch.prepare import prepare_run  # noqa: E402
from engine.sample import write_sample_csv  # noqa: E402
from engine.settings.environment import load_settings  # noqa: E402
from engine.simulator import SimulatorServer  # noqa: E402

SPEED = 5000.0  # simulated seconds per second: every session ends within a second or so
KEY = "bench-feedback-key"


def seeded_findings(count: int, seed: int, folder: Path) -> list[Finding]:
    """`count` distinct findings (the planner merges duplicates, so a few more rows are drawn)."""
    settings = load_settings(runs_dir=folder, settings_file=folder / "none.toml", seed=seed)
    config, options = launch_plan_options(settings, use_ledger=False, live=False)
    rows = count
    while True:
        out = io.StringIO()
        write_sample_csv(out, rows, seed=seed)
        data = out.getvalue().encode()
        _, plan = prepare_run(data, "findings.csv", config, options, folder, f"bench-{rows}")
        if len(plan.findings) >= count:
            return plan.findings[:count]
        rows += count - len(plan.findings)


def prompt_for(finding: Finding, attempt: int, previous: RemediationSession | None = None) -> str:
    playbook = load_playbook(finding.category)
    feedback = feedback_of(previous) if previous is not None else None
    return build_prompt(finding, playbook.title, playbook.body, attempt, feedback=feedback)


def run_all(client: DevinClient, prompts: list[str]) -> list[SessionDetails]:
    """Creates one session per prompt and waits until each has ended."""
    ids = [client.create_session(p).session_id for p in prompts]
    ended: dict[str, SessionDetails] = {}
    deadline = time.monotonic() + 120
    while len(ended) < len(ids) and time.monotonic() < deadline:
        for session_id in ids:
            if session_id not in ended:
                details = client.get_session(session_id)
                if map_status(details)[0].is_terminal:
                    ended[session_id] = details
        time.sleep(0.05)
    if len(ended) < len(ids):
        raise RuntimeError(f"{len(ids) - len(ended)} sessions did not end")
    return [ended[i] for i in ids]


def as_session(finding: Finding, details: SessionDetails) -> RemediationSession:
    """What the engine keeps of an ended attempt (the feedback is built from this)."""
    status, reason = map_status(details)
    return RemediationSession(
        finding_id=finding.finding_id,
        attempt=1,
        wave_number=1,
        tag="bench",
        session_id=details.session_id,
        status=status,
        error=reason,
        progress=AgentProgress.from_output(details.structured_output),
        last_messages=last_agent_messages(details),
    )


def success_rate(results: list[SessionDetails]) -> float:
    return sum(1 for d in results if map_status(d)[0] == SessionStatus.success) / len(results)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--findings", type=int, default=200)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--failure-rate", type=float, default=0.4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        findings = seeded_findings(args.findings, args.seed, Path(tmp) / "runs")
    with SimulatorServer(seed=args.seed, speed=SPEED, failure_rate=args.failure_rate) as server:
        client = DevinClient(server.base_url, KEY)
        first = run_all(client, [prompt_for(f, 1) for f in findings])
        failed = [
            (finding, as_session(finding, details))
            for finding, details in zip(findings, first, strict=True)
            if map_status(details)[0] != SessionStatus.success
        ]
        if not failed:
            print(f"seed {args.seed}: no first attempt failed; nothing to retry")
            return 1
        blind = run_all(client, [prompt_for(f, 2) for f, _ in failed])
        told = run_all(client, [prompt_for(f, 2, previous) for f, previous in failed])
    blind_rate, told_rate = success_rate(blind), success_rate(told)
    print(
        f"seed {args.seed}, {len(findings)} findings, simulated failure rate {args.failure_rate:g}: "
        f"{len(failed)} first attempts failed"
    )
    for label, rate in (("blind retries", blind_rate), ("retries with feedback", told_rate)):
        print(f"  {label + ' succeeded:':33} {rate:6.1%} ({round(rate * len(failed))}/{len(failed)})")
    print(f"  difference: {told_rate - blind_rate:+.1%} points")
    return 0 if told_rate > blind_rate else 1


if __name__ == "__main__":
    raise SystemExit(main())
