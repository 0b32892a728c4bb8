"""``docs/DATA.md``, the data dictionary, generated from the record schemas, the
parsers' French labels, the export's table definitions and example records (the
saved test pages' ``expected.json``), so that it cannot drift from the data:
``tests/test_datadict.py`` fails when the committed file differs from what this
writes. ``python -m atlas_crawler.datadict`` rewrites it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from atlas_crawler.extract.text import label_key
from atlas_crawler.items import RECORD_TYPES
from atlas_crawler.pages.labels import french_label, label_keys
from atlas_crawler.schemas.tree import Field, load_schema, record_fields, walk
from atlas_crawler.output.export.tables import (
    DOUBTED,
    DOUBTS_TABLE,
    ONE_PERCENT_COLUMNS,
    TABLES,
    Table,
    describe,
)
from atlas_crawler.output.export.writers import (
    ARROW_TYPES,
    EUR_VIEW,
    FORMULA_GUARD,
    FORMULA_STARTS,
    MONEY_ARROW_TYPE,
    SQL_TYPES,
)
from atlas_crawler.run.report.html import FOREIGN_FUNDER, FUNDER_TYPES, OTHER_FUNDER

ROOT = Path(__file__).resolve().parents[2]
DATA_MD = ROOT / "docs" / "DATA.md"
PAGES = ROOT / "tests" / "pages"
#: The saved page whose record gives the examples first (the one real atlas page).
SEED_PAGE = "project-2431-seed"
_EXAMPLE_WIDTH = 60


# --- examples ----------------------------------------------------------------------
def example_records(pages: Path = PAGES) -> dict[str, list[dict[str, Any]]]:
    """The saved pages' expected records by type, the real seed page first."""
    out: dict[str, list[dict[str, Any]]] = {t.name: [] for t in RECORD_TYPES}
    folders = sorted((p.parent for p in pages.glob("*/meta.json")), key=lambda p: (p.name != SEED_PAGE, p.name))
    for folder in folders:
        meta = json.loads((folder / "meta.json").read_text("utf-8"))
        path = folder / meta.get("expected", "expected.json")  # a page stored elsewhere names its record
        if path.is_file():
            record = json.loads(path.read_text("utf-8"))
            out.setdefault(record.get("type"), []).append(record)
    return out


def _values(record: Any, parts: list[str]) -> list[Any]:
    """Every value at a path (``funding[].funder`` -> each line's funder)."""
    if not parts:
        return [record]
    head, rest = parts[0], parts[1:]
    if isinstance(record, list):
        return [v for item in record for v in _values(item, parts)]
    if not isinstance(record, dict):
        return []
    if head.endswith("[]"):
        return [v for item in record.get(head[:-2]) or [] for v in _values(item, rest)]
    return _values(record.get(head), rest)


def example(path: str, records: list[dict[str, Any]]) -> str:
    for record in records:
        for value in _values(record, path.split(".")):
            if value not in (None, [], {}, ""):
                return _cell(_short(json.dumps(value, ensure_ascii=False)), code=True)
    return "—"


def _short(text: str) -> str:
    return text if len(text) <= _EXAMPLE_WIDTH else text[: _EXAMPLE_WIDTH - 1] + "…"


def _cell(text: str, code: bool = False) -> str:
    """Markdown table cell text: pipes escaped, one line."""
    text = text.replace("|", "\\|").replace("\n", " ")
    return f"`{text}`" if code and "`" not in text else text


# --- records -------------------------------------------------------------------------
def label_cell(f: Field, record_type: str) -> str:
    """The French label as the page writes it, and the other spellings the parser accepts."""
    keys = label_keys(record_type).get(f.path, ())
    label = french_label(f.path, f.description, record_type)
    if not keys:
        return "—"
    shown = [label] if label else []
    others = [k for k in keys if not label or not label_key(label).startswith(k)]
    text = ", ".join(f"« {s} »" for s in shown)
    if others:
        text += (" (also " if shown else "") + ", ".join(f"`{k}`" for k in others) + (")" if shown else "")
    return _cell(text)


def record_section(record_type: str, examples: list[dict[str, Any]]) -> list[str]:
    schema = load_schema(record_type)
    out = [
        f'### {schema["title"]} (`"type": "{record_type}"`)',
        "",
        schema["description"],
        "",
        "| field | type | French label on the page | meaning | example |",
        "|---|---|---|---|---|",
    ]
    for f in walk(record_fields(record_type)):
        meaning = describe(f, record_type)[1]
        out.append(
            f"| `{f.path}` | {_cell(f.json_type)} | {label_cell(f, record_type)} | {_cell(meaning) or '—'} | "
            f"{example(f.path, examples)} |"
        )
    return [*out, ""]


# --- tables --------------------------------------------------------------------------
def table_section(table: Table) -> list[str]:
    keys = ", ".join(f"`{k}`" for k in table.primary_key)
    out = [f"### `{table.name}` — {table.title}", "", table.description, "", f"Primary key: {keys}."]
    for fk in table.foreign_keys:
        out.append(
            f"Foreign key: {', '.join(f'`{f}`' for f in fk.fields)} → `{fk.table}` "
            f"({', '.join(f'`{f}`' for f in fk.reference)})."
        )
    out += ["", "| column | type | from the record | description |", "|---|---|---|---|"]
    for column in table.columns:
        required = " (required)" if column.constraints.get("required") else ""
        required += ", money" if column.money else ""
        source = f"`{column.source}`" if column.source else "—"
        out.append(f"| `{column.name}` | {column.type}{required} | {source} | {_cell(column.description)} |")
    return [*out, ""]


