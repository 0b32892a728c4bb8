"""The history of the runs (``history.sqlite``, atlas_crawler.history) as a second
database of the browsing server: where it is, a copy the server owns, and its
metadata, French titles and the canned queries that answer the questions asked of
the atlas over time (a record's versions, additions and removals per month, statuses
and funding per run, the atlas as it stood on a date).

"Open at run r" is the history's own rule: a version read first by run ``from_run``
and replaced or ended by run ``to_run`` is the atlas's as the history knew it after
every run r with ``from_run <= r < to_run`` (``to_run`` null: still current)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from atlas_crawler.files import HISTORY, LATEST, default_runs_dir
from atlas_crawler.history.schema import HISTORY_TABLES, META, sqlite_table
from atlas_crawler.output.export.writers import euros_sql
from atlas_crawler.run.folders import is_run_folder
from atlas_crawler.serve.metadata import column_description

TITLE = "Historique de l'atlas"
DESCRIPTION = (
    "Chaque version de chaque projet et collectivité, telle que les passages successifs d'atlas-crawler "
    "l'ont lue : quand elle est apparue, quand elle a été remplacée ou retirée, les champs modifiés. "
    "Les requêtes ci-dessous comparent les versions, comptent les ajouts et retraits, et montrent l'atlas "
    "à une date. Dates in UTC; docs/HISTORY.md."
)
#: Facets shown open on each table.
FACETS: dict[str, list[str]] = {
    "runs": ["exit_code"],
    "changes": ["change", "type"],
    "field_changes": ["field"],
    "versions": ["type", "kind"],
}
#: What a row shows when another table refers to it: a version by its title or name, a
#: run by its start (the date every validity column uses).
LABELS = {"versions": "label", "runs": "started_at"}
#: The versions open at run ``{run}`` (see the module's docstring), for alias ``v``.
OPEN_AT = "v.from_run <= {run} AND (v.to_run IS NULL OR v.to_run > {run})"


def default_history(source: Path) -> Path | None:
    """The history beside the runs ``source`` belongs to (a run folder, ``latest``, or
    a file in one; else ATLAS_RUNS_DIR, else output/runs), when there is one."""
    folder = source if source.is_dir() else source.parent
    runs_dir = folder.parent if folder.name == LATEST or is_run_folder(folder) else default_runs_dir()
    found = runs_dir / HISTORY
    return found if found.is_file() else None


def copy_history(path: Path, directory: Path) -> Path:
    """``directory/history.sqlite``: a consistent copy of the store at ``path``, the
    one the server serves (a crawl may update the store meanwhile: sqlite3's backup
    copies it within one read transaction, never a half-written run)."""
    target = directory / HISTORY
    if target.resolve() == path.resolve():
        raise ValueError(f"{directory} holds the history itself: the server serves a copy, built elsewhere")
    directory.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    try:
        _backup(sqlite3.connect(f"file:{path}?mode=ro", uri=True), target)
    except sqlite3.OperationalError:
        # an update killed mid-write leaves a journal that only a writer rolls back
        # (read-only: "attempt to write a readonly database"): open it as one, once
        target.unlink(missing_ok=True)
        _backup(sqlite3.connect(path), target)
    return target


def _backup(source: sqlite3.Connection, target: Path) -> None:
    with closing(source), closing(sqlite3.connect(target)) as copy:
        source.backup(copy)


def history_metadata(database: Path) -> dict[str, Any]:
    """Datasette's metadata of the history ``database`` (its entry under ``databases``)."""
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        present = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    tables: dict[str, Any] = {META: {"hidden": True}}  # the store's format number, for the history's own use
    for table in (sqlite_table(t) for t in HISTORY_TABLES):
        if table.name not in present:
            continue
        spec: dict[str, Any] = {
            "title": table.title,
            "description": table.description,
            "columns": {c.name: column_description(c) for c in table.columns},
        }
        if table.name in FACETS:
            spec["facets"] = FACETS[table.name]
        if table.name in LABELS:
            spec["label_column"] = LABELS[table.name]
        tables[table.name] = spec
    return {"title": TITLE, "description": DESCRIPTION, "tables": tables, "queries": canned_queries()}


