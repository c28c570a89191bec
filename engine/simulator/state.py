"""The simulator's store: sessions, playbooks, request statistics and the journal.

Every state change goes through `_commit`, which applies a journal entry and then appends it
to the journal; replay on start applies the same entries, so a resumed simulator rebuilds
exactly the sessions (ids, creation times, tags, messages, terminations) and playbooks it had.

Times come from the simulator's own clock (engine.simulator.clock), which a change of the
host's clock does not move.

Statistics are per process: every counter starts at zero when the store is built, except
`sessions_created`, which counts all sessions in the store, replayed ones included
(`sessions_replayed` says how many of them came from the journal).
"""

from __future__ import annotations

import hashlib
import json
import threading
import zlib
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.simulator.clock import SimClock
from engine.simulator.finding import read_task
from engine.simulator.journal import Journal
from engine.simulator.lifecycle import (
    DEFAULT_PULL_BASE,
    SessionPlan,
    build_plan,
    finding_rng,
    plan_rng,
    task_key,
)
from engine.simulator.records import SessionRecord, hex_id, playbook_response
from engine.simulator.schemas import CreateSessionParams
from engine.simulator.supervision import DEFAULT_NUDGE_SUCCESS, apply_feedback, draw_stall, has_feedback
from engine.simulator.texts import default_title


