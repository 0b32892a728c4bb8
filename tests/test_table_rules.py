"""Tables as form-based sites lay them out (issue 17): a title in ``summary``
only, results banners and pagers around a table, a statement just before it,
the placeholder row of an empty table, pagers tied to their table, two unknown
tables of one name. Each rule on small hand-written pages, in spellings the
generator does not use."""

from __future__ import annotations

import pytest
from lxml import html

from atlas_crawler.extract.tables import find_tables, is_banner_or_pager
from atlas_crawler.pages.collectivity import parse_collectivity
from atlas_crawler.pages.project import TABLES, parse_project
from tests.saved import html_response

PROJECT_URL = "https://atlas.test/cncdext/dyn/public/atlas/detailProjet.html?criteres.prjId=1"
FOREIGN = "https://atlas.test/cncdext/dyn/public/atlas/detailCollectiviteEtrangere.html?idCollectivite=9"
CONTEXT = "<dl><dt>Contexte</dt><dd>Un contexte.</dd></dl>"
DOCUMENTS = "<tr><th>Titre</th><th>Date</th></tr><tr><td>Convention</td><td>2019</td></tr>"
DOCUMENT_ROWS = [{"Titre": "Convention", "Date": "2019"}]
PEOPLE = "<tr><th>Nom</th><th>Prénom</th></tr><tr><td>DIOP</td><td>Awa</td></tr>"


def project(*snippets: str) -> dict:
    parsed = parse_project(html_response("<html><body>" + "".join(snippets) + "</body></html>"))
    record = dict(parsed.item)
    record.pop("crawled_at")
    record["next_pages"] = parsed.next_pages
    return record


def tables_of(*snippets: str):
    return find_tables(html.fromstring("<html><body>" + "".join(snippets) + "</body></html>"), TABLES)


# --- a title in the summary attribute only -----------------------------------------------
def test_a_known_table_is_found_by_its_summary() -> None:
    """``Nom``/``Prénom`` fit the contacts and the volunteers: the summary tells."""
    record = project(CONTEXT, f"<table summary='Volontaires impliqués dans le partenariat'>{PEOPLE}</table>")
    assert [v["last_name"] for v in record["volunteers"]] == ["DIOP"]
    assert record["foreign_partner_contacts"] == []
    assert record["context"] == "Un contexte."


def test_an_unknown_table_is_named_by_its_summary_not_by_the_value_before_it() -> None:
    record = project(CONTEXT, f"<table class='displaytag' summary='Documents joints'>{DOCUMENTS}</table>")
    assert record["extra"] == {"Documents joints": DOCUMENT_ROWS}
    assert record["context"] == "Un contexte."


def test_a_visible_title_that_says_the_same_as_the_summary_is_the_title() -> None:
    record = project(CONTEXT, f"<p><b>Documents joints</b></p><table summary='Documents joints'>{DOCUMENTS}</table>")
    assert record["extra"] == {"Documents joints": DOCUMENT_ROWS}
    assert record["context"] == "Un contexte."


# --- results banners and pagers ----------------------------------------------------------
BANNERS = [
    "<span class='pagebanner'>12 éléments trouvés, affichage de 1 à 5.</span>",
    "<span class='pagebanner'>Une ligne trouvée.</span>",
    "<p>Aucun élément trouvé</p>",
    "<div class='info'>Résultats 1 - 10 sur 45</div>",
    "<em>1 item found.</em>",
]
PAGERS = [
    "<span class='pagelinks'>[Premier/Préc] <strong>1</strong>, <a href='?d-7-p=2&amp;criteres.prjId=1'>2</a>"
    " [<a href='?d-7-p=2&amp;criteres.prjId=1'>Suiv</a>/<a href='?d-7-p=2&amp;criteres.prjId=1'>Dernier</a>]</span>",
    "<div>&lt;&lt; &lt; <b>1</b> 2 &gt; &gt;&gt;</div>",
    "<ul class='pages'><li>«</li><li>1</li><li>2</li><li>»</li></ul>",
    "<p>Page : 1 / 3</p>",
    "<span>[1] [2] [3]</span>",
    "<span class='pagelinks'><strong>1</strong></span>",
    "<div class='exportlinks'>Export options: <a href='?d-7-e=1'>CSV</a> | <a href='?d-7-e=2'>Excel</a></div>",
]


