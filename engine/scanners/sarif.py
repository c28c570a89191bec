"""SARIF 2.1.0 logs (CodeQL, Semgrep, Snyk Code, Trivy, Anchore, dependency-check, ESLint,
Flawfinder, Dockle, ...) -> scan records.

Policies:
- Every run is read (LGTM exports hold one run per language); rule indexes are per run.
- Results of kind pass, notApplicable or informational are not findings: they are counted in
  `not_findings`, not returned. Kinds fail, open and review, and no kind, are findings.
- Suppressions: a suppression without a `status`, or with status `accepted`, suppresses the
  result (as sarif-sdk and GitLab read it); `underReview` and `rejected` do not. A result whose
  `baselineState` is `absent` is gone from the code base and counts as suppressed too. Suppressed
  results are returned with `suppressed=True` so the ingest can count and show them.
- Severity: see severity.py. CWE: result taxa/properties, else the rule's tags
  ("external/cwe/cwe-079", "CWE-346"), `properties.cwe` lists and `relationships`.
- Dependency scanners (Trivy, Anchore, Grype, dependency-check, ...) give dependency findings:
  their package comes from the rule help ("Package: curl") or the artifact's package URL, and
  their fingerprint is the dependency one (identity.py). A Trivy result tagged "secret" is a
  hardcoded secret; one tagged "misconfiguration" is a code finding.
- Locations: the first location of a result; a location that is not a path (a container
  image) gives no file path and is named in the description instead.
"""

from __future__ import annotations

from engine.core.errors import BadInputError
from engine.scanners.budget import ScanBudget
from engine.scanners.detect import json_type
from engine.scanners.identity import make_unique
from engine.scanners.records import ScanParse, ScanRecord
from engine.scanners.sarif_result import build_record
from engine.scanners.sarif_run import RunContext

NOT_FINDINGS = frozenset({"pass", "notApplicable", "informational"})


def parse_sarif(doc: object, name: str, budget: ScanBudget) -> ScanParse:
    if not isinstance(doc, dict):
        raise BadInputError(f"{name}: a SARIF log must be a JSON object")
    runs = doc.get("runs")
    if runs is None:
        return ScanParse(
            format="sarif",
            format_label="SARIF (runs: null)",
            tools=[],
            records=[],
            empty_reason='the SARIF log\'s "runs" is null: the tool could not say what it ran',
        )
    if not isinstance(runs, list):
        raise BadInputError(f'{name}: a SARIF log whose "runs" is a JSON {json_type(runs)}, not a list')
    version = doc.get("version") if isinstance(doc.get("version"), str) else "2.1.0"
    records: list[ScanRecord] = []
    tools: list[str] = []
    not_findings = 0
    results_seen = 0
    no_results_array = 0
    for run_index, run in enumerate(runs):
        if not isinstance(run, dict):
            raise BadInputError(
                f"{name}: runs[{run_index}] is a JSON {json_type(run)}, not a SARIF run object"
            )
        ctx = RunContext(run, run_index)
        if ctx.label not in tools:
            tools.append(ctx.label)
        results = run.get("results")
        if results is None:
            no_results_array += 1
            continue
        if not isinstance(results, list):
            raise BadInputError(
                f"{name}: runs[{run_index}].results is a JSON {json_type(results)}, not a list"
            )
        results_seen += len(results)
        for index, result in enumerate(results):
            budget.entry(ctx.prefix, index)
            if not isinstance(result, dict):
                raise BadInputError(
                    f"{name}: {ctx.prefix}[{index}] is a JSON {json_type(result)}, not a result"
                )
            if result.get("kind") in NOT_FINDINGS:
                not_findings += 1
                continue
            record = build_record(ctx, result, index)
            records.append(record)
            if not record.suppressed:
                budget.finding()
    make_unique(records)
    label = f"SARIF {version} ({', '.join(_tool_names(runs)) or 'no runs'})"
    return ScanParse(
        format="sarif",
        format_label=label,
        tools=tools,
        records=records,
        not_findings=not_findings,
        empty_reason=None if records else _empty_reason(runs, results_seen, not_findings, no_results_array),
    )


def _tool_names(runs: list) -> list[str]:
    names: list[str] = []
    for run in runs:
        tool = run.get("tool") if isinstance(run, dict) else None
        driver = tool.get("driver") if isinstance(tool, dict) else None
        name = driver.get("name") if isinstance(driver, dict) else None
        name = name.strip() if isinstance(name, str) and name.strip() else "unknown tool"
        if name not in names:
            names.append(name)
    return names


def _empty_reason(runs: list, results_seen: int, not_findings: int, no_results_array: int) -> str:
    if not runs:
        return 'the SARIF log has no runs ("runs" is empty), so no tool reported anything'
    tools = ", ".join(_tool_names(runs))
    if no_results_array == len(runs):
        return f"the SARIF run of {tools} has no results array: the tool did not report results"
    if results_seen == 0:
        plural = "runs report" if len(runs) > 1 else "run reports"
        return f"the SARIF {plural} no results: {tools} found nothing (a clean scan)"
    return (
        f"all {not_findings:,} SARIF results of {tools} are of kind pass, notApplicable or informational: "
        "checks, not findings"
    )
