"""The HTML page of a simulated pull request: title, state, body, checks, files and the
unified diff. Every value is scanner data or derived from it, so all of it is escaped; the page
loads nothing from elsewhere (no scripts, no fonts, no images), so it works offline."""

from __future__ import annotations

import html
from datetime import UTC, datetime

from engine.simulator.pull_record import SIMULATED_NOTE, PullRecord
from engine.simulator.wire import Response, text

_CSS = """
body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328;background:#fff}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 8px}
.state{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;font-weight:600}
.open{background:#1a7f37}.merged{background:#8250df}.closed{background:#cf222e}
.note{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:8px 12px;margin:16px 0}
.meta{color:#59636e}
section{border:1px solid #d1d9e0;border-radius:6px;margin:16px 0}
section>h2{font-size:14px;margin:0;padding:8px 12px;background:#f6f8fa;border-bottom:1px solid #d1d9e0}
.body{padding:8px 16px;white-space:pre-wrap}
ul.checks{list-style:none;margin:0;padding:8px 12px}
.success{color:#1a7f37}.failure{color:#cf222e}.neutral{color:#59636e}
pre.diff{margin:0;padding:8px 0;overflow-x:auto;font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace}
pre.diff span{display:block;padding:0 12px;white-space:pre}
.add{background:#dafbe1}.del{background:#ffebe9}.hunk{background:#ddf4ff;color:#59636e}
.file{background:#f6f8fa;font-weight:600}
@media (prefers-color-scheme: dark){
body{background:#0d1117;color:#e6edf3}.meta{color:#9198a1}
section{border-color:#3d444d}section>h2,.file{background:#151b23;border-color:#3d444d}
.add{background:#12261e}.del{background:#25171c}.hunk{background:#121d2f;color:#9198a1}
.note{background:#272115;border-color:#9e6a03}}
"""


def _when(iso: str) -> str:
    """'2025-05-01T09:30:12.123456+00:00' -> '2025-05-01 09:30 UTC'."""
    try:
        return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return iso


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _diff_lines(diff: str) -> str:
    out = []
    for line in diff.splitlines():
        css = ""
        if line.startswith("diff --git"):
            css = "file"
        elif line.startswith("@@"):
            css = "hunk"
        elif line.startswith("+") and not line.startswith("+++"):
            css = "add"
        elif line.startswith("-") and not line.startswith("---"):
            css = "del"
        out.append(
            f'<span class="{css}">{_e(line) or " "}</span>' if css else f"<span>{_e(line) or ' '}</span>"
        )
    return "".join(out)


def render_html(pull: PullRecord, state: str = "open") -> str:
    state = state if state in ("open", "merged", "closed") else "open"
    checks = "".join(
        f'<li class="{_e(c.conclusion)}">{"✓" if c.conclusion == "success" else "✗"} <b>{_e(c.name)}</b>: '
        f"{_e(c.summary)}</li>"
        for c in pull.checks
    )
    files = "".join(f"<li><code>{_e(f.path)}</code> +{f.additions} −{f.deletions}</li>" for f in pull.files)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(pull.title)} · {_e(pull.repo)}#{pull.number}</title>
<style>{_CSS}</style></head>
<body><main>
<h1>{_e(pull.title)} <span class="meta">#{pull.number}</span></h1>
<p><span class="state {state}">{state.capitalize()}</span>
<span class="meta">{_e(pull.repo)}: <code>{_e(pull.head)}</code> into <code>{_e(pull.base)}</code>,
session <code>{_e(pull.session_id)}</code>, opened {_e(_when(pull.created_at))}</span></p>
<p class="note">{_e(SIMULATED_NOTE)}</p>
<section><h2>Description</h2><div class="body">{_e(pull.body)}</div></section>
<section><h2>Checks</h2><ul class="checks">{checks}</ul></section>
<section><h2>Files changed ({len(pull.files)})</h2><ul>{files}</ul></section>
<section><h2>Diff</h2><pre class="diff">{_diff_lines(pull.diff)}</pre></section>
<p class="meta">Also as <a href="{_e(pull.path)}.diff">.diff</a> and
<a href="{_e(pull.path)}.json">.json</a>.</p>
</main></body></html>
"""


def github_shape(pull: PullRecord, state: str, changed_at: str | None, api_base: str) -> dict[str, object]:
    """GitHub's `GET /repos/{owner}/{repo}/pulls/{n}` fields the ledger and a reviewer use."""
    additions = sum(f.additions for f in pull.files)
    deletions = sum(f.deletions for f in pull.files)
    return {
        "number": pull.number,
        "html_url": pull.url,
        "diff_url": f"{pull.url}.diff",
        "url": f"{api_base}/repos/{pull.repo}/pulls/{pull.number}",
        "state": "open" if state == "open" else "closed",
        "merged": state == "merged",
        "merged_at": changed_at if state == "merged" else None,
        "closed_at": changed_at if state != "open" else None,
        "title": pull.title,
        "body": pull.body,
        "head": {"ref": pull.head},
        "base": {"ref": pull.base},
        "created_at": pull.created_at,
        "additions": additions,
        "deletions": deletions,
        "changed_files": len(pull.files),
    }


def pull_page_response(pull: PullRecord, state: str, ext: str | None) -> Response:
    """The page (ext None), the unified diff (".diff") or the record (".json") as a Response."""
    if ext == ".diff":
        return text(200, pull.diff, "text/x-diff")
    if ext == ".json":
        return Response(200, {**pull.model_dump(mode="json"), "state": state})
    return text(200, render_html(pull, state), "text/html")
