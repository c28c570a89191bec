"""Describing JSON documents for error messages: what a document that is no format we read
looks like, and JSON's own names of value kinds. Which format a document is, is told by the
formats themselves (engine/scanners/formats/, engine/scanners/registry.py)."""

from __future__ import annotations


def graphql_alerts(doc: dict) -> object:
    data = doc.get("data")
    repository = data.get("repository") if isinstance(data, dict) else None
    return repository.get("vulnerabilityAlerts") if isinstance(repository, dict) else None


def describe(doc: object) -> str:
    """What an unrecognised JSON document looks like, for the error message."""
    if isinstance(doc, dict):
        return f"a JSON object with {_keys(doc)}"
    if isinstance(doc, list):
        if not doc:
            return "an empty JSON list"
        first = doc[0]
        if isinstance(first, dict):
            return f"a JSON list of {len(doc):,} items, the first an object with {_keys(first)}"
        return f"a JSON list of {len(doc):,} items, the first a {json_type(first)}"
    return f"a single JSON {json_type(doc)}"


def _keys(value: dict) -> str:
    if not value:
        return "no keys"
    keys = [repr(k) for k in list(value)[:8]]
    more = f" and {len(value) - 8:,} more" if len(value) > 8 else ""
    return f"keys {', '.join(keys)}{more}"


def json_type(value: object) -> str:
    """A JSON value's kind in JSON's words, for error messages."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "null"
