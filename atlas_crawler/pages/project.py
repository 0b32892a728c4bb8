"""Project page (``detailProjet.html``) -> ``ProjectItem``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from scrapy.http import TextResponse

from atlas_crawler.extract.accounting import table_doubts
from atlas_crawler.extract.doubts import AMBIGUOUS, IMPLAUSIBLE, Doubt
from atlas_crawler.extract.flow import Flow
from atlas_crawler.extract.reading import read_page
from atlas_crawler.extract.tables import Table, TableSpec, find_chrome, rows_of
from atlas_crawler.extract.values import parse_email
from atlas_crawler.extract.vocabulary import Reading, Vocabulary
from atlas_crawler.items import DOUBTS, ProjectItem
from atlas_crawler.pages.common import CHROME_TEXTS, LAST_PAGE_TEXTS, add_unknown_tables, count_in, utc_now
from atlas_crawler.pages.loaders import ProjectLoader
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

#: Checkbox statements (as ``label_key`` spells them) -> field.
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
        (("nom de la collectivite", "name"), ("nom", "name"), ("pays", "country")),
        link_key="href",
    ),
    TableSpec(
        "french_partners",
        ("collectivites territoriales partenaires", "collectivites partenaires"),
        (("nom de la collectivite territoriale", "name"), ("nom de la collectivite", "name"), ("nom", "name")),
        link_key="href",
    ),
    TableSpec(
        "funding",
        ("financement",),
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

#: Section titles: they end the value before them.
SECTIONS = frozenset({"mise en oeuvre du partenariat", "evaluations, communication et perspectives"})
#: Blocks, by the words that start their heading.
BLOCKS = {"contacts dans le poste diplomatique": "embassy"}
#: The embassy's contacts as a table: role, name, then address, whatever the column order.
BLOCK_COLUMNS = {
    "embassy": (
        ("fonction", "role", "poste", "titre", "qualite"),
        ("nom", "prenom", "contact", "interlocuteur"),
        ("courriel", "e-mail", "email", "mail", "mel", "adresse"),
    )
}
#: Fields shown on one line (the loader joins lines of the others' values or keeps them).
ONE_LINE = frozenset(
    {"title", "first_agreement_year", "theme", "sub_theme", "sub_sub_theme", "start_year", "status", "end_date"}
    | {"partnership_form"}
)
VOCABULARY = Vocabulary(
    LABELS, CHECKBOXES, TABLES, SECTIONS, BLOCKS, chrome=CHROME_TEXTS, one_line=ONE_LINE, block_columns=BLOCK_COLUMNS
)


@dataclass(frozen=True)
class TableShape:
    """What each page of a paginated table says of the whole table: the rows its
    banner announces and the pages its pager shows (None: the page does not say).
    Two pages of one table that say otherwise come from two versions of the
    record page."""

    announced: int | None = None
    pages: int | None = None


@dataclass
class ProjectPage:
    """A parsed project page: the record, for each of its paginated tables the
    field it fills and the address of that table's next page, what each paginated
    table says of itself (``shapes``), and how well the page fits a project page
    (``is_project_page``: False for a login, error or menu page, whatever it says)."""

    item: ProjectItem
    next_pages: dict[str, str] = field(default_factory=dict)
    shapes: dict[str, TableShape] = field(default_factory=dict)
    is_project_page: bool = False


def fit(reading: Reading) -> int:
    """How much of a project page a page holds: its labels and statements read
    as such, its tables and its embassy block. Judged by the page's structure
    read with the project vocabulary: a login, error or menu page holds none of
    it, whatever words it uses."""
    tables = sum(1 for t in reading.tables if t.spec in TABLES)
    return len(reading.values) + len(reading.states) + tables + len(reading.blocks)


def is_project_page(reading: Reading) -> bool:
    """A project page holds at least one of its labels, statements or tables:
    the atlas's own phrases (``Année de début du partenariat``, ``Autres
    thématiques mises en œuvre…``), which no login, error or menu page reads as
    labels (a collectivity's short labels ask for more: ``is_collectivity_page``)."""
    return fit(reading) >= 1


def parse_project(response: TextResponse, crawled_at: str | None = None, reading: Reading | None = None) -> ProjectPage:
    """A project page's record (``reading``: the page already read with
    ``VOCABULARY``, as checking that it is a project page does)."""
    if reading is None:
        reading = read_page(response.selector.root, VOCABULARY)
    loader = ProjectLoader(selector=response.selector)  # the page parsed once, not again
    pid = project_id(response.url)
    loader.add_value("type", "project")
    loader.add_value("id", pid)
    loader.add_value("url", project_url(response.url) if pid else None)
    loader.add_value("crawled_at", crawled_at or utc_now())
    for name, text in reading.values.items():
        loader.add_value(name, text)
    for name, state in reading.states.items():
        loader.add_value(name, state)
    next_pages = _load_tables(reading.tables, loader, TABLES, response)
    extra: dict[str, object] = dict(reading.extra)
    add_unknown_tables(extra, reading.tables)
    doubts = list(reading.doubts)
    if (block := reading.blocks.get("embassy")) is not None:
        contacts = _contacts(block.lines)
        loader.add_value("embassy", {"name": block.name, "contacts": contacts})
        doubts += _contact_doubts(contacts)
    loader.add_value("extra", {k: v for k, v in extra.items() if v not in (None, "", [])})
    item = loader.load_item()
    item[DOUBTS] = [doubt.as_json() for doubt in doubts]
    return ProjectPage(item, next_pages, _shapes(reading.tables, next_pages, response), is_project_page(reading))


def parse_project_table_page(response: TextResponse, field_name: str) -> ProjectPage:
    """A further page of one paginated table (``…&d-1342871-p=2``): the whole
    project page again, read as page 1 is, of which that table's rows, the
    address of its next page, the record's title and the table's shape are kept
    (to be checked against page 1's: the same version of the page)."""
    reading = read_page(response.selector.root, VOCABULARY)
    specs = [spec for spec in TABLES if spec.field == field_name]
    loader = ProjectLoader(selector=response.selector)  # the page parsed once, not again
    loader.add_value("title", reading.values.get("title"))
    next_pages = _load_tables(reading.tables, loader, specs, response)
    item = loader.load_item()
    table = next((t for t in reading.tables if t.spec in specs), None)
    doubts = table_doubts(table, VOCABULARY) if table is not None else [Doubt(AMBIGUOUS, response.url, field_name)]
    item[DOUBTS] = [doubt.as_json() for doubt in doubts]  # a further page without its table: rows missing
    shapes = _shapes(reading.tables, {field_name: ""}, response) if table is not None else {}
    return ProjectPage(item, next_pages, shapes, is_project_page(reading))


def _shapes(tables: list[Table], fields: dict[str, str], response: TextResponse) -> dict[str, TableShape]:
    """The shape of each table of ``fields`` that is paginated (none for most
    pages: then nothing more is read). Its banners are found as the reader finds
    them (``find_chrome``, on the flow of the same tables)."""
    paginated = [t for t in tables if t.spec is not None and t.spec.field in fields and t.page_param()]
    if not paginated:
        return {}
    flow = Flow(paginated[0].element.getroottree().getroot(), [t.element for t in tables])
    find_chrome(flow, paginated)
    current = page_params(response.url)
    shapes = {}
    for table in paginated:
        banners = (count_in(flow.text(range(start, end))) for start, end in table.chrome)
        announced = next((n for n in banners if n is not None), None)
        param = table.page_param() or ""
        shapes[table.spec.field] = TableShape(announced, _page_count(table, param, current.get(param, 1)))
    return shapes


def _page_count(table: Table, param: str, current: int) -> int | None:
    """The pages a table's pager shows: its last-page link's (``>>``), else the
    current page when no link goes beyond it (the last page), else None (a window
    of page numbers without a last link says nothing of the last page)."""
    linked: list[int] = []
    for link in table.page_links:
        n = page_params(link.get("href", "")).get(param)
        if n is None:
            continue
        if " ".join(link.text_content().split()).lower() in LAST_PAGE_TEXTS:
            return n
        linked.append(n)
    return current if max(linked, default=current) <= current else None


def _load_tables(
    tables: list[Table], loader: ProjectLoader, specs: list[TableSpec] | tuple[TableSpec, ...], response: TextResponse
) -> dict[str, str]:
    """Load the rows of each table ``specs`` name; return, for each paginated
    one, the address of its next page."""
    next_pages: dict[str, str] = {}
    current = page_params(response.url)
    for spec in specs:
        table = next((t for t in tables if t.spec is spec), None)
        if table is None:
            continue
        loader.add_value(spec.field, rows_of(table, response.url))
        if param := table.page_param():
            nxt = _next_page(table, param, current.get(param, 1), response)
            if nxt:
                next_pages[spec.field] = nxt
    return next_pages


def _next_page(table: Table, param: str, current: int, response: TextResponse) -> str | None:
    """The address this table's pagination gives for page ``current + 1``."""
    for link in table.page_links:
        href = link.get("href", "")
        if page_params(href).get(param) == current + 1:
            return response.urljoin(href)
    return None


#: An e-mail address closing a line (``Marie DIOP – marie.diop[at]diplomatie.gouv.fr``).
_LINE_EMAIL = re.compile(
    r"((?:mailto:)?[^\s@,;()<>]+(?:@|\s?\[\s*at\s*\]\s?|\s?\(\s*at\s*\)\s?)[^\s@,;()<>]+)[\s)>]*$", re.IGNORECASE
)
#: What separates a role, a name and an address on one line.
_SEPARATOR = re.compile(r"\s+[:–—-]\s+|\s*[,;(<]\s*$")


def _contact_lines(lines: list[str]) -> list[str]:
    """The block's lines, a contact written on one line (``Attaché : Marie DIOP –
    marie.diop@…``) split into its role, name and e-mail lines."""
    out: list[str] = []
    for line in lines:
        match = None if parse_email(line) else _LINE_EMAIL.search(line)
        head = _SEPARATOR.sub("\n", line[: match.start()]).strip(" \n,;:–—-") if match else ""
        if not head:
            out.append(line)
            continue
        out.extend(part for part in (p.strip() for p in head.split("\n")) if part)
        out.append(match.group(1))
    return out


_ADDRESS_WORDS = re.compile(r"@|\[\s*at\s*\]|\(\s*at\s*\)|^\s*(?:courriel|e-?mail|mail|mel)\b", re.IGNORECASE)


def _contact_doubts(contacts: list[dict[str, str | None]]) -> list[Doubt]:
    """A contact whose role or name is an address: its lines did not come as
    role, name, e-mail (a table of contacts read in another column order)."""
    return [
        Doubt(IMPLAUSIBLE, f"an address as a contact's {key}: {text}", "embassy")
        for contact in contacts
        for key in ("role", "name")
        if (text := contact[key]) and _ADDRESS_WORDS.search(text)
    ]


def _contacts(lines: list[str]) -> list[dict[str, str | None]]:
    """Role, name and e-mail lines grouped into contacts."""
    contacts: list[dict[str, str | None]] = []
    current: dict[str, str | None] | None = None
    for line in _contact_lines(lines):
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
