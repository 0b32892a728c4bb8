"""The run report as one self-contained HTML page (``report.html`` beside
``report.json``): the run's health and charts of the data, in French.

Inline CSS and SVG only: no script, font, image or stylesheet is fetched (a
Content-Security-Policy says so to the browser), so the file opens anywhere,
offline, and can be mailed or archived as it is. Charts are drawn here rather
than with a plotting library: a few ranked bars need no dependency and no JavaScript.

It opens with the run's outcome (complete, complete with pages the site refused,
incomplete and why), is written in French throughout (``words``), reads at 390 px
(tables and wide charts scroll inside their own box), and in a run folder shows the
trend across the earlier runs (``trend``).

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

from atlas_crawler import outcome
from atlas_crawler.extract.text import label_key
from atlas_crawler.files import records_of_report, report_view, write_atomically
from atlas_crawler.records import RecordsFileError, read_records
from atlas_crawler.run.report import words
from atlas_crawler.run.report.trend import RunSummary, earlier_runs, trend_section
from atlas_crawler.run.report.words import number

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


# --- charts ----------------------------------------------------------------------
def bar_chart(title: str, items: Sequence[tuple[str, float]], fmt=number, note: str = "") -> str:
    """Ranked horizontal bars, largest first; beyond ``_MAX_BARS`` the rest are one bar
    (the data charts: a country list can be long). HTML rather than SVG: the label
    goes above its bar on a narrow screen, and text keeps its size at any width."""
    ranked = sorted(items, key=lambda kv: (-kv[1], kv[0]))
    if len(ranked) > _MAX_BARS:
        rest = ranked[_MAX_BARS - 1 :]
        ranked = [*ranked[: _MAX_BARS - 1], (f"{len(rest)} autres", sum(v for _, v in rest))]
    if not ranked:
        return _figure(title, '<p class="empty">Aucune donnée.</p>', note)
    top = max(v for _, v in ranked) or 1
    rows = "".join(_bar(label, fmt(value), value / top) for label, value in ranked)
    return _figure(title, f'<div class="bars" role="list" aria-label="{_e(title)}">{rows}</div>', note)


def _bar(label: str, shown: str, share: float) -> str:
    width = f"{max(0.5, 100 * share):.1f}" if share else "0"
    return (
        f'<div class="bar" role="listitem" title="{_e(label)} : {_e(shown)}"><span class="label">{_e(label)}</span>'
        f'<span class="track"><span class="fill" style="width:{width}%"></span></span>'
        f'<span class="value">{_e(shown)}</span></div>'
    )


def column_chart(title: str, counts: dict[int, int], note: str = "") -> str:
    """One column per year, from the first to the last (years without a project included)."""
    if not counts:
        return _figure(title, '<p class="empty">Aucune donnée.</p>', note)
    first, last = min(counts), max(counts)
    years = list(range(first, last + 1))
    width, height, left, bottom = 600, 220, 40, 24  # at least 600 px wide (CSS): 12 px text on a phone
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
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


# --- the outcome --------------------------------------------------------------------
def run_outcome(report: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The run's outcome as the crawl command wrote it into the report (``outcome``),
    or, in a report without one (drawn before the command had judged the run, or by
    a crawl started otherwise), as ``atlas_crawler.outcome`` judges the report:
    ``(outcome, judged here)``."""
    given = report.get("outcome")
    if isinstance(given, dict) and isinstance(given.get("exit_code"), int):
        return given, False
    return outcome.result(report, outcome.exit_code(report), "no report"), True


def outcome_line(result: dict[str, Any]) -> str:
    """``Résultat : complet avec 3 pages refusées par le site (code 0)``, ``Résultat :
    incomplet (code 1) — 2 pages en échec après les reprises ; …`` (plain text)."""
    code = result.get("exit_code")
    gaps = result.get("known_gaps") or []
    if code == outcome.EXIT_COMPLETE and gaps:
        n = len(gaps)
        said = f"complet avec {n} {'page refusée' if n == 1 else 'pages refusées'} par le site"
    else:
        said = words.outcome_word(code) if isinstance(code, int) else "inconnu"
    reasons = [words.because(r) for r in result.get("incomplete_because") or []]
    return f"Résultat : {said} (code {code})" + (f" — {' ; '.join(reasons)}" if reasons else "")


