"""The service catalog: how much each service matters, read from `services.toml`. It is the
only place service importance is configured; the priority score (priority.py) reads it.

    default_importance = 50          # optional; services the file does not list

    [services.payment-service]
    importance = "critical"          # critical/high/medium/low, or a number 0-100
    tags = ["pci", "tier-1"]
    max_sessions_per_run = 5         # optional; overrides the policy's per_service_cap

    [services.payment-service.agent]  # optional: what its agent sessions are told
    instructions = "Use lib/crypto; add no new dependency."
    do_not_touch = ["migrations/"]
    test_command = "make test-payments"
    reviewers = ["@acme/payments-team"]

Words map to numbers: critical 100, high 75, medium 50, low 25. A service the catalog does
not name gets `default_importance`, else 50 (`DEFAULT_IMPORTANCE`). Service names compare case-insensitively
(and ignoring surrounding spaces) because scanner exports vary in case; two entries that
differ only in case are an error. `max_sessions_per_run = 0` is allowed: only critical
findings of that service are planned (they may exceed a service cap, see plan.py).

A missing file is an empty catalog. Saving rewrites the whole file (comments are not kept):
importance is written as its word when it equals one exactly, else as the number.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from engine.core.agent_overrides import AgentOverrides
from engine.core.errors import BadInputError
from engine.policy.service_agent import agent_document, parse_agent
from engine.policy.tomlio import Where, read_toml, reject_unknown, shown, table, text, whole, write_toml

IMPORTANCE_WORDS: dict[str, int] = {"critical": 100, "high": 75, "medium": 50, "low": 25}
DEFAULT_IMPORTANCE = 50
PROFILE_KEYS = ("importance", "tags", "max_sessions_per_run", "agent")
HEADER = "# Patchwave service catalog: importance 0-100 or critical/high/medium/low.\n"


def service_key(name: str) -> str:
    """The catalog's lookup key for a service name (case- and padding-insensitive)."""
    return name.strip().lower()


class ServiceProfile(BaseModel):
    """One service's entry in the catalog."""

    model_config = ConfigDict(frozen=True)

    name: str
    importance: int = Field(default=DEFAULT_IMPORTANCE, ge=0, le=100)
    tags: list[str] = Field(default_factory=list)
    max_sessions_per_run: int | None = Field(default=None, ge=0)
    agent: AgentOverrides | None = None  # see engine.core.agent_overrides

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a service needs a name")
        return value.strip()

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        tags = [tag.strip() for tag in value]
        if any(not tag for tag in tags):
            raise ValueError("tags must be non-empty strings")
        return tags


class ServiceCatalog(BaseModel):
    """An immutable set of service profiles; the editing methods return new catalogs."""

    model_config = ConfigDict(frozen=True)

    profiles: tuple[ServiceProfile, ...] = ()
    default_importance: int | None = Field(default=None, ge=0, le=100)  # None: DEFAULT_IMPORTANCE
    _index: dict[str, ServiceProfile] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _unique(self) -> ServiceCatalog:
        index: dict[str, ServiceProfile] = {}
        for profile in self.profiles:
            key = service_key(profile.name)
            if key in index:
                raise ValueError(f"service {profile.name!r} is listed twice (names are case-insensitive)")
            index[key] = profile
        self._index = index
        return self

    def __len__(self) -> int:
        return len(self.profiles)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and service_key(name) in self._index

    @property
    def names(self) -> list[str]:
        return [profile.name for profile in self.profiles]

    def profile(self, name: str) -> ServiceProfile | None:
        """The named service's profile, or None when the catalog does not list it."""
        return self._index.get(service_key(name))

    @property
    def unlisted_importance(self) -> int:
        """The importance of a service the catalog does not list."""
        return DEFAULT_IMPORTANCE if self.default_importance is None else self.default_importance

    def importance(self, name: str) -> int:
        """0-100; `unlisted_importance` for services the catalog does not list."""
        found = self.profile(name)
        return found.importance if found else self.unlisted_importance

    def with_profile(self, profile: ServiceProfile) -> ServiceCatalog:
        """A catalog with `profile` added, or replacing the entry of the same name (any case)."""
        key = service_key(profile.name)
        kept = [p for p in self.profiles if service_key(p.name) != key]
        if len(kept) == len(self.profiles):
            return self._with_profiles((*self.profiles, profile))
        # Replace in place so the file keeps its order.
        return self._with_profiles(tuple(profile if service_key(p.name) == key else p for p in self.profiles))

    def without(self, name: str) -> ServiceCatalog:
        """A catalog without the named service; BadInputError when it is not listed."""
        if name not in self:
            raise BadInputError(f"no service {name!r} in the catalog")
        return self._with_profiles(
            tuple(p for p in self.profiles if service_key(p.name) != service_key(name))
        )

    def _with_profiles(self, profiles: tuple[ServiceProfile, ...]) -> ServiceCatalog:
        return ServiceCatalog(profiles=profiles, default_importance=self.default_importance)