def types_section() -> list[str]:
    spelled = {
        "string": "text",
        "integer": "digits",
        "number": "`1500.5` (`1500,5` with `--excel`)",
        "boolean": "`true` / `false`",
        "date": "`2013-09-30`",
        "datetime": "`2026-11-26T04:19:58Z`",
        "array": 'JSON text: `["a","b"]`',
        "object": 'JSON text: `{"label":"value"}`',
    }
    out = [
        "| table type | in CSV | in Parquet | in SQLite |",
        "|---|---|---|---|",
    ]
    for kind, arrow in ARROW_TYPES.items():
        out.append(f"| {kind} | {spelled[kind]} | {arrow} | {SQL_TYPES[kind]} |")
    view = EUR_VIEW.format(table="<table>")
    out.append(
        f"| number, money (`*_eur`) | as the records spell it: `1500.5` (`1500,5` with `--excel`) | "
        f"{MONEY_ARROW_TYPE}, exact | INTEGER cents, named `*_cents` (`amount_cents`); the view `{view}` "
        "shows euros as exact text (`1500.50`) |"
    )
    names = {"\t": "a tab", "\r": "a carriage return"}
    starts = ", ".join(names.get(c, f"`{c}`") for c in FORMULA_STARTS)
    return [
        *out,
        "",
        "An empty CSV cell is a null: no text field is ever the empty string. Amounts of money are exact to "
        "the cent in Parquet and SQLite (a sum of floats is not: `3718118.2800000003`); an amount no "
        "decimal(15, 2) holds (a fraction of a cent) stops the export, naming its record. Under `--excel`, a "
        f"text that starts with {starts} has an invisible zero-width space (U+{ord(FORMULA_GUARD):04X}) before "
        "it, so that no spreadsheet reads it as a formula; the plain CSV has the texts exactly.",
        "",
    ]


def funder_section() -> list[str]:
    out = [
        "The run's `report.html` sums the funding lines by a funder type read from the funder's name: the "
        f"first rule with a word of the name wins (accents and case ignored). A funder that is one of the "
        f"crawl's foreign collectivities (and none of its French ones) is « {FOREIGN_FUNDER} »; a name no rule "
        f"matches is « {OTHER_FUNDER} ».",
        "",
        "| funder type | words in the name |",
        "|---|---|",
    ]
    for kind, words in FUNDER_TYPES:
        out.append(f"| {kind} | {', '.join(f'`{w}`' for w in words)} |")
    return [*out, ""]


def render(pages: Path = PAGES) -> str:
    examples = example_records(pages)
    children = ", ".join(f"`{child.name}`" for t in RECORD_TYPES for child in t.child_tables.values())
    lines = [
        "# The atlas data: a dictionary",
        "",
        "<!-- Generated by `python -m atlas_crawler.datadict` from atlas_crawler/schemas/*.schema.json, the "
        "parsers' labels and the saved test pages' expected records; tests/test_datadict.py fails when it is "
        "out of date. Do not edit by hand. -->",
        "",
        "A crawl writes **records** (JSON Lines, one object per project or collectivity page);",
        "`python -m atlas_crawler.export` turns them into **tables** (CSV, Parquet or SQLite, with a",
        "`datapackage.json`). Both are described here, field by field. The *French label* is what the",
        "atlas page shows next to the value (or above its table or column); labels are matched ignoring",
        "case, accents and spaces, table titles and column headers by their first words, and other",
        "spellings the parser accepts are listed after the label. Examples come from the real project",
        "page 2431 and the saved test pages.",
        "",
        "## Records",
        "",
    ]
    for record_type in RECORD_TYPES:
        lines += record_section(record_type.name, examples.get(record_type.name, []))
    lines += [
        "## Tables",
        "",
        "One table per record type (`projects`, `collectivities`), and one per list of objects in a record "
        f"({children}): a child row is keyed by its parent's key and `row_no`, its place in the page's table. "
        "Lists of texts (`project_managers`, `contracting_authorities`, `other_partners`) and `extra` stay in "
        "their row as JSON text. The funding table's `Montant 1%` cells are the named columns "
        + ", ".join(f"`one_percent_{n}_eur`" for n in range(1, ONE_PERCENT_COLUMNS + 1))
        + ", in page order, with `one_percent_columns` saying how many the line had. A partner refers to its "
        "collectivity by (`collectivity_kind`, `collectivity_id`), the key of `collectivities`, a declared "
        "foreign key; when that collectivity's page failed, was skipped or is gone, the partner keeps the id "
        "its page gives and the reference dangles (a foreign-key error for `frictionless validate`, a row of "
        "SQLite's `PRAGMA foreign_key_check`). A collectivity's `project_id` is not declared as a foreign key: "
        "its list names projects of every year, crawled or not. "
        f"The `{DOUBTS_TABLE}` table and the `{DOUBTED}` column of `projects` and `collectivities` come from "
        "the crawl's doubts file beside the records, not from the records: a doubted record is one whose page "
        "the parse could not wholly explain (docs/OUTPUT.md, Doubts).",
        "",
        "How each type is written:",
        "",
        *types_section(),
    ]
    for table in TABLES:
        lines += table_section(table)
    lines += ["## Funder types (report.html)", "", *funder_section()]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m atlas_crawler.datadict",
        description="Rewrite docs/DATA.md, the data dictionary, from the record schemas, the parsers' "
        "French labels, the export's tables and the saved test pages' example records.",
    )
    parser.add_argument("--out", type=Path, default=DATA_MD, help=f"where to write it (default {DATA_MD})")
    parser.add_argument("--check", action="store_true", help="only say whether the file is up to date (exit 1 if not)")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.out.read_text("utf-8") if args.out.exists() else ""
        print(f"{args.out} is {'up to date' if current == text else 'out of date'}")
        return 0 if current == text else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