def outcome_section(report: dict[str, Any]) -> str:
    """The first thing on the page: complete or not, and why; the pages the site
    refused in a run complete with them."""
    result, judged_here = run_outcome(report)
    code = result.get("exit_code")
    gaps = result.get("known_gaps") or []
    kind = "bad" if code != outcome.EXIT_COMPLETE else "gaps" if gaps else "good"
    out = [f'<section class="outcome {kind}" id="resultat"><p class="verdict">{_e(outcome_line(result))}</p>']
    if judged_here:
        out.append('<p class="note">D\'après ce rapport : la commande de passage n\'y a pas (encore) écrit sa '
                   "conclusion.</p>")  # fmt: skip
    if gaps:
        allowed = (report.get("tolerance") or {}).get("allowed")
        out.append(
            "<p>Le site lui-même refuse ces pages (sa page d'erreur à chaque reprise, ou 404/410 pour une page "
            "qu'il liste) : leurs enregistrements manquent, comptés « inconnus » dans les changements ; le reste "
            "du passage est complet et publié"
            + (f" (tolérance : {number(allowed)} page(s))" if isinstance(allowed, int) else "") + ".</p>"
            + _table(["Page refusée", "Raison"],
                     ([_link(g.get("url")), _e(words.failure_reason(str(g.get("reason"))))] for g in gaps))
        )  # fmt: skip
    out.append("</section>")
    return "".join(out)