def importance_value(raw: Any, where: Where) -> int:
    """A word (critical/high/medium/low, any case) or a whole number 0-100."""
    if isinstance(raw, str) and raw.strip().lower() in IMPORTANCE_WORDS:
        return IMPORTANCE_WORDS[raw.strip().lower()]
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= 100:
        raise where.error(f"expected {'/'.join(IMPORTANCE_WORDS)} or 0-100, got {shown(raw)}")
    return raw


def _profile(name: str, raw: Any, where: Where) -> ServiceProfile:
    data = table(raw, where)
    reject_unknown(data, PROFILE_KEYS, where)
    importance = (
        importance_value(data["importance"], where / "importance")
        if "importance" in data
        else DEFAULT_IMPORTANCE
    )
    tags_raw = data.get("tags", [])
    if not isinstance(tags_raw, list):
        raise (where / "tags").error(f"expected a list of strings, got {shown(tags_raw)}")
    tags = [text(tag, where / "tags" / i) for i, tag in enumerate(tags_raw)]
    cap = data.get("max_sessions_per_run")
    if cap is not None:
        cap = whole(cap, where / "max_sessions_per_run", 0)
    agent = parse_agent(data["agent"], where / "agent") if "agent" in data else None
    return ServiceProfile(name=name, importance=importance, tags=tags, max_sessions_per_run=cap, agent=agent)


def parse_services(document: dict[str, Any], path: Path) -> ServiceCatalog:
    """The catalog in a parsed services file; BadInputError names the file and key."""
    root = Where(path)
    reject_unknown(document, ("default_importance", "services"), root)
    default = document.get("default_importance")
    if default is not None:
        default = importance_value(default, root / "default_importance")
    services = table(document.get("services", {}), root / "services")
    profiles: list[ServiceProfile] = []
    seen: dict[str, str] = {}
    for name, raw in services.items():
        where = root / "services" / name
        if not name.strip():
            raise where.error("a service needs a non-empty name")
        key = service_key(name)
        if key in seen:
            raise where.error(f"same service as services.{seen[key]} (names are case-insensitive)")
        seen[key] = name
        profiles.append(_profile(name, raw, where))
    return ServiceCatalog(profiles=tuple(profiles), default_importance=default)


def load_services(path: Path) -> ServiceCatalog:
    """The catalog in `path`; an empty catalog when the file does not exist."""
    path = Path(path)
    document = read_toml(path)
    return ServiceCatalog() if document is None else parse_services(document, path)


def _importance_toml(value: int) -> str | int:
    for word, number in IMPORTANCE_WORDS.items():
        if number == value:
            return word
    return value


def services_document(catalog: ServiceCatalog) -> dict[str, Any]:
    services: dict[str, Any] = {}
    for profile in catalog.profiles:
        entry: dict[str, Any] = {"importance": _importance_toml(profile.importance)}
        if profile.tags:
            entry["tags"] = list(profile.tags)
        if profile.max_sessions_per_run is not None:
            entry["max_sessions_per_run"] = profile.max_sessions_per_run
        if profile.agent is not None and not profile.agent.empty:
            entry["agent"] = agent_document(profile.agent)
        services[profile.name] = entry
    document: dict[str, Any] = {}
    if catalog.default_importance is not None:
        document["default_importance"] = _importance_toml(catalog.default_importance)
    document["services"] = services
    return document


def save_services(path: Path, catalog: ServiceCatalog) -> None:
    """Writes the catalog atomically under `<path>.lock`."""
    write_toml(Path(path), services_document(catalog), HEADER)