@pytest.mark.parametrize("chrome", [*BANNERS, *PAGERS, BANNERS[0] + PAGERS[0], BANNERS[1] + "<br>" + PAGERS[1]])
@pytest.mark.parametrize("where", ["above", "below", "both"])
def test_banners_and_pagers_are_neither_title_value_nor_extra(chrome: str, where: str) -> None:
    above, below = (chrome if where in ("above", "both") else ""), (chrome if where in ("below", "both") else "")
    record = project(
        "<div>Bénéficiaire(s)<br>Les habitants<br></div>",
        f"<h3>Documents joints</h3>{above}<table>{DOCUMENTS}</table>{below}",
        CONTEXT,
    )
    assert record["extra"] == {"Documents joints": DOCUMENT_ROWS}
    assert (record["beneficiaries"], record["context"]) == ("Les habitants", "Un contexte.")


def test_a_banner_between_a_known_table_s_heading_and_the_table() -> None:
    record = project(
        "<h4>Volontaires impliqués dans le partenariat</h4><span class='pagebanner'>3 éléments trouvés</span>"
        f"<table>{PEOPLE}</table>"
    )
    assert [v["last_name"] for v in record["volunteers"]] == ["DIOP"]


def test_a_title_and_a_banner_on_one_line() -> None:
    record = project(f"<b>Documents joints</b> <span>2 documents trouvés</span><table>{DOCUMENTS}</table>")
    assert record["extra"] == {"Documents joints": DOCUMENT_ROWS}


@pytest.mark.parametrize("pager", ["<span class='pagelinks'><strong>1</strong></span>", "<div>1</div>"])
def test_a_page_number_alone_before_a_table_is_no_title(pager: str) -> None:
    """displaytag's one-page pager; a known label's value is no pager."""
    record = project(
        "<dl><dt>Titre</dt><dd>Un titre</dd><dt>Sous-sous-thématique d'intervention</dt><dd></dd></dl>",
        f"<p>Documents joints</p><span class='pagebanner'>1 élément trouvé</span>{pager}<table>{DOCUMENTS}</table>",
        f"<dl><dt>Bénéficiaire(s)</dt><dd>Les habitants</dd></dl>{pager}<table summary='Autres'>{DOCUMENTS}</table>",
    )
    assert record["extra"] == {"Documents joints": DOCUMENT_ROWS, "Autres": DOCUMENT_ROWS}
    assert (record["title"], record["sub_sub_theme"], record["beneficiaries"]) == ("Un titre", None, "Les habitants")
    paired = project(f"<dl><dt>Bénéficiaire(s)</dt><dd>12</dd></dl><table>{DOCUMENTS}</table>")
    assert (paired["beneficiaries"], paired["extra"]) == ("12", {"tableau": DOCUMENT_ROWS})


@pytest.mark.parametrize(
    "pair",
    [
        "<h3>Population :</h3><div>{}</div>",
        "<div class='ligne'><label>Population</label><div class='valeur'>{}</div></div>",
        "<div><span class='libelle'>Population :</span> <span class='valeur'>{}</span></div>",
        "<table><tr><td>Population :</td><td>{}</td></tr></table>",
    ],
)
@pytest.mark.parametrize("value", ["154 804", "154 <a><font>804</font></a>", "12"])
def test_a_number_after_an_unknown_label_before_a_table_is_its_value(pair: str, value: str) -> None:
    record = collectivity_record(
        "<dl><dt>Nom</dt><dd>Région de Kayes</dd></dl>"
        + pair.format(value)
        + "<table summary='Projets de la collectivité'><tr><th>Titre du projet</th><th></th></tr>"
        "<tr><td><a href='detailProjet.html?criteres.prjId=4'>Eau</a></td><td></td></tr></table>"
    )
    assert record["extra"] == {"Population": value.replace("<a><font>", "").replace("</font></a>", "")}
    assert record["project_ids"] == ["4"]


