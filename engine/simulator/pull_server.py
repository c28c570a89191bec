"""The pull request page server: serves the simulated pull requests saved in run folders, at a
stable loopback address, so their links keep working after the run's engine (and the simulator
inside it) has exited, and after an app restart.

The app starts one in its own process (ui/pull_pages.py); `python -m engine pull-pages` serves
the same for someone using only the command line. Both bind settings.sim_pull_pages_url; a
second one finds the port taken and leaves the first in charge. Read-only: it never writes.

Routes: `GET /{owner}/{repo}/pull/{n}` (the page), `.diff`, `.json`; `GET
/repos/{owner}/{repo}/pulls/{n}` (GitHub's shape, state open); `GET /_pull_pages/health`."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from engine.simulator.pull_archive import find_pull
from engine.simulator.pull_pages import github_shape, pull_page_response
from engine.simulator.pulls import PAGE_PATH, PULL_PATH
from engine.simulator.wire import Response, error

log = logging.getLogger(__name__)
HEALTH_PATH = "/_pull_pages/health"


def loopback_address(url: str) -> tuple[str, int]:
    """(host, port) of a loopback http URL; ValueError for anything else (the pages show code
    and must not be served to the network)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "http" or parts.port is None:
        raise ValueError(f"the pull request page address must be http://<loopback host>:<port>, not {url!r}")
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise ValueError(f"the pull request page address {url!r} is not a loopback address")
    return host, parts.port


class PullPages:
    """What the server answers, free of HTTP plumbing."""

    def __init__(self, runs_dir: Path, root_url: str) -> None:
        self.runs_dir = Path(runs_dir)
        self.root_url = root_url

    def handle(self, method: str, path: str, accept: str = "") -> Response:
        path = path.rstrip("/") or "/"
        if method != "GET":
            return error(405, "Method Not Allowed", {"Allow": "GET"})
        if path == HEALTH_PATH:
            return Response(200, {"status": "ok", "runs_dir": str(self.runs_dir)})
        if (api := PULL_PATH.fullmatch(path)) is not None:
            pull = find_pull(self.runs_dir, f"/{api['owner']}/{api['repo']}/pull/{int(api['number'])}")
            if pull is None:
                return error(404, "Not Found")
            if "diff" in accept:
                return pull_page_response(pull, "open", ".diff")
            return Response(200, github_shape(pull, "open", None, self.root_url))
        if (page := PAGE_PATH.fullmatch(path)) is not None:
            pull = find_pull(self.runs_dir, f"/{page['owner']}/{page['repo']}/pull/{int(page['number'])}")
            if pull is None:
                return error(404, "No simulated pull request at this address in this runs folder")
            return pull_page_response(pull, "open", page["ext"])
        return error(404, "Not Found")


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "PatchwavePullPages/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._answer("GET")

    def do_HEAD(self) -> None:
        self._answer("HEAD")

    def do_POST(self) -> None:
        self._answer("POST")

    def _answer(self, method: str) -> None:
        try:
            response = self.server.pages.handle(
                "GET" if method == "HEAD" else method,
                urlsplit(self.path).path,
                self.headers.get("Accept") or "",
            )
        except Exception:
            log.exception("pull request page %s failed", self.path)
            response = error(500, "Internal Server Error")
        data = response.raw if response.raw is not None else json.dumps(response.body).encode()
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False  # a second server must find the port taken, not share it
    pages: PullPages

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # no reverse DNS lookup (HTTPServer's getfqdn)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]


class _Server6(_Server):
    address_family = socket.AF_INET6


class PullPageServer:
    """Serves `runs_dir`'s saved pull requests at `url` (a loopback address) in a daemon
    thread. Raises OSError when the port is taken, ValueError for a non-loopback address."""

    def __init__(self, runs_dir: Path, url: str) -> None:
        host, port = loopback_address(url)
        server_class = _Server6 if ":" in host else _Server
        self._httpd = server_class((host, port), _Handler)
        bound = f"[{host}]" if ":" in host else host
        self.url = f"http://{bound}:{self._httpd.server_address[1]}"
        self._httpd.pages = PullPages(runs_dir, self.url)
        self._thread: threading.Thread | None = None

    def start(self) -> PullPageServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.2}, name="pull-pages", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def start_pull_pages(runs_dir: Path, url: str) -> PullPageServer | None:
    """A running page server for `runs_dir` at `url`, or None when something already listens
    there (another app process, `python -m engine pull-pages`) or the address is not usable."""
    try:
        return PullPageServer(runs_dir, url).start()
    except ValueError as exc:
        log.warning("simulated pull request pages not served: %s", exc)
    except OSError as exc:
        log.info("simulated pull request pages not served here (%s is in use: %s)", url, exc)
    return None
