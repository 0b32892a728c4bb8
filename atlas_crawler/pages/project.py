"""Project page (``detailProjet.html``) -> ``ProjectItem``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree
from scrapy.http import TextResponse

from atlas_crawler.extract.labels import siblings_after
from atlas_crawler.extract.text import clean, label_key, nodes_text, text_of
from atlas_crawler.extract.values import parse_email, parse_yes_no
from atlas_crawler.items import ProjectItem
from atlas_crawler.loaders import ProjectLoader
from atlas_crawler.pages.common import PageIndex, TableSpec, extra_key, table_as_extra, utc_now
from atlas_crawler.urls import page_params, project_id, project_url

#: Visible label (as ``label_key`` spells it) -> field.
LABELS: dict[str, str] = {
    "titre": "title",
    "annee de premiere signature de la convention": "first_agreement_year",
    "thematique d'intervention": "theme",
    "sous-thematique d'intervention": "sub_theme",
    "sous-sous-thematique d'intervention": "sub_sub_theme",
    "annee de debut du partenariat": "start_year",
    "le partenariat est": "status",
    "date de fin du partenariat": "end_date",
    "contexte": "context",
    "historique": "history",
    "objectif du partenariat": "objective",
    "description detaillee du partenariat": "description",
    "votre partenariat prend la forme d'un(e)": "partnership_form",
    "maitre(s) d'oeuvre": "project_managers",
    "maitre(s) d'ouvrage": "contracting_authorities",
    "beneficiaire(s)": "beneficiaries",
    "autres partenaires du partenariat dans le(s) pays partenaire(s)": "other_partners",
}

CHECKBOXES: dict[str, str] = {
    "le partenariat est triennal": "triennial",
    "une communication a ete engagee en france": "communication_in_france",
    "une communication a ete engagee dans les pays partenaires": "communication_in_partner_countries",
    "une politique d'evaluation a ete engagee": "evaluation_policy",
}

TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "other_themes",
        ("autres thematiques",),
        "thematique eligible",
        (
            ("thematique eligible", "theme"),
            ("sous-sous-thematique", "sub_sub_theme"),
            ("sous-thematique", "sub_theme"),
            ("priorite", "priority"),
            ("thematique", "theme"),
        ),
    ),
    TableSpec(
        "foreign_partner_contacts",
        ("contacts dans les partenaires etrangers", "contacts"),
        "courriel",
        (
            ("nom de la collectivite", "collectivity"),
            ("collectivite", "collectivity"),
            ("nom", "last_name"),
            ("prenom", "first_name"),
            ("fonction", "function"),
            ("courriel", "email"),
            ("e-mail", "email"),
        ),
    ),
    TableSpec(
        "foreign_partners",
        ("partenaires etrangers",),
        "pays",
        (("nom de la collectivite", "name"), ("nom", "name"), ("pays", "country")),
        link_key="href",
    ),
    TableSpec(
        "french_partners",
        ("collectivites territoriales partenaires", "collectivites partenaires"),
        "nom de la collectivite territoriale",
        (("nom de la collectivite", "name"), ("nom", "name")),
        link_key="href",
    ),
    TableSpec(
        "funding",
        ("financement",),
        "nom du financeur",
        (
            ("nom du financeur", "funder"),
            ("financeur", "funder"),
            ("montant 1%", "one_percent_amounts_eur[]"),
            ("montant", "amount_eur"),
            ("annee", "year"),
        ),
    ),
    TableSpec(
        "volunteers",
        ("volontaires",),
        "entite d'affectation",
        (
            ("nom", "last_name"),
            ("prenom", "first_name"),
            ("mission", "mission"),
            ("champs d'action", "field"),
            ("champ d'action", "field"),
            ("entite d'affectation", "assignment"),
        ),
    ),
)

_EMBASSY = "contacts dans le poste diplomatique"
#: Elements whose own text names the post (the deepest one is the heading).
_EMBASSY_XPATH = etree.XPath("//*[text()[contains(., 'poste diplomatique')]]")
_QUOTED = re.compile(r"[\"«“„']\s*(.+?)\s*[\"»”']\s*$")
_STOP_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "fieldset", "table", "dl", "form"}


@dataclass
class ProjectPage:
    """A parsed project page: the record, and for each of its paginated tables
    the field it fills and the address of that table's next page."""

    item: ProjectItem
    next_pages: dict[str, str] = field(default_factory=dict)