def test_a_value_before_a_table_is_no_banner() -> None:
    record = project(
        "<div>Année de début du partenariat : 2001</div><div>Date de fin du partenariat : 12/05/2009</div>",
        f"<table summary='Documents joints'>{DOCUMENTS}</table>",
    )
    assert (record["start_year"], record["end_date"]) == (2001, "2009-05-12")


@pytest.mark.parametrize(
    ("text", "chrome"),
    [
        ("12 éléments trouvés, affichage de 1 à 5", True),
        ("12 items found, displaying 1 to 5.", True),
        ("Aucun élément à afficher.", True),
        ("Résultats 1 à 10 sur 45", True),
        ("Page 1 sur 3", True),
        ("1, 2, 3", True),
        ("« Précédent | Suivant »", True),
        ("1", False),
        ("2001", False),
        ("1 002", False),
        ("Résultats 2019", False),
        ("Résultats attendus", False),
        ("Financement 3 éléments trouvés", False),
        ("Une politique d'évaluation a été engagée", False),
    ],
)
def test_banners_and_pagers_by_their_words(text: str, chrome: bool) -> None:
    assert is_banner_or_pager(text) is chrome


# --- a statement just before a table -----------------------------------------------------------
FUNDING = (
    "<table><tr><th>Nom du financeur</th><th>Montant</th></tr><tr><td>Commune de Kayes</td><td>1 000</td></tr></table>"
)


@pytest.mark.parametrize(
    "statement",
    [
        "<p>Le partenariat est triennal <input type='checkbox' checked></p>",
        "<p><img src='/img/case_cochee.png' alt=''> Le partenariat est triennal</p>",
        "<div>☑ Le partenariat est triennal</div>",
        "<p>Le partenariat est triennal : Oui</p>",
        "<table class='case'><tr><td>Le partenariat est triennal</td><td>[X]</td></tr></table>",
        "<div><span>Oui</span> <span><img src='/img/puce.png' alt=''> Le partenariat est triennal</span></div>",
        "<table class='case'><tr><td>LE  PARTENARIAT EST TRIENNAL</td><td>OUI</td></tr></table>",
    ],
)
def test_a_statement_just_before_a_table_is_a_statement_not_its_title(statement: str) -> None:
    record = project(statement, FUNDING)
    assert record["triennial"] is True
    assert [f["funder"] for f in record["funding"]] == ["Commune de Kayes"]
    assert record["extra"] == {}


def test_a_label_with_its_value_just_before_a_table_is_no_title() -> None:
    record = project("<p>Bénéficiaire(s) : Les habitants</p>", FUNDING)
    assert record["beneficiaries"] == "Les habitants"
    assert [f["funder"] for f in record["funding"]] == ["Commune de Kayes"]


def test_an_unknown_statement_just_before_an_unknown_table() -> None:
    record = project(f"<p>☑ Rapport final transmis</p><table>{DOCUMENTS}</table>")
    assert record["extra"] == {"Rapport final transmis": True, "tableau": DOCUMENT_ROWS}


# --- the placeholder row of an empty table -------------------------------------------------------
@pytest.mark.parametrize(
    "row",
    [
        "<tr class='empty'><td colspan='3'>Aucun élément à afficher.</td></tr>",
        "<tr><td colspan='3'><i>Aucune donnée</i></td></tr>",
        "<tbody><tr><td colspan='0'>Pas de résultat</td></tr></tbody>",
        "<tr><td colspan='5'>Néant</td></tr>",
        "<tr><td colspan='0'><font><a>—</a></font></td></tr>",  # an <a> without href leads nowhere: no link
    ],
)
def test_the_placeholder_row_of_an_empty_table_is_no_data(row: str) -> None:
    head = "<tr><th>Nom du financeur</th><th>Montant</th><th>Année</th></tr>"
    record = project(f"<h3>Financement du partenariat</h3><table>{head}{row}</table>")
    assert record["funding"] == []
    assert record["extra"] == {}
    (table,) = tables_of(f"<table>{head}{row}</table>")
    assert table.rows == [] and [r.xpath("string()").strip() for r in table.chrome_rows][-1]


