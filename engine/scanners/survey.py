"""A first pass over a scanner file's JSON, before the document is built: refuses what would
expand far beyond the file's size.

Building a JSON document costs about 50 bytes of memory per value; scanner output spends 20 to
100 bytes of file on each, so its document takes 1 to 5 times the file's size. Hostile or broken
files can spend 3 (`{},` repeated: 3.3 million empty results in 10 MB, 200 MB once built and
far more as records). So:

1. An upper bound on the values (commas, brackets and braces, inside strings too) is counted
   at C speed. At most one per 12 bytes (or at most 100,000 values in all), the document is
   cheap to build: the scanner parsers then count findings and entries exactly while they
   read it (budget.py). This is the path of every real scanner file.
2. Above that, the file is streamed (ijson, C backend) without building anything: result
   entries are counted per format as they pass and the file is refused at the entry that
   crosses a limit; entries that may not be findings (suppressed, passing, dismissed, a Snyk
   path to a vulnerability already counted) are left out of the findings count, so the count
   never exceeds what the parser would find. The clock is read every 65,536 tokens, and a
   document nested more than 128 levels deep is refused. A file that passes and really holds
   more than one value per 12 bytes is refused as too dense.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import ijson

from engine.core.errors import BadInputError
from engine.scanners.budget import ScanBudget
from engine.scanners.registry import list_shape
from engine.scanners.sarif import NOT_FINDINGS

BYTES_PER_VALUE = 12
SPARSE_VALUES = 100_000
# Scanner output nests 10 to 20 levels; streaming a deeper document costs time growing with the
# square of its depth (each value's path is spelled out), so the stream stops here.
MAX_DEPTH = 128
# Python refuses to convert longer digit strings to int; ijson's C backend crashes the process
# on them instead of raising, so a dense file holding one is refused before it is streamed.
_MAX_DIGITS = sys.get_int_max_str_digits()
_LONG_DIGITS = re.compile(rb"[0-9]{%d}" % (_MAX_DIGITS + 1)) if _MAX_DIGITS else None
_CLOCK_EVERY = 1 << 16
# ijson hands over the events of one buffer at a time; a small one keeps the depth check close
# to the nesting that would make a buffer's paths quadratic.
_BUFFER = 2048
_ALERT_FORMATS = frozenset({"dependabot", "github_code_scanning"})
_CLOSED_ALERTS = frozenset({"dismissed", "fixed", "auto_dismissed"})
Fields = dict[str, object]


def _lower(value: object) -> str:
    return value.strip().lower() if isinstance(value, str) else ""


def _sarif_finding(f: Fields) -> bool:
    return (
        f.get("kind") not in NOT_FINDINGS
        and f.get("baselineState") != "absent"
        and "suppressions.item" not in f
    )


def _alert_finding(prefix: str) -> Callable[[Fields], bool]:
    def finding(f: Fields) -> bool:
        closed = f.get(f"{prefix}dismissedAt") or f.get(f"{prefix}fixedAt")
        return _lower(f.get(f"{prefix}state")) not in _CLOSED_ALERTS and not closed

    return finding


@dataclass(frozen=True)
class _Entries:
    """One array of result entries: the fields of an entry that tell whether it may not be a
    finding (entry-relative ijson prefixes), and that test."""

    watched: frozenset[str] = frozenset()
    finding: Callable[[Fields], bool] = lambda _f: True
    identity: bool = False  # Snyk: entries of one vulnerability id and package are one finding
    suppressed: bool = False  # every entry is suppressed (Snyk's filtered.ignore / .patch)


_SARIF = _Entries(frozenset({"kind", "baselineState", "suppressions.item"}), _sarif_finding)
_SEMGREP = _Entries(frozenset({"extra.is_ignored"}), lambda f: f.get("extra.is_ignored") is not True)
_TRIVY = {
    "Vulnerabilities": _Entries(frozenset({"Status"}), lambda f: _lower(f.get("Status")) != "not_affected"),
    "Misconfigurations": _Entries(
        frozenset({"Status"}), lambda f: _lower(f.get("Status")) not in ("pass", "exception")
    ),
    "Secrets": _Entries(),
}
_SNYK_FIELDS = frozenset({"id", "packageName", "moduleName", "name"})
_SNYK = _Entries(_SNYK_FIELDS, identity=True)
# Suppressed, and their identities too: a path to one of them is not a new finding either.
_SNYK_FILTERED = _Entries(_SNYK_FIELDS, identity=True, suppressed=True)
_ALERT = _Entries(frozenset({"state", "dismissedAt", "fixedAt"}), _alert_finding(""))
_EDGE = _Entries(frozenset({"node.state", "node.dismissedAt", "node.fixedAt"}), _alert_finding("node."))


def _entry_prefixes() -> dict[str, _Entries]:
    found: dict[str, _Entries] = {"runs.item.results.item": _SARIF, "results.item": _SEMGREP}
    for group, entries in _TRIVY.items():
        found[f"Results.item.{group}.item"] = entries
        found[f"item.{group}.item"] = entries  # legacy Trivy: a list of targets
        for k8s in ("Vulnerabilities", "Misconfigurations", "Resources"):
            found[f"{k8s}.item.Results.item.{group}.item"] = entries
    for base in ("", "item."):  # one project, or a list of them (--all-projects)
        for depth in range(3):  # a container test's applications (and theirs)
            project = base + "applications.item." * depth
            found[f"{project}vulnerabilities.item"] = _SNYK
            found[f"{project}filtered.ignore.item"] = _SNYK_FILTERED
            found[f"{project}filtered.patch.item"] = _SNYK_FILTERED
    alerts = "data.repository.vulnerabilityAlerts"
    found[f"{alerts}.nodes.item"] = _ALERT
    found[f"{alerts}.edges.item"] = _EDGE
    return found


_ENTRY_PREFIXES = _entry_prefixes()


@dataclass
class _Open:
    prefix: str
    entries: _Entries
    fields: Fields = field(default_factory=dict)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


class _Walk:
    """The count of one streamed pass. A top-level list's items are alerts only when its first
    item shows a list of alerts (a list of Trivy targets or Snyk projects is not)."""

    def __init__(self, budget: ScanBudget) -> None:
        self.budget = budget
        self.prefixes = dict(_ENTRY_PREFIXES)
        self.first_keys: set[str] | None = None  # the first item's keys, while it is read
        self.open: list[_Open] = []
        self.identities: set[tuple[str | None, str | None]] = set()
        self.values = 0

    def start(self, prefix: str, is_map: bool) -> None:
        if not prefix:
            if not is_map:  # a top-level list: its first item tells what its items are
                self.prefixes["item"] = _ALERT
                self.first_keys = set()
            return
        if prefix == "item" and self.first_keys is not None and not is_map:
            self._not_alerts()
        entries = self.prefixes.get(prefix)
        if entries is None:
            self.watch(prefix, True)
            return
        self.budget.entry()
        if is_map:
            self.open.append(_Open(prefix, entries))

    def end(self, prefix: str) -> None:
        if prefix == "item" and self.first_keys is not None:
            if list_shape(dict.fromkeys(self.first_keys)) not in _ALERT_FORMATS:
                self._not_alerts()
            self.first_keys = None
        if self.open and self.open[-1].prefix == prefix:
            self._finish(self.open.pop())

    def _not_alerts(self) -> None:
        self.prefixes.pop("item", None)
        self.open = [o for o in self.open if o.prefix != "item"]
        self.first_keys = None

    def _finish(self, entry: _Open) -> None:
        spec, fields = entry.entries, entry.fields
        if spec.identity:
            package = (
                _text(fields.get("packageName"))
                or _text(fields.get("moduleName"))
                or _text(fields.get("name"))
            )
            identity = (_text(fields.get("id")), package)
            known = identity in self.identities
            self.identities.add(identity)
            if known:
                return
        if not spec.suppressed and spec.finding(fields):
            self.budget.finding()

    def watch(self, prefix: str, value: object) -> None:
        """A value inside the innermost open entry: kept when it is one the entry's test reads."""
        if not self.open:
            return
        entry = self.open[-1]
        rel = prefix[len(entry.prefix) + 1 :]
        if rel in entry.entries.watched:
            entry.fields[rel] = value.strip() if isinstance(value, str) else value

    def key(self, prefix: str, key: str) -> None:
        if prefix == "item" and self.first_keys is not None:
            self.first_keys.add(key)