def parse_project(response: TextResponse, crawled_at: str | None = None) -> ProjectPage:
    page = PageIndex(response, known_labels=LABELS)
    loader = ProjectLoader(selector=response.selector)  # the page parsed once, not again
    pid = project_id(response.url)
    loader.add_value("type", "project")
    loader.add_value("id", pid)
    loader.add_value("url", project_url(response.url) if pid else None)
    loader.add_value("crawled_at", crawled_at or utc_now())

    extra: dict[str, object] = {}
    for pair in page.pairs:
        target = LABELS.get(pair.key)
        if target is None:
            if pair.key.startswith(_EMBASSY):
                continue
            value = text_of(pair.raw_text)
            if pair.key in CHECKBOXES and (flag := parse_yes_no(value)) is not None:
                loader.add_value(CHECKBOXES[pair.key], flag)
                continue
            extra[extra_key(pair.label)] = value
        elif not loader.get_collected_values(target):
            loader.add_value(target, pair.raw_text)

    for statement, checked in page.checkboxes.items():
        target = CHECKBOXES.get(label_key(statement))
        if target:
            loader.add_value(target, checked)
        else:
            extra[statement] = checked

    next_pages = _load_tables(page, loader, TABLES)
    for table in page.unused_tables():
        if table.key.startswith(_EMBASSY) or not table.rows:
            continue
        extra[extra_key(table.title)] = table_as_extra(table)

    loader.add_value("embassy", _embassy(response.selector.root))
    loader.add_value("extra", {k: v for k, v in extra.items() if v not in (None, "", [])})
    return ProjectPage(loader.load_item(), next_pages)


def parse_project_table_page(response: TextResponse, field_name: str) -> ProjectPage:
    """A further page of one paginated table (``…&d-1342871-p=2``): only that
    table's rows are read, and the address of its next page."""
    page = PageIndex(response)
    loader = ProjectLoader(selector=response.selector)  # the page parsed once, not again
    next_pages = _load_tables(page, loader, [spec for spec in TABLES if spec.field == field_name])
    return ProjectPage(loader.load_item(), next_pages)


def _load_tables(
    page: PageIndex, loader: ProjectLoader, specs: list[TableSpec] | tuple[TableSpec, ...]
) -> dict[str, str]:
    """Load the rows of each table ``specs`` name; return, for each paginated
    one, the address of its next page."""
    next_pages: dict[str, str] = {}
    current = page_params(page.response.url)
    for spec in specs:
        table, rows = page.table_rows(spec)
        loader.add_value(spec.field, rows)
        if table is not None and (param := table.page_param()):
            nxt = _next_page(table, param, current.get(param, 1), page.response)
            if nxt:
                next_pages[spec.field] = nxt
    return next_pages


def _next_page(table, param: str, current: int, response: TextResponse) -> str | None:
    """The address this table's pagination gives for page ``current + 1``."""
    for link in table.page_links:
        href = link.get("href", "")
        if page_params(href).get(param) == current + 1:
            return response.urljoin(href)
    return None


def _embassy(root: etree._Element) -> dict | None:
    """The block 'Contacts dans le poste diplomatique "…"': the post's name and
    its contacts (role, name, ``Courriel :`` line)."""
    found = _EMBASSY_XPATH(root)
    if not found:
        return None
    heading = found[-1]
    title = text_of(heading) or ""
    quoted = _QUOTED.search(title)
    name = quoted.group(1) if quoted else title[len(_EMBASSY) :].strip(' :"')
    text = clean(nodes_text(siblings_after(heading, _STOP_TAGS))) or ""
    lines = [line for line in text.split("\n") if line.strip()]
    return {"name": name, "contacts": _contacts(lines)}


def _contacts(lines: list[str]) -> list[dict[str, str | None]]:
    """Role, name and e-mail lines grouped into contacts."""
    contacts: list[dict[str, str | None]] = []
    current: dict[str, str | None] | None = None
    for line in lines:
        if parse_email(line) and (current is not None):
            current["email"] = line
            current = None
            continue
        if current is None or current["name"] is not None:
            current = {"role": line, "name": None, "email": None}
            contacts.append(current)
        else:
            current["name"] = line
    return contacts