def test_a_spanning_row_with_a_link_is_data() -> None:
    head = "<tr><th>Nom du financeur</th><th>Montant</th><th>Année</th></tr>"
    (table,) = tables_of(f"<table>{head}<tr><td colspan='3'><a href='/f?id=1'>Région</a></td></tr></table>")
    assert len(table.rows) == 1


def test_an_unknown_empty_table_goes_nowhere() -> None:
    record = project(
        "<h3>Documents joints</h3><table><tr><th>Titre</th><th>Date</th></tr>"
        "<tr><td colspan='2'>Aucun document</td></tr></table>"
    )
    assert record["extra"] == {}


def test_a_spanning_row_among_data_rows_is_data() -> None:
    (table,) = tables_of(
        "<table><tr><th>Titre</th><th>Date</th></tr><tr><td colspan='2'>Convention cadre</td></tr>"
        "<tr><td>Avenant</td><td>2020</td></tr></table>"
    )
    assert len(table.rows) == 2 and table.chrome_rows == []


def test_title_and_blank_rows_are_chrome_rows() -> None:
    (table,) = tables_of(
        "<table><tr><td colspan='2'><b>Documents joints</b></td></tr><tr><td colspan='2'></td></tr>"
        f"{DOCUMENTS}<tr><td></td><td>&nbsp;</td></tr></table>"
    )
    assert table.title == "Documents joints"
    assert len(table.rows) == 1 and len(table.chrome_rows) == 3
    assert table.header_row is not None and table.header_row.xpath("string()") == "TitreDate"


# --- pagers tied to their table -----------------------------------------------------------------
def pager(param: str, page: int = 2) -> str:
    return (
        f"<div class='pages'><b>1</b> <a href='detailProjet.html?criteres.prjId=1&amp;{param}={page}'>{page}</a></div>"
    )


VOLUNTEERS = "<h4>Volontaires impliqués dans le partenariat</h4>"
CONTACTS = "<h4>Contacts dans les partenaires étrangers du partenariat</h4>"


def test_a_pager_above_its_table_belongs_to_it() -> None:
    first, second = tables_of(
        CONTACTS, f"<table>{PEOPLE}</table>", VOLUNTEERS, pager("d-9-p"), f"<table>{PEOPLE}</table>"
    )
    assert (len(first.page_links), len(second.page_links)) == (0, 1)
    record = project(CONTACTS, f"<table>{PEOPLE}</table>", VOLUNTEERS, pager("d-9-p"), f"<table>{PEOPLE}</table>")
    assert record["next_pages"] == {"volunteers": PROJECT_URL + "&d-9-p=2"}


def test_a_pager_below_its_table_before_the_next_heading_belongs_to_it() -> None:
    first, second = tables_of(
        CONTACTS, f"<table>{PEOPLE}</table>", pager("d-8-p"), VOLUNTEERS, f"<table>{PEOPLE}</table>"
    )
    assert (len(first.page_links), len(second.page_links)) == (1, 0)


def test_a_pager_between_two_tables_belongs_to_the_one_in_its_wrapper() -> None:
    tables = tables_of(f"<div><table>{PEOPLE}</table>{pager('d-8-p')}</div><table>{DOCUMENTS}</table>")
    assert [len(t.page_links) for t in tables] == [1, 0]
    tables = tables_of(f"<table>{PEOPLE}</table><div class='t'>{pager('d-8-p')}<table>{DOCUMENTS}</table></div>")
    assert [len(t.page_links) for t in tables] == [0, 1]


