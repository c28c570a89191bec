"""The service catalog file: importance words and numbers, validation messages, saving."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from engine.core.errors import BadInputError
from engine.policy.services import (
    DEFAULT_IMPORTANCE,
    ServiceCatalog,
    ServiceProfile,
    load_services,
    save_services,
)

EXAMPLE = """
[services.payment-service]
importance = "critical"
tags = ["pci", "tier-1"]
max_sessions_per_run = 5

[services.Search]
importance = 30

[services."docs site"]
importance = "Low"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "services.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_file_loads_with_words_numbers_and_case_insensitive_names(tmp_path: Path) -> None:
    catalog = load_services(write(tmp_path, EXAMPLE))
    assert catalog.names == ["payment-service", "Search", "docs site"]
    assert catalog.importance("Payment-Service") == 100
    assert catalog.importance(" search ") == 30
    assert catalog.importance("docs site") == 25
    assert catalog.importance("unknown") == DEFAULT_IMPORTANCE == 50
    profile = catalog.profile("PAYMENT-SERVICE")
    assert profile is not None
    assert profile.tags == ["pci", "tier-1"]
    assert profile.max_sessions_per_run == 5
    assert catalog.profile("unknown") is None


def test_missing_file_is_an_empty_catalog(tmp_path: Path) -> None:
    catalog = load_services(tmp_path / "services.toml")
    assert len(catalog) == 0
    assert catalog.importance("anything") == 50


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[services.payment-service]\nimportance = "urgent"\n',
            "services.toml: services.payment-service.importance: "
            "expected critical/high/medium/low or 0-100, got 'urgent'",
        ),
        ("[services.api]\nimportance = 101\n", "services.api.importance: expected critical/high/medium/low"),
        ("[services.api]\nimportance = true\n", "services.api.importance"),
        ("[services.api]\nimportnce = 10\n", "services.api.importnce: unknown key"),
        ('[services.api]\ntags = "pci"\n', "services.api.tags: expected a list of strings"),
        ('[services.api]\ntags = ["pci", ""]\n', "services.api.tags[1]: expected a non-empty string"),
        ("[services.api]\nmax_sessions_per_run = -1\n", "services.api.max_sessions_per_run: expected"),
        ("[services.api]\nmax_sessions_per_run = 2.5\n", "services.api.max_sessions_per_run: expected"),
        ("[services.api]\n[services.API]\n", "services.API: same service as services.api"),
        ("[service.api]\n", "services.toml: service: unknown key"),
        ("services = 3\n", "services.toml: services: expected a table"),
        ("[services.api\n", "services.toml: not valid TOML"),
    ],
)
def test_bad_files_name_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(BadInputError) as caught:
        load_services(write(tmp_path, text))
    assert message in str(caught.value)
    assert "services.toml" in str(caught.value)


def test_not_utf8_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "services.toml"
    path.write_bytes(b"[services.api]\nimportance = '\xff'\n")
    with pytest.raises(BadInputError, match="not UTF-8"):
        load_services(path)


def test_editing_returns_new_catalogs_and_leaves_the_old_one_alone() -> None:
    base = ServiceCatalog(profiles=(ServiceProfile(name="api", importance=40),))
    added = base.with_profile(ServiceProfile(name="billing", importance=90, tags=["pci"]))
    replaced = added.with_profile(ServiceProfile(name="API", importance=70))
    removed = replaced.without("Billing")
    assert base.names == ["api"] and base.importance("api") == 40
    assert added.names == ["api", "billing"]
    assert replaced.names == ["API", "billing"]  # replaced in place, keeps the order
    assert replaced.importance("api") == 70
    assert removed.names == ["API"]
    with pytest.raises(BadInputError, match="no service 'nope'"):
        removed.without("nope")


def test_catalog_refuses_names_that_differ_only_in_case() -> None:
    with pytest.raises(ValueError, match="listed twice"):
        ServiceCatalog(profiles=(ServiceProfile(name="api"), ServiceProfile(name="API")))


def test_save_then_load_round_trips(tmp_path: Path) -> None:
    catalog = ServiceCatalog(
        profiles=(
            ServiceProfile(
                name="payment-service", importance=100, tags=["pci", "tier-1"], max_sessions_per_run=5
            ),
            ServiceProfile(name="odd name.with dot", importance=33),
            ServiceProfile(name="paused", importance=75, max_sessions_per_run=0),
        )
    )
    path = tmp_path / "nested" / "services.toml"
    save_services(path, catalog)
    text = path.read_text(encoding="utf-8")
    assert 'importance = "critical"' in text  # words where they fit exactly
    assert "importance = 33" in text
    assert load_services(path) == catalog
    assert not list(path.parent.glob(".tmp-*"))


def test_concurrent_saves_leave_one_complete_file(tmp_path: Path) -> None:
    path = tmp_path / "services.toml"
    catalogs = [
        ServiceCatalog(profiles=tuple(ServiceProfile(name=f"svc-{i}-{j}", importance=j) for j in range(30)))
        for i in range(6)
    ]
    threads = [threading.Thread(target=save_services, args=(path, catalog)) for catalog in catalogs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert load_services(path) in catalogs
