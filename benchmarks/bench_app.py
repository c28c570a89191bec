"""Page render times with a large history: 100 runs of 1,000 findings each in `runs/`.

Each page is rendered through Streamlit's AppTest (the real script, in-process) once to warm
the caches, then timed over several warm renders. Target: History, ROI and Ops under 2 s warm.

Usage: python benchmarks/bench_app.py [--runs 100] [--findings 1000] [--repeat 3] 2>/dev/null
(AppTest renders without a browser session; Streamlit says so on stderr once per render.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from streamlit.testing.v1 import AppTest  # noqa: E402

from benchmarks.fixture_runs import build_runs_folder  # noqa: E402

PAGES = {"History": "app_pages/history.py", "ROI": "app_pages/roi.py", "Ops": "app_pages/ops.py"}
TARGET_SECONDS = 2.0


def render(page: str, run_id: str) -> tuple[float, AppTest]:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.query_params["run"] = run_id
    start = time.perf_counter()
    at.run()
    at.switch_page(page).run()
    elapsed = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(f"{page} raised: {at.exception[0].value}")
    return elapsed, at


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--findings", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="patchwave-bench-app-") as tmp:
        runs_dir = Path(tmp) / "runs"
        start = time.perf_counter()
        build_runs_folder(runs_dir, args.runs, args.findings)
        print(f"fixture: {args.runs} runs x {args.findings} findings in {time.perf_counter() - start:.1f} s")
        os.environ["RUNS_DIR"] = str(runs_dir)
        newest = f"bench-{args.runs - 1:03d}"
        print(f"\n{'page':<10}{'cold':>9}{'warm median':>14}{'warm max':>11}   target < {TARGET_SECONDS:g} s")
        for name, page in PAGES.items():
            cold, _ = render(page, newest)
            warm = [render(page, newest)[0] for _ in range(args.repeat)]
            verdict = "PASS" if max(warm) < TARGET_SECONDS else "FAIL"
            print(f"{name:<10}{cold:>8.2f}s{statistics.median(warm):>13.2f}s{max(warm):>10.2f}s   {verdict}")


if __name__ == "__main__":
    main()
