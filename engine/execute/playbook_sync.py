"""Make the API's team playbooks match `playbooks/`, so sessions can name them by id.

The prompt always carries the playbook text too, so a key without permission to manage
playbooks still gets a working run; the sync failure is logged and the ids stay empty."""

from __future__ import annotations

import logging

from engine.devin.client import DevinAPIError, DevinClient
from engine.devin.playbooks import load_all_playbooks

log = logging.getLogger(__name__)

TITLE_PREFIX = "Patchwave: "


def sync_playbooks(client: DevinClient) -> dict[str, str]:
    """playbook name -> playbook_id on the API."""
    ids: dict[str, str] = {}
    try:
        remote = {p.title: p for p in client.list_playbooks()}
        for name, playbook in sorted(load_all_playbooks().items()):
            title = TITLE_PREFIX + playbook.title
            existing = remote.get(title)
            if existing is None:
                ids[name] = client.create_playbook(title, playbook.body).playbook_id
            else:
                if existing.body != playbook.body:
                    client.update_playbook(existing.playbook_id, title, playbook.body)
                ids[name] = existing.playbook_id
    except DevinAPIError as exc:
        log.warning("playbooks not synced (%s); the prompts still carry them in full", exc)
        return {}
    return ids