def canned_queries() -> dict[str, dict[str, Any]]:
    """The questions asked of the atlas over time, each a Datasette form."""
    return {
        "versions_d_un_projet": {
            "title": "Les versions d'un projet",
            "description": (
                "Every version of a project (its id), oldest first, side by side: from and until when the "
                "history held it, the last run that read it, its main fields and its funding total (exact "
                "euros; empty: no amount)."
            ),
            "sql": VERSIONS_OF_A_PROJECT,
        },
        "versions_d_une_collectivite": {
            "title": "Les versions d'une collectivité",
            "description": (
                "Every version of a collectivity (its kind, french or foreign, and its id), oldest first, "
                "with its name, type, place, website and number of projects."
            ),
            "sql": VERSIONS_OF_A_COLLECTIVITY,
        },
        "changements_d_un_enregistrement": {
            "title": "Les changements d'un enregistrement",
            "description": (
                "Each field a run found changed in a record (its id; type project or collectivity, empty for "
                "both), with its old and new value as JSON, by run."
            ),
            "sql": CHANGES_OF_A_RECORD,
        },
        "ajouts_et_retraits_par_mois": {
            "title": "Ajouts et retraits par mois",
            "description": (
                "Per month (of the runs' start, UTC) and record type: the records the runs added, removed, "
                "changed, and could not see (unknown: kept as they were), and the number of runs that month. "
                "The first run adds the whole atlas."
            ),
            "sql": ADDED_AND_REMOVED_PER_MONTH,
        },
        "projets_par_statut_dans_le_temps": {
            "title": "Projets par statut dans le temps",
            "description": (
                "Per run: the projects by status as the history knew the atlas after that run (its current "
                "versions then, including the projects a run could not see and kept as they were)."
            ),
            "sql": PROJECTS_BY_STATUS_PER_RUN,
        },
        "financements_par_pays_et_annee_par_passage": {
            "title": "Financements par pays et par année, passage par passage",
            "description": (
                "Per run, partner country and funding year: projects, funding lines and their exact sum in "
                "euros, over the projects as the history knew them after that run. A project with partners in "
                "two countries counts in both. Leave the country empty for every country."
            ),
            "sql": FUNDING_PER_COUNTRY_YEAR_AND_RUN,
        },
        "l_atlas_a_une_date": {
            "title": "L'atlas à une date",
            "description": (
                "The records as they stood on a date (YYYY-MM-DD, UTC; or a moment, 2026-12-07T03:15:00Z): as "
                "the last run started on or before the end of that day (or that moment) read them, the "
                "records that run could not see and kept as they were included. Type: project or "
                "collectivity, empty for both. « vu_la_derniere_fois » is the last "
                "run that read the record in that version, maybe after the date."
            ),
            "sql": ATLAS_ON_A_DATE,
        },
    }


# Each query reaches the versions through an index: versions(type, kind, id) for one
# record, versions(from_run) for the versions open at one run, and each record table's
# (version_id) for a version's rows. The queries per run never join the runs with their
# open versions (runs x versions rows: seconds on a hundred runs): they count each version
# +1 at the run that opened it and -1 at the run that ended it, and a running sum over
# the runs gives the count at each run (one pass over the versions).

VERSIONS_OF_A_PROJECT = f"""SELECT version, depuis, jusqu_a, vu_la_derniere_fois, titre, statut, thematique,
  sous_thematique, annee_de_debut, date_de_fin, premier_accord, forme_du_partenariat, ambassade,
  lignes_de_financement, {euros_sql("cents")} AS financement_eur, douteux
FROM (
  SELECT v.version_id AS version, v.valid_from AS depuis, v.valid_to AS jusqu_a,
    seen.started_at AS vu_la_derniere_fois, p.title AS titre, p.status AS statut, p.theme AS thematique,
    p.sub_theme AS sous_thematique, p.start_year AS annee_de_debut, p.end_date AS date_de_fin,
    p.first_agreement_year AS premier_accord, p.partnership_form AS forme_du_partenariat,
    p.embassy_name AS ambassade, v.doubted AS douteux,
    (SELECT count(*) FROM funding f WHERE f.version_id = v.version_id) AS lignes_de_financement,
    (SELECT sum(f.amount_cents) FROM funding f WHERE f.version_id = v.version_id) AS cents
  FROM versions v
  JOIN runs seen ON seen.run_no = v.last_seen_run
  LEFT JOIN projects p ON p.version_id = v.version_id
  WHERE v.type = 'project' AND v.kind IS NULL AND v.id = :id
)
ORDER BY version"""

VERSIONS_OF_A_COLLECTIVITY = """SELECT v.version_id AS version, v.valid_from AS depuis, v.valid_to AS jusqu_a,
  seen.started_at AS vu_la_derniere_fois, c.name AS nom, c.collectivity_type AS type, c.country AS pays,
  c.region AS region, c.department AS departement, c.website AS site,
  (SELECT count(*) FROM collectivity_projects cp WHERE cp.version_id = v.version_id) AS projets,
  v.doubted AS douteux
FROM versions v
JOIN runs seen ON seen.run_no = v.last_seen_run
LEFT JOIN collectivities c ON c.version_id = v.version_id
WHERE v.type = 'collectivity' AND v.kind = :kind AND v.id = :id
ORDER BY v.version_id"""

# field_changes is small (one row per changed field): scanned whole, whatever the type.
CHANGES_OF_A_RECORD = """SELECT r.run_no AS passage, r.started_at AS date, fc.type AS type, fc.kind AS genre,
  fc.id AS id, fc.field AS champ, fc.old AS avant, fc.new AS apres
FROM field_changes fc
JOIN runs r ON r.run_no = fc.run_no
WHERE fc.id = :id AND (:type = '' OR fc.type = :type)
ORDER BY fc.run_no, fc.type, fc.kind, fc.field"""

