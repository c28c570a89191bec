"""Who may do what: roles, identities and the permission table.

Roles are ordered, each including the rights of the ones below it: viewers read; operators
also launch, stop and resume runs, import scans into the findings ledger and see the worker
fleet; reviewers also
approve or reject pull requests, triage ledger findings (false positive, risk accepted) and
retire lessons from the memory;
admins also change settings, services and policy, and read the audit log.

Roles come from a TOML file (setting `roles_file`, default `./roles.toml`):

    default_role = "viewer"

    [users]
    "ana@acme.com" = "admin"

    [domains]
    "acme.com" = "reviewer"

An exact e-mail beats its domain, which beats `default_role`. E-mails and domains match
case-insensitively. When the file does not exist everyone gets `viewer`. An unknown role
name anywhere in the file is an error that names the file and the entry."""

from __future__ import annotations

import getpass
import ipaddress
import tomllib
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from engine.core.errors import PermissionDeniedError, RolesFileError

DEFAULT_ROLE_NAME = "viewer"


class Role(Enum):
    viewer = 0
    operator = 1
    reviewer = 2
    admin = 3

    def allows(self, needed: Role) -> bool:
        return self.value >= needed.value

    @classmethod
    def parse(cls, name: object, where: str) -> Role:
        if isinstance(name, str) and name.strip().lower() in cls.__members__:
            return cls[name.strip().lower()]
        known = ", ".join(cls.__members__)
        raise RolesFileError(f"{where}: unknown role {name!r} (known roles: {known})")


class Action(Enum):
    read = "read"
    launch = "launch"
    stop = "stop"
    resume = "resume"
    review = "review"
    import_scan = "import_scan"  # record a scan in the findings ledger
    triage = "triage"  # false positive, risk acceptance, reopen, pull request state by hand
    curate_memory = "curate_memory"  # retire a lesson from the memory (engine.memory)
    change_settings = "change_settings"
    read_audit = "read_audit"
    read_fleet = "read_fleet"  # the worker fleet: workers, queued, running and failed jobs


# Action -> the least role allowed to do it.
PERMISSIONS: dict[Action, Role] = {
    Action.read: Role.viewer,
    Action.launch: Role.operator,
    Action.stop: Role.operator,
    Action.resume: Role.operator,
    Action.review: Role.reviewer,
    Action.import_scan: Role.operator,
    Action.triage: Role.reviewer,
    Action.curate_memory: Role.reviewer,
    Action.change_settings: Role.admin,
    Action.read_audit: Role.admin,
    Action.read_fleet: Role.operator,
}


@dataclass(frozen=True)
class Identity:
    email: str
    name: str | None
    role: Role
    authenticated: bool


def local_admin() -> Identity:
    """Whoever runs Patchwave on this machine without sign-in (the CLI, or the app with
    authentication off): an admin, named after the operating-system user."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Identity(email=f"{user}@localhost", name=user, role=Role.admin, authenticated=False)


class EmailClaim(Enum):
    """What an OIDC provider's `email_verified` claim says about the e-mail address."""

    verified = "verified"
    unverified = "unverified"  # an explicit false (or anything that is not true)
    absent = "absent"  # the provider sent no such claim


def email_claim(value: object) -> EmailClaim:
    """The claim's value as the provider sent it. The standard says a boolean; some providers
    send the strings "true" and "false", which are read the same way."""
    if value is None:
        return EmailClaim.absent
    if value is True or (isinstance(value, str) and value.strip().lower() == "true"):
        return EmailClaim.verified
    return EmailClaim.unverified


def is_loopback_address(address: str | None) -> bool:
    """Whether a server listening on `address` is reachable from this machine only. Empty means
    every interface; a host name other than localhost could resolve to any address, so it counts
    as reachable from the network."""
    host = (address or "").strip().strip("[]")
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def can(identity: Identity, action: Action) -> bool:
    return identity.role.allows(PERMISSIONS[action])


def require(identity: Identity, action: Action) -> None:
    """Raises PermissionDeniedError unless `identity` may do `action`."""
    needed = PERMISSIONS[action]
    if not identity.role.allows(needed):
        raise PermissionDeniedError(action.value, identity.role.name, needed.name, identity.email)


@dataclass(frozen=True)
class RoleTable:
    users: dict[str, Role]
    domains: dict[str, Role]
    default_role: Role = Role.viewer

    def role_of(self, email: str) -> Role:
        address = email.strip().lower()
        if address in self.users:
            return self.users[address]
        domain = address.rpartition("@")[2]
        if domain and "@" in address and domain in self.domains:
            return self.domains[domain]
        return self.default_role


def load_roles(path: Path) -> RoleTable:
    """The role table in `path`; a missing file gives everyone `viewer`."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return RoleTable(users={}, domains={})
    except OSError as exc:
        raise RolesFileError(f"roles file {path} cannot be read: {exc}") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RolesFileError(f"roles file {path} is not valid TOML: {exc}") from exc
    default = Role.parse(data.get("default_role", DEFAULT_ROLE_NAME), f"{path}: default_role")
    tables: dict[str, dict[str, Role]] = {}
    for section in ("users", "domains"):
        entries = data.get(section, {})
        if not isinstance(entries, dict):
            raise RolesFileError(f'{path}: [{section}] must be a table of "name" = "role" entries')
        tables[section] = {
            str(k).strip().lower(): Role.parse(v, f"{path}: [{section}] {k!r}") for k, v in entries.items()
        }
    return RoleTable(users=tables["users"], domains=tables["domains"], default_role=default)


def resolve_identity(email: str, name: str | None, roles_file: Path, *, authenticated: bool) -> Identity:
    return Identity(
        email=email, name=name, role=load_roles(roles_file).role_of(email), authenticated=authenticated
    )
