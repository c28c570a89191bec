"""What `python -m engine worker` does, apart from parsing its flags."""

from __future__ import annotations

import logging
import os
import re

import click
from redis.exceptions import RedisError

from engine.core.errors import BadInputError
from engine.runs.fence import QUEUE_URL_ENV
from engine.settings.environment import Settings

QUEUE_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
NODE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def worker_command(settings: Settings, name: str | None, queues: list[str], max_runs: int) -> None:
    url = settings.queue_url
    if url is None:
        raise BadInputError("a worker needs the run queue: set RUN_QUEUE_URL=redis://host:6379/0")
    for queue in queues:
        if not QUEUE_NAME.fullmatch(queue):
            raise BadInputError(f"invalid queue name {queue!r}: use 1-64 letters, digits, '.', '_' or '-'")
    if name is not None and not NODE_NAME.fullmatch(name):
        raise BadInputError(f"invalid node name {name!r}: use 1-64 letters, digits, '.', '_' or '-'")
    runs_dir = settings.runs_dir.expanduser().resolve()
    if not runs_dir.is_dir():
        raise BadInputError(
            f"runs folder {runs_dir} does not exist: mount the shared runs folder there, or set RUNS_DIR"
        )
    # Each job reads its settings afresh in its own process: the runs folder and the queue's
    # URL from here reach it through the environment, as they reach the engine it starts.
    os.environ["RUNS_DIR"] = str(runs_dir)
    os.environ[QUEUE_URL_ENV] = url
    from engine.fleet.worker import serve

    # A node says what it does: RQ's lines (jobs taken, finished, re-queued) and the jobs' own.
    root = logging.getLogger()
    root.setLevel(min(root.level, logging.INFO))
    for handler in root.handlers:
        handler.setLevel(min(handler.level, logging.INFO))

    served = queues or [settings.run_queue_name]
    click.echo(
        f"node {name or 'on this host'}: {max_runs} worker(s) on queue(s) {', '.join(served)}, "
        f"runs folder {runs_dir}",
        err=True,
    )
    try:
        serve(url, name, served, max_runs)
    except RedisError as exc:
        raise BadInputError(f"the run queue at RUN_QUEUE_URL does not answer: {exc}") from exc
