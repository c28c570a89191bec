"""The simulated Devin API as a real HTTP server on loopback."""

from __future__ import annotations

import contextlib
import json
import math
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from engine.simulator.api import Api, Request, Response, error
from engine.simulator.state import Store
from engine.simulator.supervision import DEFAULT_NUDGE_SUCCESS


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API behind a load balancer
    server_version = "DevinSim/1.0"
    timeout = 60  # idle keep-alive connections are closed after this many seconds
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle + delayed ACK add ~40 ms.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._send(error(400, "Invalid Content-Length"))
            return
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=url.path,
            query=parse_qs(url.query, keep_blank_values=True),
            headers=self.headers,  # type: ignore[arg-type]  # email.message.Message
            body=body,
        )
        try:
            response = self.server.api.handle(request)
        except Exception:  # a simulator bug must not kill the connection silently
            self.server.api.store.count("internal_errors")
            response = error(500, "Internal Server Error")
        self._send(response)

    def _send(self, response: Response) -> None:
        data = response.raw if response.raw is not None else json.dumps(response.body).encode()
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    api: Api

    def __init__(self, address: tuple[str, int], api: Api | None, family: socket.AddressFamily) -> None:
        self.address_family = family
        self.api = api  # type: ignore[assignment]  # set right after binding, before serving
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn), which can stall.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    def track(self, conn: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def drop_connections(self) -> None:
        """Close open keep-alive connections so a stopped server answers nobody."""
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class SimulatorServer:
    """A loopback HTTP server speaking the Devin v1 REST API (see the package docstring).

    The port is bound when the server is constructed, and the journal (if any) is replayed
    then too: replayed sessions keep their ids, creation times, tags, messages and
    terminations, and keep progressing by wall time (at this server's `speed`; their plans
    use the seed, failure_rate and pull request address journaled with them, so outcomes and
    links do not change). Statistics count from zero on each start, except `sessions_created`,
    which includes replayed sessions (`sessions_replayed` says how many).

    Pull requests link to `pull_base_url` (default: this server, which serves their pages);
    with `pulls_dir`, each is also saved there when first reported (see pull_archive), so a
    page server can show it after this simulator has stopped.

    `stall_rate` of the sessions that would succeed stall before their tests, and a message
    gets one going again with probability `nudge_success` (engine.simulator.supervision).

    `rate_limit` (requests a second before speed scaling; 0: none) and `rate_burst` make /v1
    requests above that rate answer 429 with a Retry-After (engine.simulator.rate_limit).
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        speed: float = 1.0,
        failure_rate: float = 0.15,
        fault_rate: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        journal_path: Path | None = None,
        pull_base_url: str | None = None,
        pulls_dir: Path | None = None,
        stall_rate: float = 0.0,
        nudge_success: float = DEFAULT_NUDGE_SUCCESS,
        rate_limit: float = 0.0,
        rate_burst: int = 10,
    ) -> None:
        _check_limit(rate_limit, rate_burst)
        _check_args(speed=speed, failure_rate=failure_rate, fault_rate=fault_rate, port=port)
        _check_rates(stall_rate=stall_rate, nudge_success=nudge_success)
        self._host = host
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._httpd = _HTTPServer((host, port), None, family)
        try:
            self._store = Store(
                seed=seed,
                speed=float(speed),
                failure_rate=float(failure_rate),
                journal_path=Path(journal_path) if journal_path is not None else None,
                pull_base=pull_base_url or self.root_url,
                stall_rate=float(stall_rate),
                nudge_success=float(nudge_success),
            )
        except BaseException:
            self._httpd.server_close()
            raise
        self._api = Api(
            self._store,
            seed=seed,
            fault_rate=float(fault_rate),
            archive_dir=pulls_dir,
            root_url=self.root_url,
            rate_limit=float(rate_limit) * float(speed),
            rate_burst=rate_burst,
        )
        self._httpd.api = self._api
        self._thread: threading.Thread | None = None
        self._serving = False
        self._stopped = False
        self._lifecycle_lock = threading.Lock()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def root_url(self) -> str:
        """scheme://host:port of this server (its Git-host API and pull request pages)."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    def stats(self) -> dict[str, Any]:
        """The same JSON as GET /_sim/stats."""
        return self._api.stats()

    def outage(self, seconds: float) -> float:
        """The same as POST /_sim/outage: every /v1 request answers 503 for `seconds`. Returns
        when the outage ends (epoch seconds, on the simulator's clock)."""
        return self._api.start_outage(seconds)

    def start(self) -> SimulatorServer:
        """Serve in a daemon thread and return self."""
        with self._lifecycle_lock:
            self._claim()
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"devin-sim-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until stop() is called from another thread."""
        with self._lifecycle_lock:
            self._claim()
        self._httpd.serve_forever(poll_interval=0.1)

    def _claim(self) -> None:
        if self._stopped:
            raise RuntimeError("SimulatorServer was stopped; create a new one")
        if self._serving:
            raise RuntimeError("SimulatorServer is already serving")
        self._serving = True

    def stop(self) -> None:
        """Stop serving, close open connections and the journal. Safe to call twice."""
        with self._lifecycle_lock:
            if self._stopped:
                return
            self._stopped = True
            serving = self._serving
        if serving:
            self._httpd.shutdown()
        self._httpd.drop_connections()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._store.close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _check_args(*, speed: float, failure_rate: float, fault_rate: float, port: int) -> None:
    if not isinstance(speed, int | float) or not math.isfinite(speed) or speed <= 0:
        raise ValueError(f"speed must be a finite number > 0, got {speed!r}")
    for name, rate in (("failure_rate", failure_rate), ("fault_rate", fault_rate)):
        if not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise ValueError(f"{name} must be between 0 and 1 inclusive, got {rate!r}")
    if not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port must be between 0 and 65535 (0 picks a free port), got {port!r}")


def _check_rates(**rates: float) -> None:
    for name, rate in rates.items():
        if not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise ValueError(f"{name} must be between 0 and 1 inclusive, got {rate!r}")


def _check_limit(rate_limit: float, rate_burst: int) -> None:
    if not isinstance(rate_limit, int | float) or isinstance(rate_limit, bool) or not rate_limit >= 0:
        raise ValueError(f"rate_limit must be 0 (no limit) or more requests a second, got {rate_limit!r}")
    if not isinstance(rate_burst, int) or isinstance(rate_burst, bool) or rate_burst < 1:
        raise ValueError(f"rate_burst must be a whole number of at least 1, got {rate_burst!r}")