# --- the run's health ------------------------------------------------------------
def _cards(report: dict[str, Any]) -> str:
    records = report.get("records") or {}
    failures = report.get("failures") or []
    lists = report.get("lists") or {}
    doubts = report.get("doubts") or {}
    gaps = len(run_outcome(report)[0].get("known_gaps") or [])
    finished = report.get("finish_reason") == outcome.REASON_FINISHED
    failed_class = "good" if not failures else "gaps" if gaps == len(failures) else "bad"
    short = lists.get("incomplete") or []
    explained = gaps and all(item.get("explained_by_failures") for item in short)  # short by the refused pages only
    lists_class = "good" if not short else "gaps" if explained else "bad"
    cards = [
        ("Fin du passage", _e(words.finish_reason(report.get("finish_reason"))), "good" if finished else "bad"),
        *[(f"Enregistrements : {words.record_word(k)}", number(v), "") for k, v in records.items()],
        ("Pages lues", number(report.get("pages_fetched")), ""),
        ("Pages lues deux fois", number(report.get("redundant_fetches")), "bad" if report.get("redundant_fetches")
         else ""),
        ("Requêtes / reprises", f"{number(report.get('requests'))} / {number(report.get('retries'))}", ""),
        ("Pages en échec" + (f" (dont {number(gaps)} refusées par le site)" if gaps else ""),
         number(len(failures)), failed_class),
        ("Enregistrements refusés", number(len(report.get("invalid_records") or [])),
         "bad" if report.get("invalid_records") else "good"),
        ("Listes complètes", f"{number(lists.get('complete'))} / {number(lists.get('checked'))}", lists_class),
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


def health(report: dict[str, Any], history: Sequence[RunSummary] | None = None, folder: str | None = None) -> str:
    """The run: cards, the trend across runs (``history``: the earlier runs of its
    run folder, ``folder`` its name), failures, page ends, lists, monitors, fields…"""
    out = ["<h2>État du passage</h2>", _cards(report)]
    period = f"du {_e(when(report.get('started_at')))} au {_e(when(report.get('finished_at')))}"
    runs = report.get("runs") or 1
    entry = {"lists": "les listes", "map": "la carte du monde"}.get(report.get("entry"), report.get("entry", "—"))
    out.append(
        f'<p class="meta">Atlas : <code>{_e(report.get("base_url", "—"))}</code> — entrée : '
        f"{_e(entry)} — {period}{f' — {runs} passages (reprise)' if runs > 1 else ''}</p>"
    )
    for warning in report.get("warnings") or []:
        out.append(f'<p class="warning">⚠ {_e(warning)}</p>')
    if history is not None:
        out.append(
            trend_section(
                [*history, RunSummary.of(folder or _folder_name(report), {**report, "outcome": run_outcome(report)[0]})]
            )
        )
    failures = report.get("failures") or []
    if failures:
        reasons = Counter(words.failure_kind(str(f.get("reason", "?"))) for f in failures)
        out.append(bar_chart("Pages en échec, par raison", list(reasons.items())))
        out.append(
            "<details><summary>Les pages en échec</summary>"
            + _table(["Adresse", "Raison"],
                     ([_url(f.get("url")), _e(words.failure_reason(str(f.get("reason"))))] for f in failures))
            + "</details>"
        )  # fmt: skip
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
        rows = ([_e(words.record_word(r.get("type"))), _e(r.get("id")), _e("; ".join(map(str, r.get("errors", []))))]
                for r in report["invalid_records"])  # fmt: skip
        out.append("<h3>Enregistrements refusés par le schéma</h3>" + _table(["Type", "Id", "Erreurs"], rows))
    if report.get("changes"):
        out.append(_changes(report["changes"]))
    return "\n".join(out)


def _folder_name(report: dict[str, Any]) -> str:
    folder = (report.get("outcome") or {}).get("run_folder") if isinstance(report.get("outcome"), dict) else None
    return Path(folder).name if folder else "ce passage"


def _page_ends(report: dict[str, Any]) -> str:
    """What became of each record page the atlas linked: written, failed, skipped (with
    the rule), and any the crawler lost track of (a bug, named)."""
    pages = report.get("pages") or {}
    if not pages:
        return ""
    forbidden = f" (dont {number(pages.get('forbidden'))} interdites par robots.txt)" if pages.get("forbidden") else ""
    out = [
        "<h3>Pages d'enregistrement liées par l'atlas</h3>",
        f"<p>{number(pages.get('linked'))} liées : {number(pages.get('written'))} écrites, "
        f"{number(pages.get('failed'))} en échec, {number(pages.get('skipped'))} non lues (règle){forbidden}, "
        f"{number(pages.get('duplicates'))} doublons, {number(pages.get('rejected'))} refusées.</p>",
    ]
    skipped = report.get("skipped") or []
    if skipped:
        out.append(
            "<details><summary>Les pages non lues, et la règle qui les a écartées</summary>"
            + _table(["Adresse", "Règle"], ([_url(s.get("url")), _e(words.skip_rule(str(s.get("rule"))))]
                                            for s in skipped))
            + "</details>"
        )  # fmt: skip
    lost = pages.get("unaccounted") or []
    if lost:
        out.append(
            f'<p class="warning">⚠ {number(len(lost))} pages ni écrites, ni en échec, ni écartées : '
            "une erreur du robot, à signaler avec ce rapport.</p>" + _table(["Adresse"], ([_url(url)] for url in lost))
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
            [_url(i.get("url")), number(i.get("announced")), number(i.get("listed")), number(i.get("written")),
             _e(", ".join(i.get("missing_ids") or []))]
            for i in incomplete
        )  # fmt: skip
        out.append(_table(["Liste incomplète", "Annoncés", "Listés", "Écrits", "Ids manquants"], rows, (1, 2, 3)))
    return "".join(out)


def _monitors(monitors: dict[str, Any]) -> str:
    if not monitors:
        return ""
    rows = (
        [_e(words.monitor_name(name)),
         '<span class="good">réussi</span>' if m.get("passed") else '<span class="bad">échoué</span>',
         _e(words.monitor_message(m.get("reason")))]
        for name, m in monitors.items()
    )  # fmt: skip
    return "<h3>Contrôles de fin de passage (Spidermon)</h3>" + _table(["Contrôle", "Résultat", "Pourquoi"], rows)


def _coverage(coverage: dict[str, Any]) -> str:
    """Every field of each record type, by its label on the atlas page, the rarest
    first: a field the parser stopped finding is at the top, never lumped with others."""
    out = ["<h3>Champs trouvés</h3>"]
    for record_type, entry in coverage.items():
        fields = entry.get("fields") or {}
        ranked = sorted(
            ((name, f) for name, f in fields.items() if name != "type"),
            key=lambda nf: (float(nf[1].get("ratio") or 0), words.field_label(record_type, nf[0])),
        )
        rows = (
            [f"{_e(words.field_label(record_type, name))} <code>{_e(name)}</code>",
             number(f.get("found")),
             f'<span class="share">{_e(percent(float(f.get("ratio") or 0)))}</span>'
             f'<span class="track"><span class="fill" style="width:{100 * float(f.get("ratio") or 0):.1f}%"></span>'
             "</span>"]
            for name, f in ranked
        )  # fmt: skip
        never = [words.field_label(record_type, n) for n in entry.get("never_found") or []]
        note = (f"Jamais trouvés : {_e(', '.join(never))}." if never
                else "Chaque champ a été trouvé au moins une fois.")  # fmt: skip
        title = (f"Part des {words.record_word(record_type)} où le champ est renseigné "
                 f"({number(entry.get('records'))} enregistrements), du plus rare au plus fréquent")  # fmt: skip
        out.append(
            f'<figure class="coverage" data-type="{_e(record_type)}"><figcaption>{_e(title)}</figcaption>'
            + _table(["Champ (libellé de la page)", "Trouvé", "Part"], rows, (1,))
            + f'<p class="note">{note}</p></figure>'
        )
    return "".join(out)


def _unreadable(unreadable: dict[str, Any]) -> str:
    rows = []
    for path, value in unreadable.items():
        entry = value if isinstance(value, dict) else {"count": value}
        example = entry.get("example") or {}
        text = example.get("text") if isinstance(example, dict) else example
        rows.append([f"{_e(words.any_field_label(path))} <code>{_e(path)}</code>", number(entry.get("count")),
                     _e(text or "")])  # fmt: skip
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


_KINDS = {"french": "française", "foreign": "étrangère"}


def _url(url: str | None) -> str:
    """An address in a table cell: it may break anywhere (the only text that may)."""
    return f'<span class="u">{_e(url)}</span>'


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
            [_e(DOUBT_RULES.get(g.get("rule"), g.get("rule"))),
             _e(words.any_field_label(g["field"]) if g.get("field") else "—"), _e(g.get("text")),
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
            [_e(words.record_word(r.get("type"))), _e(_KINDS.get(r.get("kind"), r.get("kind") or "")), _e(r.get("id")),
             _link(r.get("url")),
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
            f"<li>{_e(words.record_word(kind))} : " + " ; ".join(f"« {_e(t)} »" for t in texts) + "</li>"
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
    said = {"added": "ajoutés", "removed": "retirés", "changed": "modifiés", "unknown": "inconnus (page en échec)"}
    columns = list(dict.fromkeys(k for v in counts.values() for k in v))
    rows = ([_e(words.record_word(kind)), *(number(v.get(c)) for c in columns)] for kind, v in counts.items())
    return title + intro + _table(["Type", *(said.get(c, c) for c in columns)], rows, range(1, len(columns) + 1))


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
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2733;margin:0;background:#f6f7f9;
overflow-wrap:break-word}
p code,li code{overflow-wrap:anywhere}
main{max-width:1000px;margin:0 auto;padding:24px}
h1{font-size:1.6em;margin:0 0 4px}h2{margin-top:36px;border-bottom:2px solid #d5dbe3;padding-bottom:4px}
.meta{color:#566273}.note{color:#566273;font-size:.9em;margin:4px 0 0}
.outcome{border:1px solid;border-left-width:8px;border-radius:6px;padding:10px 14px;margin:14px 0 8px}
.outcome .verdict{font-size:1.2em;font-weight:700;margin:0}
.outcome.good{background:#eaf6ef;border-color:#2e8b57}.outcome.gaps{background:#fff8e6;border-color:#d89a1c}
.outcome.bad{background:#fdecea;border-color:#c0392b}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,150px),1fr));gap:10px}
.card{background:#fff;border:1px solid #d5dbe3;border-left:5px solid #8da2bb;border-radius:6px;padding:8px 10px}
.card span{display:block;font-size:.82em;color:#566273}.card strong{font-size:1.35em}
.card.good{border-left-color:#2e8b57}.card.bad{border-left-color:#c0392b}.card.gaps{border-left-color:#d89a1c}
span.good{color:#2e8b57;font-weight:600}span.bad{color:#c0392b;font-weight:600}
.warning{background:#fff4e0;border:1px solid #f0c36d;padding:6px 10px;border-radius:4px}
figure{background:#fff;border:1px solid #d5dbe3;border-radius:6px;margin:16px 0;padding:12px;overflow-x:auto}
figcaption{font-weight:600;margin-bottom:6px}
.scroll{overflow-x:auto;max-width:100%}
svg.chart{display:block;width:100%;min-width:600px;max-width:900px;height:auto;font-size:12px}
svg.chart rect{fill:#3d6fa8}svg.chart text,svg.trend text{fill:#1d2733}
svg.chart line,svg.trend line{stroke:#8da2bb}
.bar{display:grid;grid-template-columns:minmax(6em,16em) minmax(40px,1fr) minmax(4.5em,auto);gap:2px 8px;
align-items:center;padding:2px 0}
.bar .label{text-align:right;font-size:.9em}.bar .value,.share{color:#566273;white-space:nowrap;font-size:.9em}
.track{display:block;background:#eef1f5;height:12px;border-radius:2px;min-width:40px}
.fill{display:block;height:100%;background:#3d6fa8;border-radius:2px}
figure.coverage .track{margin-top:2px}
.minis{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,280px),1fr));gap:0 12px}
figure.mini{margin:8px 0}
svg.trend{display:block;width:100%;height:auto;font-size:11px}
svg.trend polyline{fill:none;stroke:#3d6fa8;stroke-width:2}svg.trend circle{fill:#3d6fa8}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.9em;margin:8px 0}
th,td{border:1px solid #d5dbe3;padding:4px 6px;text-align:left;vertical-align:top;overflow-wrap:break-word}
td .u,td a{overflow-wrap:anywhere}
td.num{text-align:right;white-space:nowrap}thead{background:#eef1f5}
code{font-size:.9em}footer{color:#566273;font-size:.85em;margin-top:40px}
@media (max-width:600px){
main{padding:12px}h1{font-size:1.25em}
.bar{grid-template-columns:minmax(40px,1fr) auto}.bar .label{grid-column:1/-1;text-align:left}
}
"""


def render_html(
    report: dict[str, Any],
    records: Iterable[dict[str, Any]] | None = None,
    history: Sequence[RunSummary] | None = None,
    folder: str | None = None,
) -> str:
    """The whole page, from a run report and (when given) the run's records, and, in a
    run folder, the earlier runs (``history``, oldest first; ``folder``: this run's)."""
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
{outcome_section(report)}
{health(report, history, folder)}
{data}
<footer>Page produite par atlas-crawler à partir du rapport de passage (JSON) et des enregistrements ;
elle ne charge rien d'autre. Les champs sont décrits dans docs/DATA.md.</footer>
</main>
</body>
</html>
"""


def write_html(report_json_path: Path | str, records_path: Path | str | None = None) -> Path:
    """Write ``report.html`` beside ``report_json_path``; the data charts come from
    ``records_path``, else from the records beside the report, else are left out. In
    a run folder, the page shows the trend across the earlier runs' reports."""
    report_path = Path(report_json_path)
    report = json.loads(report_path.read_text("utf-8"))
    source = Path(records_path) if records_path else records_of_report(report_path)
    history = earlier_runs(report_path)
    folder = report_path.parent.name if history is not None else None
    try:
        records = read_records(source, torn_end=True) if source and source.is_file() else None
        page = render_html(report, records, history, folder)
    except RecordsFileError as error:
        logger.warning("report view drawn without the data charts: %s", error)
        page = render_html(report, None, history, folder)
    out = report_view(report_path)
    write_atomically(out, page.encode("utf-8"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m atlas_crawler.report_html",
        description="Write a run report's HTML view (report.html beside report.json): the run's health "
        "and charts of the data, in French, in one self-contained page.",
    )
    parser.add_argument("report", type=Path, help="a run report (report.json, atlas.report.json)")
    parser.add_argument("--records", type=Path, help="the run's records (default: the JSON Lines beside the report)")
    args = parser.parse_args(argv)
    print(write_html(args.report, args.records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
