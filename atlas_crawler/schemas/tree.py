"""The record JSON Schemas read as a tree of typed fields, so that the tables, the
data package and the data dictionary all come from the one output contract
(``atlas_crawler/schemas/``) and no field list is written twice."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from atlas_crawler.schemas import inlined_schema, load_schema

__all__ = ["Field", "load_schema", "record_fields", "walk"]
_ISO_DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


@dataclass(frozen=True)
class Field:
    """One property of a record or of a nested object, with its Table Schema type
    (``string``, ``integer``, ``number``, ``boolean``, ``date``, ``datetime``,
    ``array``, ``object``) and the JSON Schema words that constrain it."""

    path: str  # "funding[].amount_eur", "embassy.contacts[].role"
    name: str
    type: str
    nullable: bool
    description: str
    constraints: dict[str, Any]
    json_type: str  # as a reader of the JSON Lines sees it: "string or null", "list of objects"
    children: tuple[Field, ...] = ()  # properties of the object (or of each list item)
    item_type: str | None = None  # list items: "object", "string", "number"

    @property
    def is_table(self) -> bool:
        """A list of objects: a child table in the export."""
        return self.type == "array" and self.item_type == "object"


@cache
def record_fields(record_type: str) -> tuple[Field, ...]:
    """The top-level fields of one record type, in schema (= record key) order."""
    schema = inlined_schema(record_type)
    return _object_fields(schema, schema, "")


def walk(fields: tuple[Field, ...]) -> list[Field]:
    """Every field and nested field, depth first, in schema order."""
    out: list[Field] = []
    for f in fields:
        out.append(f)
        out.extend(walk(f.children))
    return out


def _object_fields(node: dict[str, Any], root: dict[str, Any], prefix: str) -> tuple[Field, ...]:
    required = set(node.get("required", ()))
    out = []
    for name, raw in node.get("properties", {}).items():
        out.append(_field(name, raw, root, f"{prefix}{name}", name in required))
    return tuple(out)


def _types(node: dict[str, Any]) -> list[str]:
    if "const" in node or "enum" in node:
        return ["string"]
    declared = node.get("type", "object")
    return [declared] if isinstance(declared, str) else list(declared)


def _field(name: str, node: dict[str, Any], root: dict[str, Any], path: str, required: bool) -> Field:
    types = _types(node)
    nullable = "null" in types
    base = next(t for t in types if t != "null")
    constraints: dict[str, Any] = {}
    if required and not nullable:
        constraints["required"] = True
    for word in ("pattern", "minimum", "maximum", "minLength"):
        if word in node:
            constraints[word] = node[word]
    if "enum" in node:
        constraints["enum"] = list(node["enum"])
    if "const" in node:
        constraints["enum"] = [node["const"]]
    children: tuple[Field, ...] = ()
    item_type = None
    table_type = {"integer": "integer", "number": "number", "boolean": "boolean"}.get(base, base)
    if base == "string" and node.get("format") == "date-time":
        table_type = "datetime"
    elif base == "string" and node.get("pattern") == _ISO_DATE:
        table_type = "date"
        constraints.pop("pattern")  # the date type says it
    elif base == "array":
        items = node.get("items", {})
        item_types = [t for t in _types(items) if t != "null"]
        item_type = item_types[0] if item_types else "string"
        if item_type == "object":
            children = _object_fields(items, root, f"{path}[].")
    elif base == "object":
        children = _object_fields(node, root, f"{path}.")
    return Field(
        path=path,
        name=name,
        type=table_type,
        nullable=nullable,
        description=node.get("description", ""),
        constraints=constraints,
        json_type=_json_type(table_type, item_type, nullable, node),
        children=children,
        item_type=item_type,
    )


def _json_type(table_type: str, item_type: str | None, nullable: bool, node: dict[str, Any]) -> str:
    """How the field looks in a JSON Lines record, for a person reading the dictionary."""
    if "const" in node:
        return f'always "{node["const"]}"'
    if "enum" in node:
        return " or ".join(f'"{v}"' for v in node["enum"])
    words = {
        "string": "text",
        "integer": "integer",
        "number": "number",
        "boolean": "true/false",
        "date": "date (yyyy-mm-dd)",
        "datetime": "UTC date-time (ISO 8601)",
        "object": "object",
    }
    if table_type == "array":
        text = {"object": "list of objects", "string": "list of texts", "number": "list of numbers or null"}
        out = text.get(item_type or "string", f"list of {item_type}")
    else:
        out = words.get(table_type, table_type)
    if table_type == "integer" and "minimum" in node and "maximum" in node:
        out += f" {node['minimum']}–{node['maximum']}"
    return f"{out} or null" if nullable else out
