"""Serving metrics over HTTP: `/metrics` (and `/`) in Prometheus' text format, `/healthz`.

prometheus_client's MetricsHandler writes the exposition (content negotiation, gzip); this
adds `/healthz` and a 404 for any other path, on a threading HTTP server bound to loopback
unless told otherwise."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from prometheus_client.core import Metric
from prometheus_client.exposition import MetricsHandler
from prometheus_client.registry import Collector, CollectorRegistry

LOOPBACK = "127.0.0.1"


class FunctionCollector(Collector):
    """A collector whose families come from a function, called at every scrape."""

    def __init__(self, families: Callable[[], Iterable[Metric]]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return list(self._families())


class _Handler(MetricsHandler):
    health: Callable[[], dict[str, Any]] = staticmethod(lambda: {"status": "ok"})  # type: ignore[assignment]

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/healthz":
            self._send(200, json.dumps(self.health()).encode(), "application/json")
        elif path in ("/metrics", "/"):
            super().do_GET()
        else:
            self._send(404, b"not found: try /metrics or /healthz\n", "text/plain; charset=utf-8")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up (getfqdn), which can stall.
        import socketserver

        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]


class MetricsServer:
    """Serves `families` (called at each scrape) until stop(). The port is bound on creation
    (0: a free one; see `port`)."""

    def __init__(
        self,
        families: Callable[[], Iterable[Metric]],
        *,
        port: int = 0,
        host: str = LOOPBACK,
        health: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(FunctionCollector(families))
        attrs: dict[str, Any] = {"registry": self.registry}
        if health is not None:
            attrs["health"] = staticmethod(health)
        handler = type("PatchwaveMetricsHandler", (_Handler,), attrs)
        self._httpd = _Server((host, port), handler)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self._httpd.server_address[0]}:{self.port}/metrics"

    def start(self) -> MetricsServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.2}, name="metrics", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()

    def __enter__(self) -> MetricsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