def test_a_pager_between_two_tables_goes_with_its_own_pagination() -> None:
    tables = tables_of(
        CONTACTS, pager("d-8-p"), f"<table>{PEOPLE}</table>", pager("d-8-p", 3), f"<table>{DOCUMENTS}</table>"
    )
    assert [len(t.page_links) for t in tables] == [2, 0]


def test_a_pager_between_two_tables_is_placed_as_the_page_places_the_others() -> None:
    tables = tables_of(
        CONTACTS, pager("d-8-p"), f"<table>{PEOPLE}</table>", pager("d-9-p"), f"<table>{DOCUMENTS}</table>"
    )
    assert [[link.get("href")[-7:] for link in t.page_links] for t in tables] == [["d-8-p=2"], ["d-9-p=2"]]
    tables = tables_of(
        f"<table>{PEOPLE}</table>", pager("d-8-p"), f"<table>{DOCUMENTS}</table>", pager("d-9-p"), VOLUNTEERS
    )
    assert [[link.get("href")[-7:] for link in t.page_links] for t in tables] == [["d-8-p=2"], ["d-9-p=2"]]


def test_a_pager_that_fits_no_one_table_is_an_orphan() -> None:
    tables = tables_of(f"<table>{PEOPLE}</table>", pager("d-8-p"), f"<table>{DOCUMENTS}</table>")
    assert [t.page_links for t in tables] == [[], []]
    assert [link.get("href")[-7:] for link in tables.orphan_pagers] == ["d-8-p=2"]
    far = tables_of(f"<table>{PEOPLE}</table><p>Les montants sont en euros.</p>", pager("d-8-p"))
    assert far[0].page_links == [] and len(far.orphan_pagers) == 1


# --- two unknown tables of one name -----------------------------------------------------------------
def test_two_unknown_tables_of_one_name_both_stay() -> None:
    second = "<tr><th>Titre</th><th>Date</th></tr><tr><td>Avenant</td><td>2021</td></tr>"
    record = project(
        f"<h4>Documents joints</h4><table>{DOCUMENTS}</table><h4>Documents joints</h4><table>{second}</table>",
        f"<table>{DOCUMENTS}</table><p>☑ Bilan</p><table>{second}</table>",
    )
    assert list(record["extra"]) == ["Bilan", "Documents joints", "Documents joints (2)", "tableau", "tableau (2)"]
    assert record["extra"]["Documents joints (2)"] == [{"Titre": "Avenant", "Date": "2021"}]


def test_an_unknown_table_named_as_an_unknown_label_keeps_both() -> None:
    record = collectivity_record(
        "<dl><dt>Nom</dt><dd>Région de Kayes</dd><dt>Documents :</dt><dd>Deux</dd></dl>"
        f"<p>Documents</p><table>{DOCUMENTS}</table>"
    )
    assert record["extra"] == {"Documents": "Deux", "Documents (2)": DOCUMENT_ROWS}


def collectivity_record(body: str) -> dict:
    return dict(parse_collectivity(html_response(f"<html><body>{body}</body></html>", FOREIGN)))


def test_a_title_in_its_own_block_after_an_inline_statement_names_the_table() -> None:
    """``<label><input> Le partenariat est triennal</label><p>Documents joints</p><table>``:
    the paragraph is a block of its own, not the last line of the statement's run."""
    body = (
        "<dl><dt>Titre</dt><dd>Un titre</dd></dl>"
        '<label><input type="checkbox" disabled> Le partenariat est triennal</label>'
        "<p>Documents joints</p><table summary='Documents joints'><thead><tr><th>Titre</th><th>Date</th></tr></thead>"
        "<tbody><tr><td>Rapport</td><td>01/01/2000</td></tr></tbody></table>"
    )
    record = dict(parse_project(html_response(f"<html><body>{body}</body></html>")).item)
    assert record["doubts"] == []
    assert record["extra"]["Documents joints"] == [{"Titre": "Rapport", "Date": "01/01/2000"}]