def value_bound(data: bytes) -> int:
    """At least the number of values and members in the JSON: each but the first of an array
    or object follows a comma, the first follows its bracket or brace."""
    return data.count(b",") + data.count(b"[") + data.count(b"{") + 1


def survey(data: bytes, name: str, budget: ScanBudget) -> None:
    """Refuses a file whose document would expand (see the module's docstring); the bytes are
    UTF-8 JSON without a byte-order mark. Nothing is built."""
    if not budget.limited:
        return
    allowed = max(SPARSE_VALUES, len(data) // BYTES_PER_VALUE)
    if value_bound(data) <= allowed:
        return
    if _LONG_DIGITS is not None and _LONG_DIGITS.search(data):
        raise BadInputError(
            f"{name}: the JSON holds a run of more than {_MAX_DIGITS:,} digits; numbers that long are "
            "not read"
        )
    values = stream_count(data, name, budget.fresh())
    if values > allowed:
        raise BadInputError(
            f"{name}: the JSON holds {values:,} values in {len(data):,} bytes, one every "
            f"{len(data) / values:.1f} bytes; scanner output spends 20 bytes or more on each, and a "
            f"document this dense would take many times the file's size in memory to read (the "
            f"limit is one value per {BYTES_PER_VALUE} bytes beyond {SPARSE_VALUES:,})"
        )


def stream_count(data: bytes, name: str, budget: ScanBudget) -> int:
    """Streams the document, counting its result entries and findings into `budget` (which
    refuses past a limit); returns how many values it holds."""
    walk = _Walk(budget)
    tokens = depth = 0
    try:
        for prefix, event, value in ijson.parse(io.BytesIO(data), buf_size=_BUFFER):
            tokens += 1
            if not tokens % _CLOCK_EVERY:
                budget.check_time("while counting the results")
            if event == "map_key":
                walk.key(prefix, value)
            elif event == "start_map" or event == "start_array":
                depth += 1
                if depth > MAX_DEPTH:
                    raise BadInputError(
                        f"{name}: the JSON is nested more than {MAX_DEPTH} levels deep; scanner output "
                        "never is"
                    )
                walk.values += 1
                walk.start(prefix, event == "start_map")
            elif event == "end_map" or event == "end_array":
                depth -= 1
                if event == "end_map":
                    walk.end(prefix)
            else:
                walk.values += 1
                if prefix in walk.prefixes:
                    walk.start(prefix, False)
                else:
                    walk.watch(prefix, value)
    except ijson.JSONError:
        pass  # the full parse that follows names what is wrong with the JSON
    return walk.values
