"""SARIF parser benchmark, measured side by side in one run.

Generates a realistic CodeQL-style SARIF log (default 50,000 results: rules with tags, CWE
tags and security-severity, some rules only in a query-pack extension, partialFingerprints on
most results, regions, related locations and code flows on some) in a temporary folder, then
times `json.load` of the file against `parse_scan` of the same file's bytes (which includes
its own JSON parse) and against the whole ingest of the file (`ingest_file`: parse, build the
findings table, check every row, merge duplicates, list by severity), best of N each, alternating so none
gets a warmer cache. The whole ingest is timed twice: as the engine re-reads a run folder (no
limits) and as an upload or command is checked (with limits, raised to let the file through, so
results are counted and the clock read while the file is parsed).

Target: the whole ingest (parse, check, merge duplicates, list by severity) at most 3x json.load, with and
without limits. Exits 1 when either ratio is above 3.

Usage: python benchmarks/bench_sarif.py [--results 50000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.core.sources import SourceDefaults
from engine.ingest import IngestLimits, ingest_file
from engine.scanners import parse_scan

TARGET = 3.0
AIM = 2.0

_RULES = [
    ("py/sql-injection", "SQL query built from user-controlled sources", "8.8", ["external/cwe/cwe-089"]),
    ("py/reflective-xss", "Reflected server-side cross-site scripting", "6.1", ["external/cwe/cwe-079"]),
    ("py/path-injection", "Uncontrolled data used in path expression", "7.5", ["external/cwe/cwe-022"]),
    (
        "py/clear-text-logging-sensitive-data",
        "Clear-text logging of sensitive information",
        "7.5",
        ["external/cwe/cwe-312", "external/cwe/cwe-359", "external/cwe/cwe-532"],
    ),
    (
        "py/hardcoded-credentials",
        "Hard-coded credentials",
        "9.8",
        ["external/cwe/cwe-259", "external/cwe/cwe-798"],
    ),
    (
        "py/weak-cryptographic-algorithm",
        "Use of a broken or weak cryptographic algorithm",
        "7.5",
        ["external/cwe/cwe-327"],
    ),
    ("py/command-line-injection", "Uncontrolled command line", "9.8", ["external/cwe/cwe-078"]),
    ("py/unused-import", "Unused import", None, []),
    ("py/empty-except", "Empty except", None, ["external/cwe/cwe-390"]),
    ("py/log-injection", "Log Injection", "7.8", ["external/cwe/cwe-117"]),
    ("py/insecure-protocol", "Use of insecure SSL/TLS version", "7.5", ["external/cwe/cwe-327"]),
    (
        "py/stack-trace-exposure",
        "Information exposure through an exception",
        "5.4",
        ["external/cwe/cwe-209", "external/cwe/cwe-497"],
    ),
]
_HELP = "# {title}\n" + ("Explains the problem, shows a vulnerable example and a fixed one. " * 30)


def _rule(rule_id: str, title: str, severity: str | None, cwes: list[str]) -> dict:
    props: dict = {"tags": ["security", *cwes], "kind": "path-problem", "precision": "high", "id": rule_id}
    if severity:
        props["security-severity"] = severity
    return {
        "id": rule_id,
        "name": rule_id,
        "shortDescription": {"text": title},
        "fullDescription": {"text": f"{title}: a longer explanation of why this pattern is dangerous."},
        "defaultConfiguration": {"enabled": True, "level": "error" if severity else "note"},
        "help": {"text": _HELP.format(title=title), "markdown": _HELP.format(title=title)},
        "properties": props,
    }


def _location(path: str, line: int, rng: random.Random) -> dict:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%", "index": 0},
            "region": {
                "startLine": line,
                "startColumn": rng.randint(1, 40),
                "endColumn": rng.randint(41, 120),
            },
        }
    }


def build_log(results: int, seed: int = 5) -> dict:
    rng = random.Random(seed)
    files = [f"services/svc{s}/app/module{m}.py" for s in range(40) for m in range(50)]
    in_driver = _RULES[:6]
    in_pack = _RULES[6:]
    out = []
    for i in range(results):
        from_pack = i % 3 == 0
        table = in_pack if from_pack else in_driver
        index = rng.randrange(len(table))
        rule_id = table[index][0]
        path = rng.choice(files)
        line = rng.randint(1, 2000)
        result: dict = {
            "ruleId": rule_id,
            "message": {"text": f"This value depends on a [user-provided value](1) read at line {line - 3}."},
            "locations": [_location(path, line, rng)],
            "relatedLocations": [
                {"id": 1, **_location(path, max(1, line - 3), rng), "message": {"text": "source"}}
            ],
        }
        if from_pack:
            result["rule"] = {"id": rule_id, "index": index, "toolComponent": {"index": 0}}
        else:
            result["ruleIndex"] = index
        if i % 4:
            result["partialFingerprints"] = {
                "primaryLocationLineHash": f"{rng.getrandbits(64):016x}:1",
                "primaryLocationStartColumnFingerprint": str(rng.randint(0, 40)),
            }
        if i % 5 == 0:
            steps = [
                {"location": {**_location(path, rng.randint(1, 2000), rng), "message": {"text": "step"}}}
                for _ in range(4)
            ]
            result["codeFlows"] = [{"threadFlows": [{"locations": steps}]}]
        out.append(result)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "CodeQL",
                        "semanticVersion": "2.19.3",
                        "rules": [_rule(*r) for r in in_driver],
                    },
                    "extensions": [{"name": "codeql/python-queries", "rules": [_rule(*r) for r in in_pack]}],
                },
                "automationDetails": {"id": "/language:python/"},
                "versionControlProvenance": [{"repositoryUri": "https://github.com/acme/platform"}],
                "results": out,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def _best(repeat: int, fn) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def bench(results: int, repeat: int) -> float:
    with tempfile.TemporaryDirectory(prefix="patchwave-bench-sarif-") as tmp:
        path = Path(tmp) / f"codeql-{results}.sarif"
        path.write_text(json.dumps(build_log(results), separators=(",", ":")), encoding="utf-8")
        size_mb = path.stat().st_size / 1e6

        def load() -> None:
            with path.open(encoding="utf-8") as handle:
                json.load(handle)

        def parse() -> None:
            parse_scan(path.read_bytes(), path.name)

        source = SourceDefaults(service_name="bench-service")

        def ingest() -> None:
            ingest_file(path, defaults=source)

        limits = IngestLimits(
            max_upload_bytes=path.stat().st_size, max_rows_per_run=results, parse_time_limit_seconds=3600
        )

        def ingest_limited() -> None:
            ingest_file(path, defaults=source, limits=limits)

        json_s = parse_s = ingest_s = limited_s = float("inf")
        for _ in range(repeat):  # alternate them so none gets a warmer cache
            json_s = min(json_s, _best(1, load))
            parse_s = min(parse_s, _best(1, parse))
            ingest_s = min(ingest_s, _best(1, ingest))
            limited_s = min(limited_s, _best(1, ingest_limited))
        parsed = parse_scan(path.read_bytes(), path.name)
        result = ingest_file(path, defaults=source)
        start = time.perf_counter()
        built = len(result.findings)
        models_s = time.perf_counter() - start
    ratio = ingest_s / json_s
    limited_ratio = limited_s / json_s
    verdict = "PASS" if max(ratio, limited_ratio) <= TARGET else "FAIL"
    print(f"\n== SARIF parse: {results:,} results, {size_mb:.1f} MB, best of {repeat} ==")
    print(f"{'json.load':<38}{json_s:8.3f} s")
    print(f"{'parse_scan (JSON + records)':<38}{parse_s:8.3f} s   {parse_s / json_s:5.2f} x json.load")
    print(f"{'ingest (parse, check, merge, list)':<38}{ingest_s:8.3f} s")
    print(f"{'ingest with limits (as an upload)':<38}{limited_s:8.3f} s")
    print(
        f"{'ratio ingest / json.load':<38}{ratio:8.2f} x   "
        f"target <= {TARGET:.2f} (aim < {AIM:.2f})  {verdict}"
    )
    print(f"{'ratio ingest with limits / json.load':<38}{limited_ratio:8.2f} x")
    print(
        f"{'  then Finding models (lazy; on use)':<38}{models_s:8.3f} s   "
        f"{result.report.accepted:,} accepted, {built:,} built"
    )
    print(f"{'  records per second':<38}{results / parse_s:8,.0f}")
    print(
        f"{'  records / suppressed / distinct fps':<38}{len(parsed.records):,} / "
        f"{sum(r.suppressed for r in parsed.records):,} / {len({r.fingerprint for r in parsed.records}):,}"
    )
    return max(ratio, limited_ratio)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ratio = bench(args.results, args.repeat)
    sys.exit(0 if ratio <= TARGET else 1)


if __name__ == "__main__":
    main()
