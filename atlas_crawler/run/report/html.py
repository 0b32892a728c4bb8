"""The run report as one self-contained HTML page (``report.html`` beside
``report.json``): the run's health and charts of the data, in French.

Inline CSS and SVG only: no script, font, image or stylesheet is fetched (a
Content-Security-Policy says so to the browser), so the file opens anywhere,
offline, and can be mailed or archived as it is. Charts are drawn here rather
than with a plotting library: a few ranked bars need no dependency and no JavaScript.

``python -m atlas_crawler.report_html REPORT.json [--records RECORDS.jsonl]``"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from atlas_crawler.extract.text import label_key
from atlas_crawler.files import records_of_report, report_view, write_atomically
from atlas_crawler.items import RECORD_TYPES
from atlas_crawler.records import RecordsFileError, read_records

logger = logging.getLogger(__name__)

#: How a funder's name gives its type: the first rule with a word of the name wins
#: (names folded as labels are: no accents, lower case). A funder that is one of the
#: crawl's foreign collectivities is "Collectivités étrangères" before any rule.
FUNDER_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("État", ("ministere", "ambassade", "etat", "prefecture", "agence francaise de developpement", "afd",
              "scac", "daect", "gouvernement francais")),
    ("Union européenne", ("union europeenne", "commission europeenne", "europeaid", "feder")),
    ("Agences de l'eau", ("agence de l'eau",)),
    ("Régions", ("region", "conseil regional", "collectivite territoriale")),
    ("Départements", ("departement", "conseil departemental", "conseil general")),
    ("Communes et intercommunalités", ("commune", "ville", "mairie", "municipalite", "communaute", "metropole",
                                       "syndicat", "s.a.n", "agglomeration", "intercommunal")),
    ("Associations et fondations", ("association", "fondation", "ong", "federation", "comite de jumelage")),
)  # fmt: skip
FOREIGN_FUNDER = "Collectivités étrangères"
OTHER_FUNDER = "Autres"
_RULES = [(kind, re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, words)) + r")(?![\w])")) for kind, words in
          FUNDER_TYPES]  # fmt: skip
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_MAX_BARS = 30


def funder_type(name: str | None, foreign_names: frozenset[str] = frozenset()) -> str:
    """The funder type of a funding line (see ``FUNDER_TYPES``)."""
    key = label_key(name)
    if not key:
        return OTHER_FUNDER
    if key in foreign_names:
        return FOREIGN_FUNDER
    for kind, rule in _RULES:
        if rule.search(key):
            return kind
    return OTHER_FUNDER


# --- the data ------------------------------------------------------------------
class DataSummary:
    """Counts over the records, read once (a 13,000-record file is streamed)."""

    def __init__(self) -> None:
        self.projects = 0
        self.collectivities: Counter[str] = Counter()
        self.countries: Counter[str] = Counter()
        self.themes: Counter[str] = Counter()
        self.years: Counter[int] = Counter()
        self.no_year = 0
        self.regions: Counter[str] = Counter()
        self.funding: list[tuple[str, float | None]] = []
        self.foreign_names: set[str] = set()
        self.french_names: set[str] = set()

    def add(self, record: dict[str, Any]) -> None:
        if record.get("type") == "project":
            self.projects += 1
            countries = {p.get("country") or "(pays non indiqué)" for p in record.get("foreign_partners") or ()}
            self.countries.update(countries or {"(sans partenaire étranger)"})
            self.themes[record.get("theme") or "(sans thématique)"] += 1
            if isinstance(record.get("start_year"), int):
                self.years[record["start_year"]] += 1
            else:
                self.no_year += 1
            self.funding += [(line.get("funder"), line.get("amount_eur")) for line in record.get("funding") or ()]
        elif record.get("type") == "collectivity":
            kind = record.get("kind") or "?"
            self.collectivities[kind] += 1
            if kind == "french":
                self.regions[record.get("region") or "(région non indiquée)"] += 1
            names = self.french_names if kind == "french" else self.foreign_names
            names.add(label_key(record.get("name")))

    def funding_by_type(self) -> tuple[Counter[str], Counter[str]]:
        """(euros, lines) per funder type."""
        names = frozenset(self.foreign_names - self.french_names)  # a name both sides use says nothing
        euros: Counter[str] = Counter()
        lines: Counter[str] = Counter()
        for funder, amount in self.funding:
            kind = funder_type(funder, names)
            lines[kind] += 1
            euros[kind] += amount or 0
        return euros, lines


# --- formatting ------------------------------------------------------------------
def number(value: float | int | None, decimals: int = 0) -> str:
    """French: narrow no-break space between thousands, decimal comma."""
    if value is None:
        return "—"
    text = f"{value:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")
    return text


def percent(ratio: float) -> str:
    return f"{number(ratio * 100, 1)}\u00a0%"


def euros(value: float) -> str:
    return f"{number(value)}\u00a0€"


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def when(iso: str | None) -> str:
    """``2026-11-26T04:20:25Z`` -> ``26/11/2026 à 04:20 UTC``."""
    try:
        moment = datetime.fromisoformat(str(iso))
    except ValueError:
        return str(iso or "?")
    return f"{moment:%d/%m/%Y à %H:%M} UTC"


#: Scrapy's finish reasons, in French (others are shown as they are).
FINISH_REASONS = {
    "finished": "terminé",
    "shutdown": "arrêté (signal)",
    "cancelled": "annulé",
    "closespider_timeout": "arrêté : durée maximale",
    "closespider_itemcount": "arrêté : nombre maximal d'enregistrements",
    "closespider_pagecount": "arrêté : nombre maximal de pages",
    "closespider_errorcount": "arrêté : trop d'erreurs",
}


# --- charts ----------------------------------------------------------------------
def bar_chart(title: str, items: Sequence[tuple[str, float]], fmt=number, note: str = "") -> str:
    """Ranked horizontal bars, largest first; beyond ``_MAX_BARS`` the rest are one bar."""
    ranked = sorted(items, key=lambda kv: (-kv[1], kv[0]))
    if len(ranked) > _MAX_BARS:
        rest = ranked[_MAX_BARS - 1 :]
        ranked = [*ranked[: _MAX_BARS - 1], (f"{len(rest)} autres", sum(v for _, v in rest))]
    if not ranked:
        return _figure(title, '<p class="empty">Aucune donnée.</p>', note)
    width, label_w, row = 760, 260, 22
    bar_w = width - label_w - 110
    top = max(v for _, v in ranked) or 1
    height = row * len(ranked) + 8
    parts = []
    for i, (label, value) in enumerate(ranked):
        y = 4 + i * row
        w = max(1.0, bar_w * value / top) if value else 0
        short = label if len(label) <= 38 else label[:37] + "…"
        parts.append(
            f"<g><title>{_e(label)} : {_e(fmt(value))}</title>"
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{_e(short)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 7}" rx="2"></rect>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" class="value">{_e(fmt(value))}</text></g>'
        )
    svg = (
        f'<svg class="chart" role="img" aria-label="{_e(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'
    )
    return _figure(title, svg, note)


def column_chart(title: str, counts: dict[int, int], note: str = "") -> str:
    """One column per year, from the first to the last (years without a project included)."""
    if not counts:
        return _figure(title, '<p class="empty">Aucune donnée.</p>', note)
    first, last = min(counts), max(counts)
    years = list(range(first, last + 1))
    width, height, left, bottom = 760, 220, 40, 24
    step = (width - left - 10) / len(years)
    top = max(counts.values())
    parts = [f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}"></line>']
    for tick in sorted({0, top // 2, top}):
        y = height - bottom - (height - bottom - 10) * tick / top
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{number(tick)}</text>')
    for i, year in enumerate(years):
        n = counts.get(year, 0)
        h = (height - bottom - 10) * n / top
        x = left + i * step
        parts.append(
            f'<g><title>{year} : {number(n)} projet(s)</title><rect x="{x + 1:.1f}" y="{height - bottom - h:.1f}" '
            f'width="{max(step - 2, 1):.1f}" height="{h:.1f}"></rect></g>'
        )
        if year % 5 == 0 or len(years) <= 12:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{height - 6}" text-anchor="middle">{year}</text>')
    svg = (
        f'<svg class="chart" role="img" aria-label="{_e(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'
    )
    return _figure(title, svg, note)


def _figure(title: str, body: str, note: str = "") -> str:
    caption = f'<p class="note">{note}</p>' if note else ""
    return f"<figure><figcaption>{_e(title)}</figcaption>{body}{caption}</figure>"


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td{' class=num' if i in numeric else ''}>{cell}</td>" for i, cell in enumerate(r)) + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# --- the run's health ------------------------------------------------------------
_RECORD_NAMES = {t.name: t.title.lower() for t in RECORD_TYPES}


def _cards(report: dict[str, Any]) -> str:
    records = report.get("records") or {}
    failures = report.get("failures") or []
    lists = report.get("lists") or {}
    doubts = report.get("doubts") or {}
    ok = report.get("finish_reason") == "finished" and not failures and not report.get("invalid_records")
    cards = [
        ("Fin du passage", _e(FINISH_REASONS.get(report.get("finish_reason"), report.get("finish_reason", "—"))),
         "good" if ok else "bad"),
        *[(f"Enregistrements : {_RECORD_NAMES.get(k, k)}", number(v), "") for k, v in records.items()],
        ("Pages lues", number(report.get("pages_fetched")), ""),
        ("Pages lues deux fois", number(report.get("redundant_fetches")), "bad" if report.get("redundant_fetches")
         else ""),
        ("Requêtes / reprises", f"{number(report.get('requests'))} / {number(report.get('retries'))}", ""),
        ("Pages en échec", number(len(failures)), "bad" if failures else "good"),
        ("Enregistrements refusés", number(len(report.get("invalid_records") or [])),
         "bad" if report.get("invalid_records") else "good"),
        ("Listes complètes", f"{number(lists.get('complete'))} / {number(lists.get('checked'))}",
         "good" if lists.get("complete") == lists.get("checked") else "bad"),
        *([("Enregistrements douteux", number(doubts.get("records")), "bad" if doubts.get("records") else "good")]
          if doubts else []),
        ("Durée", f"{number(report.get('duration_seconds'), 1)}\u00a0s", ""),
    ]  # fmt: skip
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card {cls}"><span>{_e(label)}</span><strong>{value}</strong></div>'
            for label, value, cls in cards
        )
        + "</div>"
    )


def _reason(text: str) -> str:
    """A failure's reason without its details: ``HTTP 503`` of ``HTTP 503 (table page …)``,
    ``soft error`` of ``soft error: Erreur technique``."""
    return re.split(r":|\s\(", text, maxsplit=1)[0].strip() or text


def health(report: dict[str, Any]) -> str:
    out = ["<h2>État du passage</h2>", _cards(report)]
    period = f"du {_e(when(report.get('started_at')))} au {_e(when(report.get('finished_at')))}"
    runs = report.get("runs") or 1
    out.append(
        f'<p class="meta">Atlas : <code>{_e(report.get("base_url", "—"))}</code> — entrée : '
        f"{_e(report.get('entry', '—'))} — {period}{f' — {runs} passages (reprise)' if runs > 1 else ''}</p>"
    )
    for warning in report.get("warnings") or []:
        out.append(f'<p class="warning">⚠ {_e(warning)}</p>')
    failures = report.get("failures") or []
    if failures:
        reasons = Counter(_reason(f.get("reason", "?")) for f in failures)
        out.append(bar_chart("Pages en échec, par raison", list(reasons.items())))
        out.append(
            "<details><summary>Les pages en échec</summary>"
            + _table(["Adresse", "Raison"], ([_e(f.get("url")), _e(f.get("reason"))] for f in failures))
            + "</details>"
        )
    else:
        out.append("<p>Aucune page en échec.</p>")
    out.append(_page_ends(report))
    out.append(_lists(report.get("lists") or {}))
    out.append(_monitors(report.get("monitors") or {}))
    out.append(_coverage(report.get("field_coverage") or {}))
    if report.get("unreadable"):
        out.append(_unreadable(report["unreadable"]))
    if report.get("doubts"):
        out.append(_doubts(report["doubts"]))
    if report.get("invalid_records"):
        rows = ([_e(r.get("type")), _e(r.get("id")), _e("; ".join(map(str, r.get("errors", []))))]
                for r in report["invalid_records"])  # fmt: skip
        out.append("<h3>Enregistrements refusés par le schéma</h3>" + _table(["Type", "Id", "Erreurs"], rows))
    if report.get("changes"):
        out.append(_changes(report["changes"]))
    return "\n".join(out)


def _page_ends(report: dict[str, Any]) -> str:
    """What became of each record page the atlas linked: written, failed, skipped (with
    the rule), and any the crawler lost track of (a bug, named)."""
    pages = report.get("pages") or {}
    if not pages:
        return ""
    out = [
        "<h3>Pages d'enregistrement liées par l'atlas</h3>",
        f"<p>{number(pages.get('linked'))} liées : {number(pages.get('written'))} écrites, "
        f"{number(pages.get('failed'))} en échec, {number(pages.get('skipped'))} non lues (règle), "
        f"{number(pages.get('duplicates'))} doublons, {number(pages.get('rejected'))} refusées.</p>",
    ]
    skipped = report.get("skipped") or []
    if skipped:
        out.append(
            "<details><summary>Les pages non lues, et la règle qui les a écartées</summary>"
            + _table(["Adresse", "Règle"], ([_e(s.get("url")), _e(s.get("rule"))] for s in skipped))
            + "</details>"
        )
    lost = pages.get("unaccounted") or []
    if lost:
        out.append(
            f'<p class="warning">⚠ {number(len(lost))} pages ni écrites, ni en échec, ni écartées : '
            "une erreur du robot, à signaler avec ce rapport.</p>" + _table(["Adresse"], ([_e(url)] for url in lost))
        )
    return "\n".join(out)


def _lists(lists: dict[str, Any]) -> str:
    out = [
        f"<h3>Listes</h3><p>{number(lists.get('complete'))} listes sur {number(lists.get('checked'))} ont écrit "
        "autant d'enregistrements qu'elles en annoncent.</p>"
    ]
    incomplete = lists.get("incomplete") or []
    if incomplete:
        rows = (
            [_e(i.get("url")), number(i.get("announced")), number(i.get("listed")), number(i.get("written")),
             _e(", ".join(i.get("missing_ids") or []))]
            for i in incomplete
        )  # fmt: skip
        out.append(_table(["Liste incomplète", "Annoncés", "Listés", "Écrits", "Ids manquants"], rows, (1, 2, 3)))
    return "".join(out)


def _monitors(monitors: dict[str, Any]) -> str:
    if not monitors:
        return ""
    rows = (
        [_e(name), '<span class="good">réussi</span>' if m.get("passed") else '<span class="bad">échoué</span>',
         _e(m.get("reason") or "")]
        for name, m in monitors.items()
    )  # fmt: skip
    return "<h3>Contrôles (Spidermon)</h3>" + _table(["Contrôle", "Résultat", "Pourquoi"], rows)


def _coverage(coverage: dict[str, Any]) -> str:
    out = ["<h3>Champs trouvés</h3>"]
    for record_type, entry in coverage.items():
        fields = entry.get("fields") or {}
        items = [(name, float(f.get("ratio") or 0)) for name, f in fields.items() if name != "type"]
        name = _RECORD_NAMES.get(record_type, record_type)
        never = entry.get("never_found") or []
        note = f"Jamais trouvés : {_e(', '.join(never))}." if never else "Chaque champ a été trouvé au moins une fois."
        out.append(bar_chart(f"Part des {name} où le champ est renseigné ({number(entry.get('records'))})",
                             items, percent, note))  # fmt: skip
    return "".join(out)


def _unreadable(unreadable: dict[str, Any]) -> str:
    rows = []
    for path, value in unreadable.items():
        entry = value if isinstance(value, dict) else {"count": value}
        example = entry.get("example") or {}
        text = example.get("text") if isinstance(example, dict) else example
        rows.append([_e(path), number(entry.get("count")), _e(text or "")])
    return "<h3>Valeurs illisibles (gardées dans <code>extra</code>)</h3>" + _table(
        ["Champ", "Nombre", "Exemple"], rows, (1,)
    )


#: The doubt rules (atlas_crawler.extract.doubts), in French.
DOUBT_RULES = {
    "unclaimed_text": "texte que rien n'explique",
    "claimed_twice": "texte lu deux fois",
    "misplaced_vocabulary": "libellé connu à une place inattendue",
    "implausible_value": "valeur invraisemblable",
    "ambiguous_structure": "structure ambiguë",
}


def _link(url: str | None) -> str:
    return f'<a href="{_e(url)}">{_e(url)}</a>' if url else "—"


def _doubts(doubts: dict[str, Any]) -> str:
    """The doubted records: how many, the reasons grouped by wording, a few examples,
    and the page chrome learnt (set aside, to be declared)."""
    out = [
        "<h3>Enregistrements douteux</h3>",
        f"<p>{number(doubts.get('records'))} enregistrement(s) écrit(s) avec des doutes : la lecture a laissé du "
        "texte de leur page sans explication, ou l'a lu de deux façons. Ils sont tous dans "
        f"<code>{_e(doubts.get('file'))}</code>.</p>",
    ]
    groups = doubts.get("groups") or []
    if groups:
        rows = (
            [_e(DOUBT_RULES.get(g.get("rule"), g.get("rule"))), _e(g.get("field") or "—"), _e(g.get("text")),
             number(g.get("records")), _link(g.get("example_url"))]
            for g in groups
        )  # fmt: skip
        out.append(
            "<p>Les raisons, regroupées par règle, champ et texte, les plus fréquentes d'abord : une règle "
            "écrite pour un groupe lève le doute sur tous ses enregistrements.</p>"
            + _table(["Règle", "Champ", "Texte", "Enregistrements", "Exemple"], rows, (3,))
        )
    examples = doubts.get("examples") or []
    if examples:
        rows = (
            [_e(r.get("type")), _e(r.get("kind") or ""), _e(r.get("id")), _link(r.get("url")),
             "<br>".join(f"{_e(DOUBT_RULES.get(x.get('rule'), x.get('rule')))} : « {_e(x.get('text'))} »"
                         for x in r.get("reasons") or [])]
            for r in examples
        )  # fmt: skip
        out.append(
            "<details><summary>Exemples d'enregistrements douteux</summary>"
            + _table(["Type", "Genre", "Id", "Page", "Raisons"], rows)
            + "</details>"
        )
    learnt = doubts.get("boilerplate") or {}
    if learnt:
        items = "".join(
            f"<li>{_e(_RECORD_NAMES.get(kind, kind))} : " + " ; ".join(f"« {_e(t)} »" for t in texts) + "</li>"
            for kind, texts in learnt.items()
        )
        out.append(
            "<p>Textes présents sur la plupart des pages d'un type, mis de côté comme habillage du site (à "
            f"déclarer dans le type de page) :</p><ul>{items}</ul>"
        )
    return "".join(out)


def _changes(changes: Any) -> str:
    """The changes since the previous complete run (a run folder's report):
    ``{"since": run, "counts": {record type: {added, removed, changed, unknown}}}``;
    any other shape is shown as it is."""
    title = "<h3>Changements depuis le passage précédent</h3>"
    if not (isinstance(changes, dict) and isinstance(changes.get("counts"), dict)):
        return title + f"<pre>{_e(json.dumps(changes, ensure_ascii=False, indent=2))}</pre>"
    if not changes.get("since"):
        return title + "<p>Aucun passage complet antérieur avec lequel comparer.</p>"
    counts = changes["counts"]
    intro = f"<p>Depuis le passage {_e(changes['since'])}" + (" : aucun changement.</p>" if not counts else " :</p>")
    if not counts:
        return title + intro
    words = {"added": "ajoutés", "removed": "retirés", "changed": "modifiés", "unknown": "inconnus (page en échec)"}
    columns = list(dict.fromkeys(k for v in counts.values() for k in v))
    rows = ([_e(kind), *(number(v.get(c)) for c in columns)] for kind, v in counts.items())
    return title + intro + _table(["Type", *(words.get(c, c) for c in columns)], rows, range(1, len(columns) + 1))


# --- the data ----------------------------------------------------------------------
def data_section(summary: DataSummary) -> str:
    euros_by_type, lines_by_type = summary.funding_by_type()
    out = [
        "<h2>Les données</h2>",
        f'<p class="meta">{number(summary.projects)} projets, '
        f"{number(summary.collectivities.get('french', 0))} collectivités françaises, "
        f"{number(summary.collectivities.get('foreign', 0))} collectivités étrangères.</p>",
        bar_chart("Projets par pays partenaire", list(summary.countries.items()),
                  note="Un projet compte une fois dans chaque pays de ses partenaires étrangers."),
        bar_chart("Projets par thématique principale", list(summary.themes.items())),
        column_chart("Projets par année de début", dict(summary.years),
                     note=f"{number(summary.no_year)} projet(s) sans année de début." if summary.no_year else ""),
        bar_chart("Collectivités françaises par région", list(summary.regions.items())),
        bar_chart(
            "Financements par type de financeur (euros, toutes années)",
            list(euros_by_type.items()),
            euros,
            "Type déduit des mots du nom du financeur (« Ministère… » : État, « Région… » : Régions, etc.) ; "
            "les montants vides comptent pour 0. Lignes : "
            + ", ".join(f"{_e(k)} {number(v)}" for k, v in sorted(lines_by_type.items())) + ".",
        ),
    ]  # fmt: skip
    return "\n".join(out)


_STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2733;margin:0;background:#f6f7f9}
main{max-width:1000px;margin:0 auto;padding:24px}
h1{font-size:1.6em;margin:0 0 4px}h2{margin-top:36px;border-bottom:2px solid #d5dbe3;padding-bottom:4px}
.meta{color:#566273}.note{color:#566273;font-size:.9em;margin:4px 0 0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px}
.card{background:#fff;border:1px solid #d5dbe3;border-left:5px solid #8da2bb;border-radius:6px;padding:8px 10px}
.card span{display:block;font-size:.82em;color:#566273}.card strong{font-size:1.35em}
.card.good{border-left-color:#2e8b57}.card.bad{border-left-color:#c0392b}
span.good{color:#2e8b57;font-weight:600}span.bad{color:#c0392b;font-weight:600}
.warning{background:#fff4e0;border:1px solid #f0c36d;padding:6px 10px;border-radius:4px}
figure{background:#fff;border:1px solid #d5dbe3;border-radius:6px;margin:16px 0;padding:12px;overflow-x:auto}
figcaption{font-weight:600;margin-bottom:6px}
svg.chart{display:block;max-width:100%;height:auto;font-size:12px}
svg.chart rect{fill:#3d6fa8}svg.chart text{fill:#1d2733}svg.chart text.value{fill:#566273}
svg.chart line{stroke:#8da2bb}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.9em;margin:8px 0}
th,td{border:1px solid #d5dbe3;padding:4px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
td.num{text-align:right;white-space:nowrap}thead{background:#eef1f5}
code{font-size:.9em}footer{color:#566273;font-size:.85em;margin-top:40px}
"""


def render_html(report: dict[str, Any], records: Iterable[dict[str, Any]] | None = None) -> str:
    """The whole page, from a run report and (when given) the run's records."""
    if records is not None:
        summary = DataSummary()
        for record in records:
            summary.add(record)
        data = data_section(summary)
    else:
        data = "<h2>Les données</h2><p>Les enregistrements de ce passage n'ont pas été fournis.</p>"
    title = f"Atlas de la coopération décentralisée — passage du {when(report.get('finished_at'))}"
    return f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<main>
<h1>{_e(title)}</h1>
{health(report)}
{data}
<footer>Page produite par atlas-crawler à partir du rapport de passage (JSON) et des enregistrements ;
elle ne charge rien d'autre. Les champs sont décrits dans docs/DATA.md.</footer>
</main>
</body>
</html>
"""


def write_html(report_json_path: Path | str, records_path: Path | str | None = None) -> Path:
    """Write ``report.html`` beside ``report_json_path``; the data charts come from
    ``records_path``, else from the records beside the report, else are left out."""
    report_path = Path(report_json_path)
    report = json.loads(report_path.read_text("utf-8"))
    source = Path(records_path) if records_path else records_of_report(report_path)
    try:
        page = render_html(report, read_records(source, torn_end=True) if source and source.is_file() else None)
    except RecordsFileError as error:
        logger.warning("report view drawn without the data charts: %s", error)
        page = render_html(report, None)
    out = report_view(report_path)
    write_atomically(out, page.encode("utf-8"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m atlas_crawler.report_html", description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="a run report (report.json, atlas.report.json)")
    parser.add_argument("--records", type=Path, help="the run's records (default: the JSON Lines beside the report)")
    args = parser.parse_args(argv)
    print(write_html(args.report, args.records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
