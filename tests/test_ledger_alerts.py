"""Which alerts a ledger change raises, with a controllable clock."""

from __future__ import annotations

from engine.alerts import AlertKind
from engine.core.models import Severity
from engine.ledger import Ledger, import_scan
from engine.ledger.alerts import ledger_alerts
from engine.policy import Objective, Policy
from tests.ledger_helpers import at, finding

POLICY = Policy(
    objectives=[Objective(id="no-critical", title="No critical findings", severity=Severity.critical)]
)


def _import(ledger: Ledger, scan: str, findings: list, hours: float):  # type: ignore[no-untyped-def]
    before = ledger.model_copy(deep=True)
    summary = import_scan(ledger, scan, f"{scan}.sarif", findings, at(hours))
    return ledger_alerts(before, ledger, summary, POLICY, at(hours))


def test_a_breach_is_announced_once_when_it_happens() -> None:
    ledger = Ledger()
    high = finding(1, severity=Severity.high)  # 30 days to fix
    assert _import(ledger, "s1", [high], 0) == []
    assert _import(ledger, "s2", [high], 24 * 29) == []  # at risk, not breached
    breached = _import(ledger, "s3", [high], 24 * 31)
    assert [a.kind for a in breached] == [AlertKind.sla_breached]
    assert breached[0].details["fingerprints"] == [high.fingerprint]
    assert _import(ledger, "s4", [high], 24 * 32) == []  # already announced at the last import


def test_an_objective_met_by_an_import_is_announced() -> None:
    ledger = Ledger()
    critical = finding(1, severity=Severity.critical)
    other = finding(2, severity=Severity.low)
    assert _import(ledger, "s1", [critical, other], 0) == []
    # The critical finding is gone from the next scan of the same scope: fixed; objective met.
    met = _import(ledger, "s2", [other], 1)
    assert [a.kind for a in met] == [AlertKind.objective_met]
    assert met[0].details == {"objective_id": "no-critical"}
    assert _import(ledger, "s3", [other], 2) == []
