"""Scanner locations -> repo-relative file paths.

Rules:
- `file:` prefixes go, whatever the number of slashes ("file:////src/x" is "/src/x");
  %-escapes are decoded; Windows backslashes become "/".
- A relative URI is relative to the scanned root, which is taken to be the repository root.
  A `uriBaseId` adds a prefix only when `originalUriBaseIds` resolves it to a relative
  directory; an absolute base (file:///home/runner/work/r/r/, ROOTPATH "/") or an unknown one
  (%SRCROOT%, SRCROOT) is the scanned root itself.
- An absolute path loses the first known root it starts with: the run's own absolute bases
  and working directory, CI workspaces (GitHub Actions, GitLab, Drone, Bitbucket) and "/src/",
  where the dependency-check and Semgrep container images mount the repository. An absolute
  path under no known root keeps its full path without the leading "/" (it still names the
  file; we cannot tell which part is the repository).
- A location that is not a path at all (a container image "alpine:3.7 (alpine 3.7.1)", an
  http URL) gives no file path; callers show it as text instead.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from urllib.parse import unquote

_FILE_SCHEME = re.compile(r"^file:/*", re.IGNORECASE)
_OTHER_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]+://", re.IGNORECASE)
_DRIVE = re.compile(r"^/?([a-z]):/", re.IGNORECASE)
_IMAGE_WITH_OS = re.compile(r"^\S+ \([^()]*\)$")  # "knqyf263/vuln-image (alpine 3.7.1)"
_CI_ROOTS = re.compile(
    r"^/(?:github/workspace/|home/runner/work/[^/]+/[^/]+/|builds/[^/]+/[^/]+/|drone/src/"
    r"|opt/atlassian/pipelines/agent/build/|src/)"
)


def is_not_a_path(uri: str) -> bool:
    """A container image with its OS in parentheses, or a URL other than file:."""
    return bool(_IMAGE_WITH_OS.match(uri) or (_OTHER_SCHEME.match(uri) and not _FILE_SCHEME.match(uri)))


def _strip_scheme(uri: str) -> tuple[str, bool]:
    """The path part of a URI and whether it is absolute."""
    if "%" in uri:
        uri = unquote(uri)
    if "\\" in uri:
        uri = uri.replace("\\", "/")
    if uri[:5].lower() == "file:":
        rest = _FILE_SCHEME.sub("", uri)
        uri = "/" + rest
    drive = _DRIVE.match(uri)
    if drive:
        return f"{drive.group(1).upper()}:/{uri[drive.end() :]}", True
    return uri, uri.startswith("/")


def _tidy(path: str) -> str | None:
    path = posixpath.normpath(path) if ("/." in path or "//" in path or path.startswith(".")) else path
    path = path.lstrip("/")
    if path in ("", "."):
        return None
    return path


class PathResolver:
    """Resolves one run's URIs; remembers every answer because results repeat files.

    `bases` is SARIF `originalUriBaseIds`; chained bases are followed
    ({"SRC": {"uri": "src/", "uriBaseId": "REPO"}, "REPO": {"uri": "file:///r/"}} gives
    SRC the prefix "src/" and makes "/r/" a root)."""

    def __init__(self, bases: object = None, roots: Iterable[str] = ()) -> None:
        raw: dict[str, dict] = {}
        if isinstance(bases, dict):
            raw = {k: v for k, v in bases.items() if isinstance(v, dict) and isinstance(v.get("uri"), str)}
        absolute_roots: list[str] = []
        self._prefixes: dict[str, str] = {}  # uriBaseId -> relative prefix ("" = scanned root)

        def prefix(base_id: str, depth: int) -> str:
            entry = raw[base_id]
            path, absolute = _strip_scheme(entry["uri"])
            if absolute:
                absolute_roots.append(path)
                return ""
            parent = entry.get("uriBaseId")
            if isinstance(parent, str) and parent in raw and depth < 8:
                above = prefix(parent, depth + 1)
                return f"{above.rstrip('/')}/{path}" if above else path
            return path

        for base_id in raw:
            self._prefixes[base_id] = prefix(base_id, 0)
        for root in roots:
            path, absolute = _strip_scheme(root)
            if absolute:
                absolute_roots.append(path)
        # Longest first, so a nested root wins over its parent; "/" alone strips nothing useful.
        self._roots = sorted(
            {r.rstrip("/") + "/" for r in absolute_roots if r.strip("/")}, key=len, reverse=True
        )
        self._cache: dict[tuple[str, str | None], str | None] = {}

    def resolve(self, uri: str | None, base_id: str | None = None) -> str | None:
        """The repo-relative path of `uri`, or None when it is missing or not a path."""
        if not uri or not isinstance(uri, str):
            return None
        key = (uri, base_id)
        try:
            return self._cache[key]
        except KeyError:
            pass
        found = self._resolve(uri, base_id)
        self._cache[key] = found
        return found

    def _resolve(self, uri: str, base_id: str | None) -> str | None:
        if is_not_a_path(uri):
            return None
        path, absolute = _strip_scheme(uri)
        if absolute:
            return self._relative(path)
        prefix = self._prefixes.get(base_id, "") if base_id else ""
        if prefix:
            path = prefix.rstrip("/") + "/" + path
        return _tidy(path)

    def _relative(self, path: str) -> str | None:
        for root in self._roots:
            if path.startswith(root):
                return _tidy(path[len(root) :])
        match = _CI_ROOTS.match(path)
        if match:
            return _tidy(path[match.end() :])
        return _tidy(path)


def plain_path(raw: object) -> str | None:
    """A path a non-SARIF format gives as text ("project-a\\pom.xml", "/juice-shop/package.json")."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    return PathResolver().resolve(raw.strip())


def image_name(target: str) -> str:
    """'gcr.io/x/redis:v2 (debian 10.4)' -> 'gcr.io/x/redis': an image's identity without its
    tag, digest or OS release, so an upgraded image keeps its findings' identity."""
    name = target.split(" (", 1)[0].strip()
    name = name.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name = name[:colon]
    return name
