"""Service weights of earlier versions, moved into the services file once.

Earlier versions weighted services with the settings SERVICE_WEIGHTS (a JSON object, or a table
in the settings file) and DEFAULT_SERVICE_WEIGHT, on a scale where 10 was the default. Service
importance now lives in the services file only, 0-100 with 50 for services it does not list,
so a weight w becomes importance 5 x w (10 -> 50, 15 -> 75, 20 -> 100), kept within 0-100.

`migrate_service_weights` adds every configured service the services file does not list yet,
sets its `default_importance` from DEFAULT_SERVICE_WEIGHT when it sets none, removes both keys
from the settings file, and logs one warning naming what moved where. What the services file
already says wins, so a second call moves nothing and says nothing; values it cannot read are
reported every time, since they cannot be moved until someone fixes them."""

from __future__ import annotations

import json
import logging
from typing import Any

from engine.policy.services import ServiceCatalog, ServiceProfile, load_services, save_services
from engine.settings.environment import Settings
from engine.settings.file import drop_retired, retired_values

log = logging.getLogger(__name__)

WEIGHT_TO_IMPORTANCE = 5


def importance_of_weight(weight: float) -> int:
    return max(0, min(100, round(weight * WEIGHT_TO_IMPORTANCE)))


def services_catalog(settings: Settings) -> ServiceCatalog:
    """The services file's catalog, after moving any configured service weights into it."""
    migrate_service_weights(settings)
    return load_services(settings.services_file)


def migrate_service_weights(settings: Settings) -> str | None:
    """Moves configured SERVICE_WEIGHTS / DEFAULT_SERVICE_WEIGHT into the services file; the
    warning it logged, or None when there was nothing to move."""
    found = retired_values(type(settings))
    if not found:
        return None
    catalog = load_services(settings.services_file)
    moved: list[str] = []
    problems: list[str] = []
    origins: set[str] = set()
    for name, raw, origin in found:
        try:
            value = _parsed(name, raw)
        except ValueError as exc:
            problems.append(f"{name.upper()} ({origin}) was not moved: {exc}")
            continue
        if name == "service_weights":
            for service, weight in value.items():
                if service in catalog:
                    continue
                importance = importance_of_weight(weight)
                catalog = catalog.with_profile(ServiceProfile(name=service, importance=importance))
                moved.append(f"{service} (weight {weight:g} -> importance {importance})")
                origins.add(origin)
        elif catalog.default_importance is None:
            importance = importance_of_weight(value)
            catalog = ServiceCatalog(profiles=catalog.profiles, default_importance=importance)
            moved.append(f"services it does not list (weight {value:g} -> default_importance {importance})")
            origins.add(origin)
    if moved:
        save_services(settings.services_file, catalog)
    dropped = drop_retired(settings.settings_file)
    if not moved and not problems and not dropped:
        return None
    parts = []
    if moved:
        parts.append(
            f"service weights moved to the services file {settings.services_file} as importance: "
            + ", ".join(moved)
        )
    elif dropped:
        parts.append(f"the services file {settings.services_file} already sets every service weight")
    if dropped:
        parts.append(f"service_weights and default_service_weight were removed from {settings.settings_file}")
    stale = sorted(origins - {"settings file"})
    if stale:
        parts.append(
            "SERVICE_WEIGHTS and DEFAULT_SERVICE_WEIGHT are no longer read; remove them from the "
            + " and ".join(stale)
        )
    message = "; ".join([*parts, *problems])
    log.warning("%s", message)
    return message


def _parsed(name: str, raw: Any) -> Any:
    """A retired setting's value: raw text from the environment or `.env` (JSON for the
    weights table), or the settings file's TOML value."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON ({exc.msg})") from exc
    if name == "default_service_weight":
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise ValueError(f"expected a number, got {raw!r}")
        return raw
    if not isinstance(raw, dict) or not all(
        isinstance(w, int | float) and not isinstance(w, bool) for w in raw.values()
    ):
        raise ValueError('expected an object of service names and numbers, e.g. {"payment-service": 20}')
    return {str(service).strip(): weight for service, weight in raw.items() if str(service).strip()}
