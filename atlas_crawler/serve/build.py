"""The database Datasette serves, derived from the project's own SQLite export.

The export is written (or an export copied) into a folder the server owns, never the
run folder, then shaped for browsing with sqlite-utils:

- Datasette follows and labels single-column foreign keys only, and links a value to
  ``/<table>/<value>`` (the referenced column must be the primary key). So each
  collectivity gets a one-column key, ``ref`` (``french-12``), made its primary key, and
  the partner and collectivity-project rows a ``collectivity`` column referring to it;
  ``collectivity_projects.project_id`` is declared to refer to ``projects.id``.
- A project has no country or region of its own: ``countries`` and ``regions`` (JSON
  lists, Datasette's array facets) gather those of its partners.
- Full-text search (FTS5, accents ignored) over the projects' title and long texts and
  the collectivities' names."""

from __future__ import annotations

import shutil
from pathlib import Path

import sqlite_utils

from atlas_crawler.files import LATEST, TABLES, beside, default_runs_dir
from atlas_crawler.output.export import export_file
from atlas_crawler.output.export.writers import SQLITE_NAME

#: The file Datasette serves (its stem is the database's name in every URL: /atlas/projects).
SERVED_NAME = SQLITE_NAME
PACKAGE = "datapackage.json"
#: The partner tables and the collectivity kind their ``collectivity_id`` names.
PARTNERS = {"foreign_partners": "foreign", "french_partners": "french"}
#: Project texts searched: the title and the long texts (context, history, objective, description).
PROJECT_SEARCH = ("title", "context", "history", "objective", "description")
COLLECTIVITY_SEARCH = ("name",)
#: FTS5 tokenizer: "cooperation" finds "coopération".
TOKENIZE = "unicode61 remove_diacritics 2"


def default_source(root: Path = Path("output")) -> Path:
    """What ``make serve`` opens: the latest complete run, else the records of a crawl
    with ``-O output/atlas.jsonl``, else the demo's."""
    runs = default_runs_dir(root)
    for candidate in (runs / LATEST, root / "atlas.jsonl", root / "demo" / "atlas.jsonl"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        f"nothing to serve: no {runs / LATEST}, {root / 'atlas.jsonl'} nor {root / 'demo' / 'atlas.jsonl'} "
        "(run `make demo` or a crawl first, or name a run folder, records file or SQLite file)"
    )


def build(source: Path, directory: Path) -> Path:
    """``directory/atlas.sqlite`` from ``source`` (a run folder, a records file or an
    exported SQLite file, with its ``datapackage.json`` when it has one beside it)."""
    target, origin = directory.resolve(), source.resolve()
    owned = origin if source.is_dir() else beside(origin, TABLES)  # a records file's tables are its run's
    if target.is_relative_to(owned) or target == origin.parent:
        raise ValueError(
            f"{directory} is {source} or beside it: the server builds its copy elsewhere, never in the run's files"
        )
    directory.mkdir(parents=True, exist_ok=True)
    served = directory / SERVED_NAME
    for stale in (served, directory / PACKAGE):
        stale.unlink(missing_ok=True)
    if source.is_file() and source.suffix in (".sqlite", ".sqlite3", ".db"):
        shutil.copyfile(source, served)
        if (source.parent / PACKAGE).is_file():
            shutil.copyfile(source.parent / PACKAGE, directory / PACKAGE)
    else:
        export_file(source, ["sqlite"], directory)
    db = sqlite_utils.Database(served)
    try:
        shape(db)
    finally:
        db.close()
    return served


def shape(db: sqlite_utils.Database) -> None:
    """Keys, facet columns and full-text indexes for browsing (see the module's docstring)."""
    collectivities = db["collectivities"]
    collectivities.add_column("ref", str)
    db.execute("UPDATE collectivities SET ref = kind || '-' || id")
    # ref becomes the key; (kind, id) stays unique so the export's composite keys still hold
    collectivities.transform(pk="ref", not_null={"ref"}, column_order=["ref"])
    collectivities.create_index(["kind", "id"], unique=True, if_not_exists=True)
    for table, kind in PARTNERS.items():
        db[table].add_column("collectivity", str, fk="collectivities", fk_col="ref")
        # a partner whose collectivity page was not crawled keeps collectivity_id, and no link
        db.execute(
            f"UPDATE [{table}] SET collectivity = (SELECT ref FROM collectivities c "
            f"WHERE c.kind = ? AND c.id = [{table}].collectivity_id)",
            [kind],
        )
        db[table].create_index(["collectivity"], if_not_exists=True)
    links = db["collectivity_projects"]
    links.add_column("collectivity", str, fk="collectivities", fk_col="ref")
    db.execute("UPDATE collectivity_projects SET collectivity = collectivity_kind || '-' || collectivity_id")
    links.add_foreign_key("project_id", "projects", "id", ignore=True)
    links.create_index(["collectivity"], if_not_exists=True)
    _facet_lists(db)
    db["projects"].enable_fts(PROJECT_SEARCH, tokenize=TOKENIZE)
    collectivities.enable_fts(COLLECTIVITY_SEARCH, tokenize=TOKENIZE)
    db.execute("VACUUM")


def _facet_lists(db: sqlite_utils.Database) -> None:
    """``projects.countries`` and ``projects.regions``: its partners' countries and
    its French partners' regions, as sorted JSON lists."""
    places = {
        "countries": """SELECT project_id, country AS place FROM foreign_partners
            UNION SELECT cp.project_id, c.country FROM collectivity_projects cp
              JOIN collectivities c ON c.ref = cp.collectivity WHERE c.kind = 'foreign'""",
        "regions": """SELECT fp.project_id, c.region AS place FROM french_partners fp
              JOIN collectivities c ON c.ref = fp.collectivity
            UNION SELECT cp.project_id, c.region FROM collectivity_projects cp
              JOIN collectivities c ON c.ref = cp.collectivity WHERE c.kind = 'french'""",
    }
    for column, query in places.items():
        db["projects"].add_column(column, str)
        db.execute(
            f"""UPDATE projects SET {column} = (
                  SELECT json_group_array(place) FROM (
                    SELECT place FROM ({query}) WHERE project_id = projects.id AND place IS NOT NULL
                    ORDER BY place))"""
        )
