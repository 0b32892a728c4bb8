"""The output contract: one JSON Schema per record type. Item classes, the
validation pipeline, the report's coverage and the exports all read these files,
so a field is declared once, here.

The schemas carry one version (``"version"`` beside ``$id``), bumped with every change
of the contract and recorded in CHANGELOG.md; the data packages name it."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def load_schema(name: str) -> dict[str, Any]:
    """``schemas/<name>.schema.json`` as a dict (read once; do not mutate)."""
    return json.loads(resources.files(__package__).joinpath(f"{name}.schema.json").read_text("utf-8"))


@cache
def inlined_schema(name: str) -> dict[str, Any]:
    """The schema with its local ``#/$defs/…`` references written out (a node's own
    words win over its definition's): what validators compile (no reference
    resolution per value) and what the exports read field by field (do not mutate)."""
    schema = load_schema(name)
    defs = schema.get("$defs", {})

    def expand(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return expand({**defs[ref.removeprefix("#/$defs/")], **{k: v for k, v in node.items() if k != "$ref"}})
            return {k: expand(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [expand(v) for v in node]
        return node

    return expand(schema)


@cache
def version() -> str:
    """The contract's version, which every schema file states (they change together:
    a version that differs between files is a mistake, refused here)."""
    names = sorted(f.name.removesuffix(".schema.json") for f in resources.files(__package__).iterdir()
                   if f.name.endswith(".schema.json"))  # fmt: skip
    versions = {name: load_schema(name).get("version") for name in names}
    if len(set(versions.values())) != 1 or None in versions.values():
        raise ValueError(f"the schemas must state one version: {versions}")
    return versions[names[0]]


def fields(name: str) -> tuple[str, ...]:
    """The record's fields, in schema order (the order of every written record)."""
    return tuple(load_schema(name)["properties"])


def list_fields(name: str) -> tuple[str, ...]:
    """The fields whose value is a list (``[]`` when the page has none)."""
    properties = load_schema(name)["properties"]
    return tuple(f for f, spec in properties.items() if _types(spec) == {"array"})


def _types(spec: dict[str, Any]) -> set[str]:
    kind = spec.get("type")
    return set(kind) if isinstance(kind, list) else {kind} if kind else set()
