"""Roles, the permission table and the roles file (engine/access/roles.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.access.roles import (
    PERMISSIONS,
    Action,
    Identity,
    Role,
    can,
    load_roles,
    require,
    resolve_identity,
)
from engine.core.errors import BadInputError, PermissionDeniedError

ROLES = """
default_role = "viewer"

[users]
"ana@acme.com" = "admin"
"Bo@Acme.com" = "operator"

[domains]
"acme.com" = "reviewer"
"partner.io" = "operator"
"""


def who(role: Role) -> Identity:
    return Identity(email=f"{role.name}@x.com", name=None, role=role, authenticated=True)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "roles.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.viewer, {Action.read}),
        (
            Role.operator,
            {Action.read, Action.launch, Action.stop, Action.resume, Action.import_scan, Action.read_fleet},
        ),
        (
            Role.reviewer,
            {
                Action.read,
                Action.launch,
                Action.stop,
                Action.resume,
                Action.import_scan,
                Action.review,
                Action.triage,
                Action.curate_memory,
                Action.read_fleet,
            },
        ),
        (Role.admin, set(Action)),
    ],
)
def test_each_role_includes_the_lower_ones(role: Role, allowed: set[Action]) -> None:
    assert {a for a in Action if can(who(role), a)} == allowed
    assert set(PERMISSIONS) == set(Action)


def test_require_names_the_action_and_the_role() -> None:
    require(who(Role.reviewer), Action.review)
    with pytest.raises(PermissionDeniedError) as caught:
        require(who(Role.viewer), Action.launch)
    message = str(caught.value)
    assert "launch" in message and "viewer" in message and "operator" in message
    assert isinstance(caught.value, BadInputError)


def test_exact_email_beats_domain_beats_default(tmp_path: Path) -> None:
    table = load_roles(write(tmp_path, ROLES))
    assert table.role_of("ana@acme.com") == Role.admin
    assert table.role_of("ANA@acme.com ") == Role.admin  # case and spaces do not matter
    assert table.role_of("bo@acme.com") == Role.operator  # exact e-mail below its domain's role
    assert table.role_of("cy@acme.com") == Role.reviewer
    assert table.role_of("dee@partner.io") == Role.operator
    assert table.role_of("eve@elsewhere.org") == Role.viewer
    assert table.role_of("sub@evil.acme.com") == Role.viewer  # a domain matches exactly, not as a suffix


def test_default_role_can_be_raised(tmp_path: Path) -> None:
    table = load_roles(write(tmp_path, 'default_role = "operator"\n'))
    assert table.role_of("anyone@anywhere.net") == Role.operator


def test_a_missing_file_makes_everyone_a_viewer(tmp_path: Path) -> None:
    identity = resolve_identity("ana@acme.com", "Ana", tmp_path / "nope.toml", authenticated=True)
    assert identity.role == Role.viewer and identity.name == "Ana"


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ('[users]\n"ana@acme.com" = "superuser"\n', ["ana@acme.com", "superuser", "[users]"]),
        ('[domains]\n"acme.com" = "root"\n', ["acme.com", "root", "[domains]"]),
        ('default_role = "god"\n', ["default_role", "god"]),
        ('[users]\n"ana@acme.com" = 3\n', ["ana@acme.com"]),
    ],
)
def test_unknown_roles_name_the_file_and_entry(tmp_path: Path, text: str, names: list[str]) -> None:
    path = write(tmp_path, text)
    with pytest.raises(BadInputError) as caught:
        load_roles(path)
    message = str(caught.value)
    assert str(path) in message
    for name in names:
        assert name in message


def test_bad_toml_and_bad_sections_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="not valid TOML"):
        load_roles(write(tmp_path, "[users\n"))
    with pytest.raises(BadInputError, match=r"\[users\] must be a table"):
        load_roles(write(tmp_path, 'users = "admin"\n'))
