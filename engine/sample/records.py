"""Row types of the sample data tables: services, code templates and vulnerable dependencies."""

from __future__ import annotations

from typing import NamedTuple


class Service(NamedTuple):
    name: str
    language: str
    package: str  # Java package segment under com.acme
    entities: tuple[str, ...]  # PascalCase domain nouns used in file and method names

    @property
    def repo_url(self) -> str:
        return f"https://github.com/acme-corp/{self.name}"


class Tpl(NamedTuple):
    title: str
    description: str
    path: str
    cwe: str
    max_line: int = 520


class Dep(NamedTuple):
    name: str
    current: str
    fixed: str
    cve: str
    cwe: str
    severity: str
    short: str
    summary: str