# Every month with a run shows every record type, zeros included.
ADDED_AND_REMOVED_PER_MONTH = """WITH months AS (
  SELECT substr(started_at, 1, 7) AS month, count(*) AS runs FROM runs GROUP BY month
), kinds AS (
  SELECT DISTINCT type, kind FROM versions
), counted AS (
  SELECT substr(r.started_at, 1, 7) AS month, c.type, c.kind,
    sum(c.change = 'added') AS added, sum(c.change = 'removed') AS removed,
    sum(c.change = 'changed') AS changed, sum(c.change = 'unknown') AS unknown
  FROM changes c JOIN runs r ON r.run_no = c.run_no
  GROUP BY month, c.type, c.kind
)
SELECT m.month AS mois, k.type AS type, k.kind AS genre, coalesce(n.added, 0) AS ajoutes,
  coalesce(n.removed, 0) AS retires, coalesce(n.changed, 0) AS modifies, coalesce(n.unknown, 0) AS inconnus,
  m.runs AS passages
FROM months m CROSS JOIN kinds k
LEFT JOIN counted n ON n.month = m.month AND n.type = k.type AND n.kind IS k.kind
ORDER BY m.month, k.type, k.kind"""

PROJECTS_BY_STATUS_PER_RUN = """WITH project_versions AS (
  SELECT v.from_run, v.to_run, p.status
  FROM versions v JOIN projects p ON p.version_id = v.version_id
  WHERE v.type = 'project'
), moves AS (
  SELECT from_run AS run_no, status, 1 AS n FROM project_versions
  UNION ALL
  SELECT to_run, status, -1 FROM project_versions WHERE to_run IS NOT NULL
), per_run AS (
  SELECT run_no, status, sum(n) AS n FROM moves GROUP BY run_no, status
), running AS (
  SELECT r.run_no, r.started_at, s.status,
    sum(coalesce(m.n, 0)) OVER (PARTITION BY s.status ORDER BY r.run_no) AS projects
  FROM runs r
  CROSS JOIN (SELECT DISTINCT status FROM per_run) s
  LEFT JOIN per_run m ON m.run_no = r.run_no AND m.status IS s.status
)
SELECT run_no AS passage, started_at AS date, status AS statut, projects AS projets
FROM running
WHERE projects > 0
ORDER BY run_no, status"""

# A version counts once per partner country (two partners in one country: once there).
FUNDING_PER_COUNTRY_YEAR_AND_RUN = f"""WITH contributions AS (
  SELECT v.from_run, v.to_run, fp.country, f.year, count(*) AS lines, coalesce(sum(f.amount_cents), 0) AS cents
  FROM versions v
  JOIN (SELECT DISTINCT version_id, country FROM foreign_partners WHERE country IS NOT NULL) fp
    ON fp.version_id = v.version_id
  JOIN funding f ON f.version_id = v.version_id
  WHERE v.type = 'project' AND (:pays = '' OR fp.country = :pays)
  GROUP BY v.version_id, fp.country, f.year
), moves AS (
  SELECT from_run AS run_no, country, year, 1 AS projects, lines, cents FROM contributions
  UNION ALL
  SELECT to_run, country, year, -1, -lines, -cents FROM contributions WHERE to_run IS NOT NULL
), per_run AS (
  SELECT run_no, country, year, sum(projects) AS projects, sum(lines) AS lines, sum(cents) AS cents
  FROM moves GROUP BY run_no, country, year
), running AS (
  SELECT r.run_no, r.started_at, c.country, c.year,
    sum(coalesce(m.projects, 0)) OVER cell AS projects, sum(coalesce(m.lines, 0)) OVER cell AS lines,
    sum(coalesce(m.cents, 0)) OVER cell AS cents
  FROM runs r
  CROSS JOIN (SELECT DISTINCT country, year FROM per_run) c
  LEFT JOIN per_run m ON m.run_no = r.run_no AND m.country = c.country AND m.year IS c.year
  WINDOW cell AS (PARTITION BY c.country, c.year ORDER BY r.run_no)
)
SELECT run_no AS passage, started_at AS date, country AS pays, year AS annee, projects AS projets,
  lines AS lignes, {euros_sql("cents")} AS montant_eur
FROM running
WHERE projects > 0
ORDER BY run_no, country, year"""

# ``started_at`` is UTC text (2026-01-12T03:00:00Z): a day means up to its last second; a
# moment (2026-01-12T03:00:00Z) is taken as it is.
ATLAS_ON_A_DATE = f"""WITH that_run AS (
  SELECT max(run_no) AS run_no FROM runs
  WHERE started_at <= CASE WHEN length(:date) = 10 THEN :date || 'T23:59:59Z' ELSE :date END
)
SELECT v.type AS type, v.kind AS genre, v.id AS id, v.label AS nom, v.valid_from AS depuis,
  v.valid_to AS jusqu_a, seen.started_at AS vu_la_derniere_fois
FROM that_run t
JOIN versions v ON {OPEN_AT.format(run="t.run_no")}
JOIN runs seen ON seen.run_no = v.last_seen_run
WHERE :type = '' OR v.type = :type
ORDER BY v.type, v.kind, v.id"""