def canonical_sha256(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _journaled(body: dict[str, Any]) -> dict[str, Any]:
    """The create body as journaled: session secret values never reach the disk, and the
    output schema (the same few kB with every create) is left out, as replay does not need
    it; `body_sha256` still identifies the whole request."""
    body = {k: v for k, v in body.items() if k != "structured_output_schema"}
    secrets = body.get("session_secrets")
    if not isinstance(secrets, list):
        return body
    cleaned = [{**s, "value": "<redacted>"} if isinstance(s, dict) else s for s in secrets]
    return {**body, "session_secrets": cleaned}


class Store:
    def __init__(
        self,
        *,
        seed: int,
        speed: float,
        failure_rate: float,
        journal_path: Path | None,
        pull_base: str = DEFAULT_PULL_BASE,
        stall_rate: float = 0.0,
        nudge_success: float = DEFAULT_NUDGE_SUCCESS,
    ) -> None:
        self.seed = seed
        self.speed = speed
        self.failure_rate = failure_rate
        self.stall_rate = stall_rate  # engine.simulator.supervision
        self.nudge_success = nudge_success
        self.pull_base = pull_base.rstrip("/")  # where this store's pull request pages are served
        self.lock = threading.RLock()
        self.sessions: dict[str, SessionRecord] = {}
        self.playbooks: dict[str, dict[str, Any]] = {}
        self._idempotent: dict[str, str] = {}  # canonical body sha256 -> session id
        self._pull_numbers: dict[str, set[int]] = {}  # repository -> pull request numbers in use
        self._session_seq = 0
        self._playbook_seq = 0
        self.counters: Counter[str] = Counter()
        self.routes: Counter[str] = Counter()
        self.faults_by_status: Counter[str] = Counter()
        self._journal = Journal(journal_path)
        last: dict[str, Any] | None = None
        for entry in self._journal.entries():
            self._apply(entry)
            last = entry
        self.clock = SimClock(last)
        self.replayed = len(self.sessions)
        self._journal.open()

    def now(self) -> float:
        """The simulator's time (epoch seconds) that session states are computed for."""
        return self.clock.now()

    # -- sessions ---------------------------------------------------------------------------

    def create_session(self, body: dict[str, Any], params: CreateSessionParams) -> tuple[SessionRecord, bool]:
        """(session, is_new). Lookup and insert happen under one lock, so concurrent identical
        idempotent creates make exactly one session."""
        sha = canonical_sha256(body)
        with self.lock:
            if params.idempotent and sha in self._idempotent:
                self.counters["idempotent_hits"] += 1
                return self.sessions[self._idempotent[sha]], False
            seq = self._session_seq
            session_id = f"devin-{hex_id(self.seed, sha, seq)}"
            while session_id in self.sessions:
                seq += 1
                session_id = f"devin-{hex_id(self.seed, sha, seq)}"
            self._commit(
                {
                    "op": "create",
                    "session_id": session_id,
                    "seq": seq,
                    "body_sha256": sha,
                    "seed": self.seed,
                    "failure_rate": self.failure_rate,
                    "stall_rate": self.stall_rate,
                    "nudge_success": self.nudge_success,
                    "pull_base": self.pull_base,  # a restarted simulator keeps the links it gave out
                    "body": _journaled(body),
                }
            )
            return self.sessions[session_id], True

    def find(self, session_id: str) -> SessionRecord | None:
        with self.lock:
            found = self.sessions.get(session_id)
            if found is None and not session_id.startswith("devin-"):
                found = self.sessions.get(f"devin-{session_id}")
            return found

    def terminate(self, record: SessionRecord) -> None:
        self._commit({"op": "terminate", "session_id": record.session_id})

    def add_message(self, record: SessionRecord, message: str) -> None:
        event_id = f"event-{hex_id(record.session_id, 'user', len(record.user_messages))}"
        self._commit(
            {
                "op": "message",
                "session_id": record.session_id,
                "event_id": event_id,
                "message": message,
            }
        )

    def set_tags(self, record: SessionRecord, tags: list[str]) -> None:
        self._commit({"op": "tags", "session_id": record.session_id, "tags": list(tags)})

    # -- playbooks --------------------------------------------------------------------------

    def create_playbook(self, title: str, body: str, macro: str | None) -> dict[str, Any]:
        with self.lock:
            seq = self._playbook_seq
            playbook_id = f"playbook-{hex_id(self.seed, 'playbook', seq)}"
            while playbook_id in self.playbooks:
                seq += 1
                playbook_id = f"playbook-{hex_id(self.seed, 'playbook', seq)}"
            self._commit(
                {
                    "op": "playbook_create",
                    "seq": seq,
                    "playbook_id": playbook_id,
                    "title": title,
                    "body": body,
                    "macro": macro,
                }
            )
            return playbook_response(self.playbooks[playbook_id])

    def update_playbook(self, playbook_id: str, title: str, body: str, macro: str | None) -> None:
        self._commit(
            {
                "op": "playbook_update",
                "playbook_id": playbook_id,
                "title": title,
                "body": body,
                "macro": macro,
            }
        )

    def delete_playbook(self, playbook_id: str) -> None:
        self._commit({"op": "playbook_delete", "playbook_id": playbook_id})

    # -- journal entries --------------------------------------------------------------------

    def _commit(self, entry: dict[str, Any]) -> None:
        with self.lock:
            entry = {**entry, **self.clock.stamp()}  # at: the simulator's time
            self._apply(entry)
            self._journal.append(entry)

    def _apply(self, entry: dict[str, Any]) -> None:
        """Apply one journal entry; entries that no longer make sense are ignored."""
        op, at = entry["op"], float(entry.get("at", 0.0))
        if op == "create":
            self._apply_create(entry)
        elif op in ("terminate", "message", "tags"):
            record = self.sessions.get(entry.get("session_id", ""))
            if record is None:
                return
            record.touched_at = max(record.touched_at, at)
            if op == "terminate":
                record.terminated_at = at if record.terminated_at is None else record.terminated_at
            elif op == "message":
                record.user_messages.append(
                    {"at": at, "event_id": entry["event_id"], "message": entry["message"]}
                )
            else:
                record.tags = [str(t) for t in entry.get("tags") or []]
        elif op == "playbook_create":
            self._playbook_seq = max(self._playbook_seq, int(entry.get("seq", 0)) + 1)
            self.playbooks[entry["playbook_id"]] = {
                "playbook_id": entry["playbook_id"],
                "title": entry["title"],
                "body": entry["body"],
                "macro": entry.get("macro"),
                "created_at": at,
                "updated_at": at,
            }
        elif op == "playbook_update" and entry.get("playbook_id") in self.playbooks:
            self.playbooks[entry["playbook_id"]].update(
                title=entry["title"], body=entry["body"], macro=entry.get("macro"), updated_at=at
            )
        elif op == "playbook_delete":
            self.playbooks.pop(entry.get("playbook_id", ""), None)

    def _apply_create(self, entry: dict[str, Any]) -> None:
        try:
            params = CreateSessionParams.model_validate(entry["body"])
        except (KeyError, ValueError):
            return
        sha = entry["body_sha256"]
        seed = int(entry.get("seed", self.seed))
        failure_rate = float(entry.get("failure_rate", self.failure_rate))
        pull_base = str(entry.get("pull_base") or self.pull_base)
        # The plan follows the finding and the attempt (read from the prompt's data block), not
        # the whole request: tags name the run, and the prompt's wording (a playbook) may change,
        # yet the same findings with the same seed should play out the same way in every run.
        task = read_task(params.prompt)
        key = task_key(task, params.prompt)
        plan = build_plan(
            plan_rng(seed, key),
            params.prompt,
            failure_rate,
            finding=finding_rng(seed, task.identity() if task.from_data_block else sha),
            acu_limit=params.max_acu_limit,
            pull_base=pull_base,
        )
        if has_feedback(params.prompt):
            plan = apply_feedback(plan, seed, key, failure_rate)
        plan = self._unique_pull_number(plan)
        stall = draw_stall(
            plan,
            seed,
            key,
            float(entry.get("stall_rate", 0.0)),
            float(entry.get("nudge_success", DEFAULT_NUDGE_SUCCESS)),
        )
        created_at = float(entry["at"])
        record = SessionRecord(
            session_id=entry["session_id"],
            seq=int(entry["seq"]),
            created_at=created_at,
            body_sha256=sha,
            prompt_z=zlib.compress(params.prompt.encode(), 6),
            snapshot_id=params.snapshot_id,
            playbook_id=params.playbook_id,
            plan=plan,
            tags=list(params.tags or []),
            title=params.title or default_title(params.prompt),
            touched_at=created_at,
            stall=stall,
        )
        self.sessions[record.session_id] = record
        self._session_seq = max(self._session_seq, record.seq + 1)
        if params.idempotent:
            self._idempotent.setdefault(sha, record.session_id)

    def _unique_pull_number(self, plan: SessionPlan) -> SessionPlan:
        """Two sessions in one repository never share a pull request number (the next free
        one is taken, in creation order, so a replay numbers them the same way)."""
        taken = self._pull_numbers.setdefault(plan.repo, set())
        number = plan.pr_number
        while number in taken:
            number += 1
        taken.add(number)
        return plan if number == plan.pr_number else replace(plan, pr_number=number)

    # -- statistics -------------------------------------------------------------------------

    def count_request(self, route: str) -> None:
        with self.lock:
            self.counters["requests_total"] += 1
            self.routes[route] += 1

    def count(self, name: str) -> None:
        with self.lock:
            self.counters[name] += 1

    def count_fault(self, status: int) -> None:
        with self.lock:
            self.counters["faults_injected"] += 1
            self.faults_by_status[str(status)] += 1

    def stats(self, *, fault_rate: float) -> dict[str, Any]:
        now = self.now()
        with self.lock:
            by_tag: Counter[str] = Counter()
            by_status: Counter[str] = Counter()
            acu_limits: dict[str, int | None] = {}  # session id -> the max_acu_limit it was created with
            for session_id, record in self.sessions.items():
                by_tag.update(set(record.tags))
                by_status[record.state(now, self.speed).status_enum] += 1
                acu_limits[session_id] = record.plan.acu_limit
            counters = self.counters
            return {
                "create_requests": counters["create_requests"],
                "sessions_created": len(self.sessions),
                "sessions_replayed": self.replayed,
                "idempotent_hits": counters["idempotent_hits"],
                "faults_injected": counters["faults_injected"],
                "faults_by_status": dict(self.faults_by_status),
                "sessions_by_tag": dict(sorted(by_tag.items())),
                "sessions_by_status_enum": dict(sorted(by_status.items())),
                "acu_limits": dict(sorted(acu_limits.items())),
                "messages_received": counters["messages_received"],
                "sessions_terminated": counters["sessions_terminated"],
                "playbooks": len(self.playbooks),
                "requests_total": counters["requests_total"],
                "requests_by_route": dict(sorted(self.routes.items())),
                "internal_errors": counters["internal_errors"],
                "config": {
                    "seed": self.seed,
                    "speed": self.speed,
                    "failure_rate": self.failure_rate,
                    "stall_rate": self.stall_rate,
                    "nudge_success": self.nudge_success,
                    "fault_rate": fault_rate,
                },
            }

    def close(self) -> None:
        with self.lock:
            self._journal.close()
