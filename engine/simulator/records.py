"""Stored sessions and playbooks, and their v1 JSON shapes."""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from engine.simulator.lifecycle import SessionPlan, Snapshot, snapshot
from engine.simulator.supervision import StallPlan, stalled_snapshot

REQUESTING_USER_EMAIL = "sim-user@patchwave.dev"
SIM_USER_ID = "user-sim"
SIM_USER_NAME = "Simulated User"
ORG_ID = "org-sim"


def iso(ts: float) -> str:
    """ISO-8601 with microseconds and an explicit +00:00, as the v1 API writes timestamps."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds")


def hex_id(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]


@dataclass
class SessionRecord:
    """One session as the store keeps it: what its responses need, nothing of the create
    request beyond that. The prompt is kept compressed (a few kB each, thousands of sessions)
    and read back only for a session's detail; the request's output schema is not kept."""

    session_id: str
    seq: int
    created_at: float  # the simulator's clock (engine.simulator.clock), epoch seconds
    body_sha256: str
    prompt_z: bytes  # zlib of the prompt's UTF-8
    snapshot_id: str | None
    playbook_id: str | None
    plan: SessionPlan
    tags: list[str]
    title: str
    user_messages: list[dict[str, Any]] = field(default_factory=list)
    terminated_at: float | None = None
    touched_at: float = 0.0  # latest change made by a request (tags, message, terminate)
    stall: StallPlan | None = None  # where it stalls, if it does (engine.simulator.supervision)

    @property
    def prompt(self) -> str:
        return zlib.decompress(self.prompt_z).decode()

    def state(self, now: float, speed: float) -> Snapshot:
        until = now if self.terminated_at is None else min(now, self.terminated_at)
        elapsed = max(0.0, until - self.created_at) * speed
        if self.stall is None:
            snap = snapshot(self.plan, elapsed)
        else:
            replies = [(m["at"] - self.created_at) * speed for m in self.user_messages]
            snap = stalled_snapshot(self.plan, self.stall, elapsed, replies)
        if self.terminated_at is not None and self.terminated_at <= now and not snap.exited:
            # What clients see after DELETE: "exit", with the legacy status_enum `stopped`.
            snap = replace(snap, status="exit", status_enum="stopped", status_detail=None, exited=True)
        return snap

    def _wall(self, offset: float, speed: float) -> float:
        return self.created_at + offset / speed

    def _common(self, snap: Snapshot, speed: float) -> dict[str, Any]:
        updated = max(self.created_at, self._wall(snap.last_change, speed), self.touched_at)
        return {
            "session_id": self.session_id,
            "status": snap.status,
            "status_enum": snap.status_enum,
            "created_at": iso(self.created_at),
            "updated_at": iso(updated),
            "title": self.title,
            "snapshot_id": self.snapshot_id,
            "playbook_id": self.playbook_id,
            "tags": list(self.tags),
            "pull_request": snap.pull_request,
            "structured_output": snap.structured_output,
            # Not in the v1 schema: v2 and v3 report it (the engine reads it when present).
            "acus_consumed": snap.acus_consumed,
            # v3's reason while suspended (usage_limit_exceeded when the ACU limit stopped it).
            "status_detail": snap.status_detail,
        }

    def detail(self, now: float, speed: float) -> dict[str, Any]:
        snap = self.state(now, speed)
        out = self._common(snap, speed)
        out["messages"] = self._messages(snap, speed)
        return out

    def summary(self, now: float, speed: float, snap: Snapshot | None = None) -> dict[str, Any]:
        """List shape: no messages, plus requesting_user_email, and structured_output as a
        JSON string (the legacy list schema typed it as a string; clients must parse it)."""
        out = self._common(snap or self.state(now, speed), speed)
        if out["structured_output"] is not None:
            out["structured_output"] = json.dumps(out["structured_output"])
        out["requesting_user_email"] = REQUESTING_USER_EMAIL
        return out

    def _messages(self, snap: Snapshot, speed: float) -> list[dict[str, Any]]:
        timeline: list[tuple[float, int, dict[str, Any]]] = [
            (
                self.created_at,
                0,
                {
                    "type": "initial_user_message",
                    "event_id": f"event-{hex_id(self.session_id, 'initial')}",
                    "message": self.prompt,
                    "timestamp": iso(self.created_at),
                    "username": SIM_USER_NAME,
                    "origin": "api",
                    "user_id": SIM_USER_ID,
                },
            )
        ]
        for index, (offset, text) in enumerate(snap.devin_messages):
            ts = self._wall(offset, speed)
            if self.terminated_at is not None and ts > self.terminated_at:
                continue
            timeline.append(
                (
                    ts,
                    1,
                    {
                        "type": "devin_message",
                        "event_id": f"event-{hex_id(self.session_id, 'devin', index)}",
                        "message": text,
                        "timestamp": iso(ts),
                        "username": "Devin",
                        "origin": None,
                        "user_id": None,
                    },
                )
            )
        for msg in self.user_messages:
            timeline.append(
                (
                    msg["at"],
                    2,
                    {
                        "type": "user_message",
                        "event_id": msg["event_id"],
                        "message": msg["message"],
                        "timestamp": iso(msg["at"]),
                        "username": SIM_USER_NAME,
                        "origin": "api",
                        "user_id": SIM_USER_ID,
                    },
                )
            )
        timeline.sort(key=lambda item: (item[0], item[1]))
        return [entry for _, _, entry in timeline]


def playbook_response(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "playbook_id": record["playbook_id"],
        "title": record["title"],
        "body": record["body"],
        "status": "published",
        "access_type": "team",
        "org_id": ORG_ID,
        "created_at": iso(record["created_at"]),
        "updated_at": iso(record["updated_at"]),
        "created_by_user_id": SIM_USER_ID,
        "created_by_user_name": SIM_USER_NAME,
        "updated_by_user_id": SIM_USER_ID,
        "updated_by_user_name": SIM_USER_NAME,
        "macro": record.get("macro"),
    }
