"""Playbooks: one Markdown file per finding category, sent to each agent session as its procedure.

The files live in `<repo>/playbooks/<name>.devin.md`, named after the category (the CWE Top 25
categories each have their own). Several categories share the `generic` playbook (xss,
path_traversal, other). Files are read once per process: reads are cached on the
resolved path, so edits to a playbook need a new process (or `_read_playbook.cache_clear()`).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from engine.core.models import FindingCategory

# The checkout's playbooks/ beside the engine package, wherever this module sits inside it.
PLAYBOOKS_DIR: Path = Path(str(files("engine"))).resolve().parent / "playbooks"
PLAYBOOK_SUFFIX = ".devin.md"
GENERIC_PLAYBOOK = "generic"

# Categories whose playbook is not named after the category itself.
_NAME_OVERRIDES: dict[FindingCategory, str] = {
    FindingCategory.hardcoded_secret: "hardcoded_secrets",
    FindingCategory.xss: GENERIC_PLAYBOOK,
    FindingCategory.path_traversal: GENERIC_PLAYBOOK,
    FindingCategory.other: GENERIC_PLAYBOOK,
}


class Playbook(BaseModel):
    """One playbook file. Frozen, because loaded playbooks are shared through the cache."""

    model_config = ConfigDict(frozen=True)

    name: str  # file stem without .devin.md, e.g. "sql_injection"
    title: str  # text of the first "# " line
    body: str  # whole file text


def playbook_name_for(category: FindingCategory) -> str:
    """The playbook name for a category, e.g. hardcoded_secret -> "hardcoded_secrets"."""
    category = FindingCategory(category)
    return _NAME_OVERRIDES.get(category, category.value)


def _playbook_path(name: str, directory: Path | None) -> Path:
    return (directory if directory is not None else PLAYBOOKS_DIR) / f"{name}{PLAYBOOK_SUFFIX}"


def _name_from_path(path: Path) -> str:
    return path.name.removesuffix(PLAYBOOK_SUFFIX)


def _title_from_text(text: str, path: Path) -> str:
    for line in text.splitlines():
        if line.startswith("# "):
            title = line[2:].strip()
            if title:
                return title
    raise ValueError(f"playbook {path} has no '# <Title>' line")


@cache
def _read_playbook(path: Path) -> Playbook:
    """Read and parse one playbook file; cached per resolved path (failures are not cached)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"playbook file not found: {path}") from exc
    return Playbook(name=_name_from_path(path), title=_title_from_text(text, path), body=text)


def load_playbook(category: FindingCategory, directory: Path | None = None) -> Playbook:
    """The playbook for a finding category. Raises FileNotFoundError naming the missing file."""
    path = _playbook_path(playbook_name_for(category), directory)
    return _read_playbook(path.resolve())


def load_all_playbooks(directory: Path | None = None) -> dict[str, Playbook]:
    """Every `*.devin.md` file in the directory, keyed by playbook name (sorted)."""
    root = (directory if directory is not None else PLAYBOOKS_DIR).resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"playbooks directory not found: {root}")
    paths = sorted(root.glob(f"*{PLAYBOOK_SUFFIX}"))
    return {_name_from_path(path): _read_playbook(path) for path in paths}
