"""Small, realistic scanner files for tests: a CodeQL-style SARIF log of chosen results."""

from __future__ import annotations

import json
from dataclasses import dataclass

RULES = {
    "py/sql-injection": ("SQL query built from user-controlled sources", "8.8", "external/cwe/cwe-089"),
    "py/reflective-xss": ("Reflected server-side cross-site scripting", "6.1", "external/cwe/cwe-079"),
    "py/path-injection": ("Uncontrolled data used in path expression", "7.5", "external/cwe/cwe-022"),
    "py/clear-text-logging-sensitive-data": (
        "Clear-text logging of sensitive information",
        "7.5",
        "external/cwe/cwe-532",
    ),
    "py/hardcoded-credentials": ("Hard-coded credentials", "9.8", "external/cwe/cwe-798"),
}


@dataclass(frozen=True)
class Result:
    rule: str
    path: str
    line: int
    message: str


def codeql_sarif(results: list[Result], repo_url: str = "https://github.com/acme/payments") -> bytes:
    rules = sorted(RULES)
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "CodeQL",
                        "semanticVersion": "2.19.3",
                        "rules": [
                            {
                                "id": rule,
                                "shortDescription": {"text": RULES[rule][0]},
                                "defaultConfiguration": {"level": "error"},
                                "properties": {
                                    "security-severity": RULES[rule][1],
                                    "tags": ["security", RULES[rule][2]],
                                },
                            }
                            for rule in rules
                        ],
                    }
                },
                "versionControlProvenance": [{"repositoryUri": repo_url, "branch": "main"}],
                "results": [
                    {
                        "ruleId": r.rule,
                        "ruleIndex": rules.index(r.rule),
                        "message": {"text": r.message},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": r.path, "uriBaseId": "%SRCROOT%"},
                                    "region": {"startLine": r.line},
                                }
                            }
                        ],
                    }
                    for r in results
                ],
            }
        ],
    }
    return json.dumps(log).encode()
