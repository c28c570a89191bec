"""`python -m engine memory list|retire`: the memory from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from engine.access.audit import read_audit
from engine.memory import FileMemoryStore
from engine.memory.learn import pull_request_reviewed
from tests.engine_helpers import cli
from tests.test_memory import T0, facts


def test_list_and_retire(tmp_path: Path) -> None:
    store = FileMemoryStore(tmp_path)
    (item,) = store.update(
        "simulated", lambda book: pull_request_reviewed(book, facts(), "approved", "rita@acme.com", None, T0)
    )
    listed = cli(tmp_path, "memory", "list", "--data-source", "simulated")
    assert listed.returncode == 0, listed.stderr
    assert item.item_id in listed.stdout and "payment-service" in listed.stdout and "0.60" in listed.stdout
    as_json = json.loads(cli(tmp_path, "memory", "list", "--data-source", "simulated", "--json").stdout)
    assert as_json[0]["provenance"][0]["reviewer"] == "rita@acme.com"

    unknown = cli(tmp_path, "memory", "retire", "nope", "--reason", "x", "--data-source", "simulated")
    assert unknown.returncode == 2 and "does not exist" in unknown.stderr
    done = cli(
        tmp_path, "memory", "retire", item.item_id, "--reason", "outdated", "--data-source", "simulated"
    )
    assert done.returncode == 0, done.stderr
    assert store.read("simulated").items[item.item_id].retired is not None
    (entry,) = read_audit(tmp_path)
    assert entry.action == "curate_memory" and entry.details["reason"] == "outdated"
