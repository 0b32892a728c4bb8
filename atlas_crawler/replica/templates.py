"""HTML of every replica page, with the live site's quirks: ``;jsessionid``
links, varying parameter order, tracking parameters, displaytag pagination,
unresolved i18n keys, several markup families for the same labels."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from html import escape
from typing import Any

from atlas_crawler.replica.world import Collectivity, Project, World

ATLAS_PATH = "/cncdext/dyn/public/atlas/"
LIST_ROWS = 20
THEME_ROWS = 5
WINDOW = 7
PROJECTS_TABLE = "d-4012-p"
COLLECTIVITIES_TABLE = "d-3571-p"
THEMES_TABLE = "d-1342871-p"


def stable(*parts: object) -> int:
    """A deterministic hash (Python's ``hash`` is salted per process)."""
    return zlib.crc32("|".join(map(str, parts)).encode())


@dataclass
class Ctx:
    """Per-request rendering context: the session id to write into links
    (None when the client sent the cookie)."""

    session: str | None = None

    def link(self, page: str, params: list[tuple[str, Any]] | None = None, salt: object = "") -> str:
        params = list(params or [])
        if len(params) > 1 and stable(page, params, salt) % 2:
            params.reverse()
        href = ATLAS_PATH + page + (f";jsessionid={self.session}" if self.session else "")
        if params:
            href += "?" + "&".join(f"{k}={v}" for k, v in params)
        return escape(href)


def e(value: object) -> str:
    return "" if value is None else escape(str(value), quote=False)


def page(ctx: Ctx, crumb: str, body: str, charset: str = "UTF-8") -> str:
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" lang="fr" xml:lang="fr">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}" />
<title>Atlas français de la coopération décentralisée et des autres actions extérieures</title>
</head>
<body>
<div id="menuHaut"><ul>
  <li><a href="/cncdext/dyn/public/accueil.html">Accueil</a></li>
  <li class="actif"><a href="{ctx.link("accesAtlas.html")}">???menu.atlas.libelle???</a></li>
  <li><a href="{ctx.link("rechercheAtlas.html")}">???menu.atlas.recherche.libelle???</a></li>
</ul></div>
<div id="filAriane"><a href="/cncdext/dyn/public/accueil.html">Accueil</a> &gt;
  <a href="{ctx.link("accesAtlas.html")}">???menu.atlas.libelle???</a> &gt; <span class="courant">{crumb}</span></div>
<div id="contenu">
<h1>Atlas français de la coopération décentralisée et des autres actions extérieures</h1>
{body}
</div>
<div id="piedDePage"><p>Tous droits réservés - Ministère de l'Europe et des Affaires étrangères</p></div>
</body>
</html>
"""


def pagination(ctx: Ctx, page_name: str, params: list[tuple[str, Any]], param: str, current: int, total: int) -> str:
    """displaytag pager: ``<< < pagination.page.precedent 1 2 … pagination.page.suivant > >>``,
    a window of page numbers around the current one, which is not a link."""

    def a(n: int, text: str) -> str:
        return f'<a href="{ctx.link(page_name, [*params, (param, n)], salt=(n, text))}">{text}</a>'

    start = max(1, min(current - WINDOW // 2, total - WINDOW + 1))
    numbers = [
        f"<strong>{n}</strong>" if n == current else a(n, str(n))
        for n in range(start, min(total, start + WINDOW - 1) + 1)
    ]
    first = (
        (a(1, "&lt;&lt;") + " " + a(current - 1, "&lt;")) if current > 1 else "<span>&lt;&lt;</span> <span>&lt;</span>"
    )
    last = (
        (a(current + 1, "&gt;") + " " + a(total, "&gt;&gt;"))
        if current < total
        else "<span>&gt;</span> <span>&gt;&gt;</span>"
    )
    return (
        f'<div class="pagination">{first} pagination.page.precedent {" ".join(numbers)} '
        f"pagination.page.suivant {last}</div>"
    )


def loupe(href: str) -> str:
    return (
        f'<a href="{href}"><img src="/cncdext/img/ico_loupe.gif" alt="commun.ico.loupe.alter" '
        f'title="commun.ico.loupe.alter" /></a>'
    )


# --- menus -------------------------------------------------------------------
def home(ctx: Ctx) -> str:
    return page(
        ctx,
        "???menu.atlas.libelle???",
        f"""<ul class="menuAtlas">
<li><a href="{ctx.link("listePays.html")}">Les partenariats par pays</a></li>
<li><a href="{ctx.link("listeRegions.html")}">Les collectivités françaises par région</a></li>
<li><a href="{ctx.link("carteMonde.html")}">Carte du monde</a></li>
<li><a href="{ctx.link("rechercheAtlas.html")}">???menu.atlas.recherche.libelle???</a></li>
</ul>""",
    )


def search(ctx: Ctx) -> str:
    """The search form (robots.txt asks crawlers to keep out of it)."""
    return page(
        ctx,
        "???menu.atlas.recherche.libelle???",
        f"""<form action="{ctx.link("rechercheAtlas.html")}" method="post"><label for="motCle">Mot clé</label>
<input type="text" id="motCle" name="motCle" /><input type="submit" value="Rechercher" /></form>""",
    )


def countries(ctx: Ctx, world: World) -> str:
    out = []
    for zone in dict.fromkeys(c.zone for c in world.countries):
        items = [
            f'<li><a href="{ctx.link("listeProjetsPays.html", [("codePays", c.code)] + ([("origine", "liste")] if stable(c.code) % 3 == 0 else []), salt=c.code)}">{e(c.name)}</a> ({len(world.projects_by_country[c.code])})</li>'
            for c in world.countries
            if c.zone == zone and world.projects_by_country[c.code]
        ]
        if items:
            out.append(f"<h3>{e(zone)}</h3>\n<ul>{''.join(items)}</ul>")
    return page(ctx, "???menu.atlas.listePays.libelle???", "\n".join(out))


def world_map(ctx: Ctx, world: World) -> str:
    """The map page: country links exist only after its script has run."""
    data = [
        {"code": c.code, "nom": c.name, "nb": len(world.projects_by_country[c.code])}
        for c in world.countries
        if world.projects_by_country[c.code]
    ]
    prefix = ctx.link("listeProjetsPays.html")
    script = f"""<script type="text/javascript">
var PAYS = {json.dumps(data, ensure_ascii=False)};
window.addEventListener('load', function () {{
  setTimeout(function () {{
    var ul = document.getElementById('paysCarte');
    PAYS.forEach(function (p) {{
      var li = document.createElement('li');
      var a = document.createElement('a');
      a.href = '{prefix}?codePays=' + p.code + '&origine=carte';
      a.className = 'pays';
      a.textContent = p.nom;
      li.appendChild(a);
      li.appendChild(document.createTextNode(' (' + p.nb + ')'));
      ul.appendChild(li);
    }});
  }}, 150);
}});
</script>"""
    return page(ctx, "???menu.atlas.carte.libelle???", f'<div id="carte"><ul id="paysCarte"></ul></div>\n{script}')


def regions(ctx: Ctx, world: World) -> str:
    items = "".join(
        f'<li><a href="{ctx.link("listeCollectivites.html", [("codeRegion", r.code)], salt=r.code)}">{e(r.name)}</a></li>'
        for r in world.regions
        if world.french_by_region[r.code]
    )
    return page(ctx, "???menu.atlas.listeRegions.libelle???", f"<ul>{items}</ul>")


def _paged(rows: list[Any], current: int, size: int) -> tuple[list[Any], int]:
    total = max(1, -(-len(rows) // size))
    return rows[(current - 1) * size : current * size], total


def country_projects(ctx: Ctx, world: World, code: str, current: int) -> str | None:
    projects = world.projects_by_country.get(code)
    if not projects:
        return None
    rows, total = _paged(projects, current, LIST_ROWS)
    if current > total:
        return None
    body = "".join(
        f'<tr class="{"impair" if n % 2 else "pair"}"><td>{e(p.data.get("title") or "Coopération décentralisée")}</td>'
        f"<td>{e(', '.join(c.name for c in p.french))}</td><td>{e(p.data.get('start_year'))}</td>"
        f"<td>{loupe(ctx.link('detailProjet.html', [('criteres.prjId', p.id)] + ([('origine', 'pays')] if p.id % 2 else []), salt=code))}</td></tr>"
        for n, p in enumerate(rows)
    )
    pager = pagination(ctx, "listeProjetsPays.html", [("codePays", code)], PROJECTS_TABLE, current, total)
    return page(
        ctx,
        "???menu.atlas.listeProjetsPays.libelle???",
        f"""<h2>{e(world.country(code).name)}</h2>
<div class="bandeau">{len(projects)} projet(s) trouvé(s)</div>
<table class="liste" id="projet"><thead><tr><th>Titre du projet</th><th>Collectivité(s) française(s)</th><th>Année</th><th>&nbsp;</th></tr></thead>
<tbody>{body}</tbody></table>
{pager}""",
    )


def region_collectivities(ctx: Ctx, world: World, code: str, current: int) -> str | None:
    items = world.french_by_region.get(code)
    region = world.region(code)
    if not items or region is None:
        return None
    rows, total = _paged(items, current, LIST_ROWS)
    if current > total:
        return None
    body = "".join(
        f"<tr><td>{e(c.name)}</td><td>{e(c.type)}</td><td>{e(c.department)}</td>"
        f"<td>{loupe(ctx.link('detailCollectiviteFrancaise.html', [('idCollectivite', c.id)]))}</td></tr>"
        for c in rows
    )
    pager = pagination(ctx, "listeCollectivites.html", [("codeRegion", code)], COLLECTIVITIES_TABLE, current, total)
    return page(
        ctx,
        "???menu.atlas.listeCollectivites.libelle???",
        f"""<h2>{e(region.name)}</h2>
<p>{len(items)} collectivité(s) trouvée(s)</p>
<table class="liste"><thead><tr><th>Nom</th><th>Type de collectivité</th><th>Département</th><th>&nbsp;</th></tr></thead>
<tbody>{body}</tbody></table>
{pager}""",
    )


def collectivity(ctx: Ctx, world: World, c: Collectivity) -> str:
    pairs: list[tuple[str, str]] = [("Nom", e(c.name)), ("Type de collectivité", e(c.type))]
    if c.kind == "foreign":
        pairs.append(("Pays", e(c.country.name if c.country else None)))
    else:
        pairs += [
            ("Région", e(c.region.name if c.region else None)),
            ("Département", e(c.department)),
            ("Site internet", f'<a href="http://{e(c.website)}">{e(c.website)}</a>' if c.website else ""),
        ]
    pairs += [(k, e(v)) for k, v in c.extra.items()]
    if stable(c.id) % 2:
        fiche = "<dl>" + "".join(f"<dt>{k} :</dt><dd>{v}</dd>" for k, v in pairs) + "</dl>"
    else:
        fiche = "".join(f'<div class="ligne"><label>{k}</label><div class="valeur">{v}</div></div>' for k, v in pairs)
    rows = "".join(
        f"<tr><td>{e(world.projects[i].data.get('title') or 'Projet')}</td>"
        f"<td>{loupe(ctx.link('detailProjet.html', [('criteres.prjId', i)]))}</td></tr>"
        for i in c.projects
    )
    return page(
        ctx,
        "???menu.atlas.detailCollectivite.libelle???",
        f"""<div class="bloc">{fiche}</div>
<fieldset class="tableau"><legend>Projets de la collectivité</legend>
<table class="liste"><caption>Projets de la collectivité</caption>
<thead><tr><th>Titre du projet</th><th>&nbsp;</th></tr></thead><tbody>{rows}</tbody></table></fieldset>""",
    )


# --- project ------------------------------------------------------------------
def _text(value: str | None, salt: object) -> str:
    """A long text as the site writes it: ``<br />`` lines, stray markup whitespace."""
    if value is None:
        return ""
    lines = [escape(line, quote=False) for line in value.split("\n")]
    if stable(salt) % 3 == 0:
        lines = [line.replace(" ", "&nbsp;", 1) for line in lines]
    return "<br />\n".join(lines) if stable(salt) % 2 else "<br/>\n   ".join(lines)


def _number(value: float | int | None, salt: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}".replace(",", "\u00a0").replace(".", ",")
    style = stable(salt) % 3
    n = int(value)
    if style == 0 or n == 0:
        return str(n)
    grouped = f"{n:,}".replace(",", " " if style == 1 else "\u00a0")
    return grouped + (",00" if style == 2 else "")


def _date(iso: str | None) -> str:
    if not iso:
        return ""
    y, m, d = iso.split("-")
    return f"{d}/{m}/{y}"


def _email(value: str | None, salt: object) -> str:
    if not value:
        return ""
    return value.replace("@", "[at]") if stable(salt) % 2 else value


class _ProjectMarkup:
    """One markup family for the label/value pairs, checkboxes and tables."""

    def __init__(self, variant: str, ctx: Ctx, pid: int) -> None:
        self.variant = variant
        self.ctx = ctx
        self.pid = pid

    def pair(self, label: str, value: str) -> str:
        if self.variant == "table":
            return f"<tr><th>{label} :</th><td>{value}</td></tr>"
        if self.variant == "dl":
            return f"<dt>{label}</dt><dd>{value}</dd>"
        if self.variant == "mixed":
            return f'<div class="ligne"><label>\n   {label}\u00a0:  </label>\n<span>{value}</span></div>'
        return f'<div class="ligne"><label>{label}</label><div class="valeur">{value}</div></div>'

    def pairs(self, items: list[str]) -> str:
        inner = "".join(items)
        if self.variant == "table":
            return f'<table class="fiche"><tbody>{inner}</tbody></table>'
        if self.variant == "dl":
            return f"<dl>{inner}</dl>"
        return inner

    def checkbox(self, statement: str, checked: bool | None, ident: str) -> str:
        if checked is None:
            return ""
        mark = ' checked="checked"' if checked else ""
        box = f'<input type="checkbox" disabled="disabled"{mark} id="{ident}" />'
        if self.variant == "table":
            return f'<p class="case"><input type="checkbox" disabled="disabled"{mark} /> {statement}</p>'
        if self.variant == "dl":
            inner = box.replace(f' id="{ident}"', "")
            return f'<p class="case"><label>{inner} {statement}</label></p>'
        return f'<div class="ligne case">{box}<label for="{ident}">{statement}</label></div>'

    def table(self, title: str, headers: list[str], rows: list[list[str]], extra: str = "") -> str:
        head = "".join(f"<th>{h}</th>" for h in headers)
        body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
        if self.variant == "table":
            return f'<h3>{title}</h3>\n<table class="liste"><tr>{head}</tr>{body}</table>{extra}'
        if self.variant == "dl":
            return f'<table class="liste"><caption>{title}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{extra}'
        if self.variant == "mixed":
            return (
                f'<fieldset class="tableau"><legend>{title}</legend><table class="liste"><tbody><tr>{head}</tr>'
                f"{body}</tbody></table>{extra}</fieldset>"
            )
        return (
            f'<fieldset class="tableau"><legend>{title}</legend><table class="liste"><caption>{title}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{extra}</fieldset>"
        )


def project(ctx: Ctx, world: World, p: Project, themes_page: int, charset: str) -> str | None:
    d = p.data
    m = _ProjectMarkup(d["variant"], ctx, p.id)
    themes, total = _paged(d["other_themes"], themes_page, THEME_ROWS)
    if themes_page > total:
        return None

    def opt(label: str, value: str, missing: bool) -> str:
        """An empty value is shown as an empty label, or the label is left out."""
        if missing and stable(p.id, label) % 2:
            return ""
        return m.pair(label, value)

    embassy = ""
    if d["embassy"]:
        people = "".join(
            f'<div class="contact"><p>{e(c["role"])}</p><p>{e(c["name"])}</p><p>Courriel : {_email(c["email"], 1)}</p></div>\n&nbsp;'
            for c in d["embassy"]["contacts"]
        )
        embassy = (
            f'<div class="bloc"><h2>Contacts dans le poste diplomatique "{e(d["embassy"]["name"])}"</h2>{people}</div>'
        )

    head = [
        opt("Titre", e(d["title"]), d["title"] is None),
        opt(
            "Année de première signature de la convention",
            e(d["first_agreement_year"]),
            d["first_agreement_year"] is None,
        ),
        opt("Thématique d'intervention", e(d["theme"]), d["theme"] is None),
        m.pair("Sous-thématique d'intervention", e(d["sub_theme"])),
        m.pair("Sous-sous-thématique d'intervention", e(d["sub_sub_theme"])),
    ]
    theme_rows = [[e(t["theme"]), e(t["sub_theme"]), e(t["sub_sub_theme"]), e(t["priority"])] for t in themes]
    themes_table = m.table(
        "Autres thématiques mises en œuvre pour le partenariat",
        ["Thématique éligible", "Sous-thématique", "Sous-sous-thématique", "Priorité"],
        theme_rows,
        pagination(ctx, "detailProjet.html", [("criteres.prjId", p.id)], THEMES_TABLE, themes_page, total),
    )
    middle = [
        opt("Année de début du partenariat", e(d["start_year"]), d["start_year"] is None),
        m.pair("Le partenariat est", e(d["status"])),
        m.pair("Date de fin du partenariat", _date(d["end_date"])),
        opt("Contexte", _text(d["context"], (p.id, 1)), d["context"] is None),
        opt("Historique", _text(d["history"], (p.id, 2)), d["history"] is None),
        opt("Objectif du partenariat", _text(d["objective"], (p.id, 3)), d["objective"] is None),
        opt("Description détaillée du partenariat", _text(d["description"], (p.id, 4)), d["description"] is None),
        opt("Votre partenariat prend la forme d'un(e)", e(d["partnership_form"]), d["partnership_form"] is None),
        *[m.pair(k, e(v)) for k, v in d["extra"].items()],
    ]
    work = [
        opt("Maître(s) d'œuvre", "<br />".join(e(x) for x in d["project_managers"]), not d["project_managers"]),
        m.pair("Maître(s) d'ouvrage", "<br />".join(e(x) for x in d["contracting_authorities"])),
        opt("Bénéficiaire(s)", e(d["beneficiaries"]), d["beneficiaries"] is None),
    ]
    foreign = m.table(
        "Partenaires étrangers du partenariat",
        ["Nom de la collectivité étrangère", "Pays", "&nbsp;"],
        [
            [
                e(c.name),
                e(c.country.name if c.country else None),
                loupe(ctx.link("detailCollectiviteEtrangere.html", [("idCollectivite", c.id)])),
            ]
            for c in p.foreign
        ],
    )
    contacts = m.table(
        "Contacts dans les partenaires étrangers du partenariat",
        ["Nom de la collectivité étrangère", "Nom", "Prénom", "Fonction", "Courriel"],
        [
            [
                e(c["collectivity"]),
                e(c["last_name"]),
                e(c["first_name"]),
                e(c["function"]),
                _email(c["email"], (p.id, n)),
            ]
            for n, c in enumerate(d["foreign_partner_contacts"])
        ],
    )
    french = m.table(
        "Collectivités territoriales partenaires du partenariat",
        ["Nom de la collectivité territoriale", "&nbsp;"],
        [
            [e(c.name), loupe(ctx.link("detailCollectiviteFrancaise.html", [("idCollectivite", c.id)]))]
            for c in p.french
        ],
    )
    others = opt(
        "Autres partenaires du partenariat dans le(s) pays partenaire(s)",
        "<br />".join(e(x) for x in d["other_partners"]),
        not d["other_partners"],
    )
    funding = m.table(
        "Financement du partenariat",
        ["Nom du financeur", "Montant en euros"] + ["Montant 1% Eau (Loi Oudin 2005)"] * 3 + ["Année"],
        [
            [
                (", " if stable(p.id, n) % 4 == 0 else "") + e(f["funder"]),
                _number(f["amount_eur"], (p.id, n)),
                *[_number(x, (p.id, n, k)) for k, x in enumerate(f["one_percent_amounts_eur"])],
                e(f["year"]),
            ]
            for n, f in enumerate(d["funding"])
        ],
    )
    volunteers = m.table(
        "Volontaires impliqués dans le partenariat (VSI, service civique, etc.) d'Échange et de Solidarité",
        ["Nom", "Prénom", "Mission", "Champs d'action", "Entité d'affectation"],
        [
            [e(v["last_name"]), e(v["first_name"]), e(v["mission"]), e(v["field"]), e(v["assignment"])]
            for v in d["volunteers"]
        ],
    )
    body = f"""{embassy}
<div class="bloc">{m.pairs(head)}
{themes_table}
{m.pairs(middle)}</div>
<div class="bloc"><h2>Mise en œuvre du partenariat</h2>
{m.pairs(work)}
{foreign}
{contacts}
{french}
{m.pairs([others])}
{m.checkbox("Le partenariat est triennal", d["triennial"], "triennal")}
{funding}</div>
<div class="bloc"><h2>Évaluations, communication et perspectives</h2>
{m.checkbox("Une communication a été engagée en France", d["communication_in_france"], "communicationFrance")}
{m.checkbox("Une communication a été engagée dans les pays partenaires", d["communication_in_partner_countries"], "communicationPays")}
{m.checkbox("Une politique d'évaluation a été engagée", d["evaluation_policy"], "evaluation")}
{volunteers}</div>"""
    return page(ctx, "???menu.atlas.detailProjet.libelle???", body, charset)


def soft_error(ctx: Ctx, maintenance: bool = False) -> str:
    if maintenance:
        return page(
            ctx, "", "<h1>Maintenance</h1><p>Le site est en maintenance. Merci de réessayer plus tard.</p>"
        ).replace("<h1>Atlas français de la coopération décentralisée et des autres actions extérieures</h1>\n", "")
    return page(ctx, "", "<p>Une erreur technique est survenue.</p>").replace(
        "<h1>Atlas français de la coopération décentralisée et des autres actions extérieures</h1>",
        "<h1>Erreur technique</h1>",
    )


ROBOTS = """User-agent: *
Disallow: /cncdext/dyn/public/atlas/rechercheAtlas.html
Disallow: /cncdext/dyn/admin/
"""
