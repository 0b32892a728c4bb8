"""The French labels each record field is read from, taken from the page parsers
themselves (never copied), so the data dictionary and the data package name the
words a person sees on the atlas page."""

from __future__ import annotations

import importlib
import re
from collections import defaultdict
from functools import cache
from typing import Any

from atlas_crawler.extract.text import label_key
from atlas_crawler.items import BY_NAME

#: Module attributes holding labels: ``{label key: field}`` maps (values, statements,
#: blocks such as the embassy's) and table specs (``field``, ``titles``, ``columns``).
_LABEL_MAPS = ("LABELS", "CHECKBOXES", "BLOCKS")
_TABLE_SPECS = ("TABLES", "PROJECTS")
#: A block heading held alone in a constant (before BLOCKS existed).
_BLOCK_LABELS = {"_EMBASSY": "embassy"}
_HEAD = re.compile(r"^(.+?)(?:,\s|\.\s|:\s|;\s|\s\(|$)")
#: A quoted label: quotes not inside a word, so that "d'Échange" does not end it.
_QUOTED = (re.compile(r"(?<!\w)'(.+?)'(?!\w)"), re.compile(r"«\s*(.+?)\s*»"))


@cache
def label_keys(record_type: str) -> dict[str, tuple[str, ...]]:
    """Field path (``title``, ``funding``, ``funding[].funder``) -> the label keys
    (as ``label_key`` spells them) its parser recognises, in declaration order."""
    found: dict[str, list[str]] = defaultdict(list)

    def add(path: str, key: str) -> None:
        if key and key not in found[path]:
            found[path].append(key)

    module = importlib.import_module(BY_NAME[record_type].page_module)  # where its parser declares them
    for name in _LABEL_MAPS:
        for key, path in dict(getattr(module, name, {}) or {}).items():
            add(path, key)
    for name in _TABLE_SPECS:
        specs = getattr(module, name, ())
        for spec in specs if isinstance(specs, tuple | list) else (specs,):
            _add_table(spec, add)
    for name, path in _BLOCK_LABELS.items():
        if isinstance(getattr(module, name, None), str):
            add(path, getattr(module, name))
    return {path: tuple(keys) for path, keys in found.items()}


def _add_table(spec: Any, add: Any) -> None:
    table = getattr(spec, "field", None)
    if not table:
        return
    for title in getattr(spec, "titles", ()):
        add(table, title)
    for header, row_key in getattr(spec, "columns", ()):
        add(f"{table}[].{row_key.removesuffix('[]')}", header)


def french_label(path: str, description: str, record_type: str) -> str | None:
    """The label as the page writes it (accents and case kept): the words of the
    field's schema description that its parser recognises, else None."""
    keys = label_keys(record_type).get(path, ())
    if not keys or not description:
        return None
    candidates = [m.group(1) for pattern in _QUOTED if (m := pattern.search(description))]
    if head := _HEAD.match(description):
        candidates.append(head.group(1).strip())
    for candidate in candidates:
        key = label_key(candidate)
        if any(key == k or key.startswith(k) for k in keys):
            return candidate
    return None
