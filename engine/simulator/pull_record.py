"""A simulated pull request as the Git host would show it: title, body, branch, unified diff,
files and checks. Built from a session's plan once the session reports the pull request, and
saved in the run folder so its page outlives the simulator (engine.simulator.pull_archive)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.simulator.diffs import diff_stats
from engine.simulator.lifecycle import SessionPlan

SIMULATED_NOTE = "Simulated pull request: opened by the Patchwave simulator; no Git host was involved."
_UNSAFE_REF = re.compile(r"[^A-Za-z0-9._/-]+")


class PullFile(BaseModel):
    path: str
    additions: int
    deletions: int


class PullCheck(BaseModel):
    name: str
    conclusion: Literal["success", "failure", "neutral"]
    summary: str


class PullRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str
    repo: str  # owner/name
    number: int = Field(ge=1)
    title: str
    body: str  # Markdown
    head: str
    base: str = "main"
    diff: str
    files: list[PullFile]
    checks: list[PullCheck]
    session_id: str
    finding_id: str
    category: str  # the category the fix follows
    language: str
    fix_approach: str
    tests_run: list[str]
    tests_added: int
    confidence: float
    created_at: str  # ISO 8601, the simulator's clock
    simulated: Literal[True] = True

    @property
    def path(self) -> str:
        """The page's path on any host: /owner/name/pull/N."""
        return f"/{self.repo}/pull/{self.number}"


def pull_record(plan: SessionPlan, session_id: str, created_at: str) -> PullRecord:
    task, fix = plan.task, plan.fix
    cwe = f" ({task.cwe_id})" if task.cwe_id else ""
    title = f"[Patchwave] {task.finding_id}: Fix {fix.weakness} in {task.service_name}{cwe}"
    where = (
        f"`{task.file_path}:{task.line_number}`"
        if task.file_path and task.line_number
        else (f"`{task.file_path}`" if task.file_path else "no file named")
    )
    tested = [f"- `{command}`: passed" for command in fix.tests_run] or ["- the build passed"]
    if fix.test_file:
        tested.append(f"- Added `{fix.test_file}` ({plan.tests_added} case(s)): the hostile input is refused "
                      "(failed before the fix); ordinary input still works.")  # fmt: skip
    body = "\n".join(
        [
            "## Finding",
            f"- {task.finding_id}, reported by {task.scanner or 'a scanner'}, severity {task.severity}"
            f"{', ' + task.cwe_id if task.cwe_id else ''}, {where}",
            "## What changed",
            f"- {fix.approach}",
            *[f"- `{path}`" for path in fix.files],
            "## How it was tested",
            *tested,
            "## Residual risk",
            "- none found beyond the flagged code path.",
            "",
            f"_{SIMULATED_NOTE}_",
        ]
    )
    stats = diff_stats(fix.diff)
    checks = [
        PullCheck(name="build", conclusion="success", summary=(fix.tests_run or ("build",))[-1]),
        PullCheck(
            name="tests",
            conclusion="success",
            summary=f"{100 + plan.pr_number % 400} passed, 0 failed"
            + (f" ({plan.tests_added} new)" if plan.tests_added else ""),
        ),
        PullCheck(
            name=f"security scan ({task.scanner})" if task.scanner else "security scan",
            conclusion="success",
            summary=f"{task.finding_id} is no longer reported",
        ),
    ]
    return PullRecord(
        url=plan.pr_url,
        repo=plan.repo,
        number=plan.pr_number,
        title=title,
        body=body,
        head=f"patchwave/{_UNSAFE_REF.sub('-', task.finding_id).strip('-') or 'fix'}",
        diff=fix.diff,
        files=[PullFile(path=p, additions=a, deletions=d) for p, (a, d) in stats.items()],
        checks=checks,
        session_id=session_id,
        finding_id=task.finding_id,
        category=fix.category,
        language=task.language,
        fix_approach=fix.approach,
        tests_run=list(fix.tests_run),
        tests_added=plan.tests_added,
        confidence=plan.confidence["completed"],
        created_at=created_at,
    )
