"""The worker fleet's test pieces: a throwaway Redis, nodes of workers as process groups, and
what a test needs to see inside Redis. Nothing here stands in for our own code: the nodes are
`python -m engine worker` processes and the launches go through the launchers."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
from redis import Redis

from tests.engine_helpers import REPO, engine_env

REDIS_SERVER = shutil.which("redis-server")
# In CI (scripts/test.sh installs redis-server) these tests must run: there a missing server
# fails them (the `redis_server` fixture says why) instead of skipping them.
IN_CI = bool(os.environ.get("CI"))
needs_redis = pytest.mark.skipif(
    REDIS_SERVER is None and not IN_CI,
    reason="redis-server is not installed: the worker fleet's tests need Debian's redis-server "
    "(apt-get install redis-server; scripts/test.sh installs it)",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RedisServer:
    """A redis-server of our own on a free loopback port, its append-only file in `folder`."""

    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self.folder.mkdir(parents=True, exist_ok=True)
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                "--protected-mode",
                "yes",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                if self.client().ping():
                    return
            except Exception:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
            time.sleep(0.05)

    def stop(self) -> None:
        """A clean stop (SIGTERM): Redis finishes its append-only file and exits."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def client(self) -> Redis:
        return Redis.from_url(self.url, socket_timeout=5)


@contextlib.contextmanager
def redis_server_in(folder: Path) -> Iterator[RedisServer]:
    server = RedisServer(folder)
    server.start()
    try:
        yield server
    finally:
        if server.process is not None:
            server.process.kill()
            server.process.wait(timeout=10)


def fleet_env(runs: Path, url: str, **extra: str) -> dict[str, str]:
    return engine_env(runs, RUN_QUEUE_URL=url, **extra)


@dataclass
class Node:
    """`python -m engine worker` as one node: its own process group, and its own host name (so
    its engines take their own per-host lock, as on a machine of their own)."""

    name: str
    runs: Path
    url: str
    max_runs: int
    queues: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    def start(self) -> Node:
        args = [
            sys.executable,
            "-m",
            "engine",
            "worker",
            "--name",
            self.name,
            "--max-runs",
            str(self.max_runs),
        ]
        for queue in self.queues:
            args += ["--queue", queue]
        self.runs.mkdir(parents=True, exist_ok=True)  # the shared folder every node mounts
        env = fleet_env(self.runs, self.url, PATCHWAVE_HOST_NAME=f"host-{self.name}", **self.env)
        log = (self.runs.parent / f"node-{self.name}.log").open("ab")
        self.process = subprocess.Popen(
            args,
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        return self

    @property
    def log_text(self) -> str:
        return (self.runs.parent / f"node-{self.name}.log").read_text(errors="replace")

    def processes(self) -> list[psutil.Process]:
        """Every process of the node: its pool, workers, their job processes and the engines
        those started (each job and engine in a process group of its own)."""
        if self.process is None:
            return []
        try:
            root = psutil.Process(self.process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def signal_all(self, sig: int) -> list[int]:
        pids = []
        for proc in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.send_signal(sig)
                pids.append(proc.pid)
        return pids

    def kill(self) -> list[int]:
        """SIGKILL for the whole node, as when its machine dies: first every process is frozen,
        so none can start another in between, then all are killed."""
        self.signal_all(signal.SIGSTOP)
        victims = self.processes()
        for group in {os.getpgid(p.pid) for p in victims if _alive(p)}:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
        for proc in victims:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        psutil.wait_procs(victims, timeout=15)
        if self.process is not None:
            self.process.wait(timeout=15)
        return [p.pid for p in victims]

    def stop(self, timeout: float = 30) -> None:
        """A warm shutdown (SIGTERM), as `docker stop` asks: each worker hands its run off and
        registers its end; whatever is left after `timeout` is killed."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def engines(self) -> list[psutil.Process]:
        return [p for p in self.processes() if _alive(p) and "execute" in _cmdline(p)]

    def worker_names(self, redis: Redis) -> list[str]:
        prefix = f"rq:worker:{self.name}."
        return [
            k.decode().removeprefix("rq:worker:")
            for k in redis.keys(f"{prefix}*")
            if b":" not in k[len(prefix) :]
        ]

    def wait_ready(self, redis: Redis, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.worker_names(redis)) < self.max_runs:
            assert self.process is not None and self.process.poll() is None, self.log_text[-3000:]
            assert time.monotonic() < deadline, (
                f"node {self.name} has no {self.max_runs} workers: {self.log_text[-3000:]}"
            )
            time.sleep(0.2)


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _cmdline(proc: psutil.Process) -> list[str]:
    try:
        return proc.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return []


@contextlib.contextmanager
def running(*nodes: Node, graceful: bool = True) -> Iterator[tuple[Node, ...]]:
    """Starts the nodes; at the end each is stopped (warmly, unless not `graceful`) and
    whatever is left of it killed."""
    try:
        for node in nodes:
            node.start()
        yield nodes
    finally:
        for node in nodes:
            node.signal_all(signal.SIGCONT)
            if graceful:
                node.stop()
            node.kill()
