"""Canned queries for the questions people ask of the atlas: funding per country and
year, the projects of a collectivity, the collectivities of a region. Datasette shows
each as a form (its ``:parameters``) and a table that downloads as CSV or JSON."""

from __future__ import annotations

from typing import Any

import sqlite_utils


def amount_sql(db: sqlite_utils.Database) -> str:
    """The exact sum of the funding lines' amounts in euros, as text with two decimals:
    from integer cents when the export stores them (``amount_*_cents``), else rounded
    from the euros (a sum of floats is not exact)."""
    columns = db["funding"].columns_dict
    cents = next((name for name in columns if name.startswith("amount") and name.endswith("cents")), None)
    if cents:
        return f"printf('%d.%02d', sum(f.[{cents}]) / 100, sum(f.[{cents}]) % 100)"
    return "printf('%.2f', sum(f.amount_eur))"


def canned_queries(db: sqlite_utils.Database) -> dict[str, dict[str, Any]]:
    total = amount_sql(db)
    return {
        "financements_par_pays_et_annee": {
            "title": "Financements par pays et par année",
            "description": (
                "The funding lines summed per partner country and year (the line's « Année »). A project "
                "with partners in two countries counts in both; lines without an amount count as projects only. "
                "Leave the country empty for every country."
            ),
            "sql": f"""SELECT p.place AS pays, f.year AS annee, count(DISTINCT f.project_id) AS projets,
  count(*) AS lignes, {total} AS montant_eur
FROM funding f
JOIN (SELECT DISTINCT project_id, country AS place FROM foreign_partners WHERE country IS NOT NULL) p
  ON p.project_id = f.project_id
WHERE :pays = '' OR p.place = :pays
GROUP BY p.place, f.year
ORDER BY p.place, f.year""",
        },
        "projets_d_une_collectivite": {
            "title": "Les projets d'une collectivité",
            "description": "The projects listed on a collectivity's page; part of its name is enough.",
            "sql": """SELECT c.ref AS collectivite, c.name AS nom, p.id AS projet, p.title AS titre,
  p.start_year AS debut, p.status AS statut, p.theme AS thematique
FROM collectivities c
JOIN collectivity_projects cp ON cp.collectivity = c.ref
LEFT JOIN projects p ON p.id = cp.project_id
WHERE c.name LIKE '%' || :collectivite || '%'
ORDER BY c.name, p.start_year, cp.project_id""",
        },
        "collectivites_d_une_region": {
            "title": "Les collectivités d'une région",
            "description": "The French collectivities of a region (part of its name is enough), with their projects.",
            "sql": """SELECT c.ref AS collectivite, c.name AS nom, c.collectivity_type AS type,
  c.department AS departement, c.region AS region, count(cp.project_id) AS projets
FROM collectivities c
LEFT JOIN collectivity_projects cp ON cp.collectivity = c.ref
WHERE c.kind = 'french' AND c.region LIKE '%' || :region || '%'
GROUP BY c.ref
ORDER BY c.region, c.name""",
        },
    }
