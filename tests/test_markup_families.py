"""The same labels and tables, however the page wraps them: one label matcher
and one table reader serve every family."""

from __future__ import annotations

import pytest

from atlas_crawler.items import DOUBTS
from atlas_crawler.pages.collectivity import parse_collectivity
from atlas_crawler.pages.project import parse_project
from tests.saved import html_response

PAIRS = {
    "div/label": '<div class="ligne"><label>{label}</label><div class="valeur">{value}</div></div>',
    "th/td": "<table><tr><th>{label}</th><td>{value}</td></tr></table>",
    "dt/dd": "<dl><dt>{label}</dt><dd>{value}</dd></dl>",
    "label + span": "<p><label>{label}</label> <span>{value}</span></p>",
    "strong + text": "<p><strong>{label}</strong> {value}</p>",
    "heading + block": "<h4>{label}</h4><div>{value}</div>",
    "label + read-only field": '<label for="f">{label}</label><input type="text" id="f" readonly value="{value}">',
}


def project(*snippets: str) -> dict:
    return dict(parse_project(html_response("<html><body>" + "".join(snippets) + "</body></html>")).item)


@pytest.mark.parametrize("family", PAIRS)
@pytest.mark.parametrize("label", ["Titre", "Titre :", "  Titre\u00a0: ", "TITRE"])
def test_label_families(family: str, label: str) -> None:
    record = project(PAIRS[family].format(label=label, value="Un titre"))
    assert record["title"] == "Un titre"
    assert record["extra"] == {}


@pytest.mark.parametrize(
    "markup",
    [
        "<ul><li>Titre : Un titre</li></ul>",
        "<p>Titre\u00a0:\u00a0Un titre</p>",
        "<div>Titre: Un <em>titre</em></div>",
        "<td>Titre : Un titre</td>",
    ],
)
def test_a_known_label_and_its_value_in_one_text(markup: str) -> None:
    record = project(markup, PAIRS["dt/dd"].format(label="Le partenariat est", value="En cours"))
    assert record["title"] == "Un titre"
    assert record["status"] == "En cours"
    assert record["extra"] == {}


@pytest.mark.parametrize("family", ["div/label", "th/td", "dt/dd"])
def test_an_empty_value_is_null_not_the_next_label(family: str) -> None:
    fmt = PAIRS[family]
    record = project(
        fmt.format(label="Sous-sous-thématique d'intervention", value=""),
        fmt.format(label="Date de fin du partenariat", value=""),
        fmt.format(label="Le partenariat est", value="En cours"),
    )
    assert record["sub_sub_theme"] is None
    assert record["end_date"] is None
    assert record["status"] == "En cours"


def test_a_read_only_textarea_keeps_its_lines() -> None:
    record = project(
        "<label>Maître(s) d'ouvrage</label><textarea readonly>Ville d'Évry\r\n  S.A.N. Évry Centre Essonne\n</textarea>",
        "<label>Contexte</label><textarea disabled>Une ligne.\n\n\n\nUne autre.</textarea>",
    )
    assert record["contracting_authorities"] == ["Ville d'Évry", "S.A.N. Évry Centre Essonne"]
    assert record["context"] == "Une ligne.\n\nUne autre."


def test_a_label_with_no_value_element_is_null() -> None:
    record = project(
        '<div class="ligne"><label>Date de fin du partenariat</label></div>',
        '<div class="ligne"><label>Le partenariat est</label><div>Terminé</div></div>',
    )
    assert record["end_date"] is None
    assert record["status"] == "Terminé"


UNKNOWN_LABEL_FAMILIES = {
    **PAIRS,
    "td/td": "<table><tr><td>{label}</td><td>{value}</td></tr></table>",
    "span/span": '<div><span class="libelle">{label}</span><span>{value}</span></div>',
}


@pytest.mark.parametrize("family", UNKNOWN_LABEL_FAMILIES)
def test_unknown_labels_go_to_extra_under_their_cleaned_label(family: str) -> None:
    record = project(UNKNOWN_LABEL_FAMILIES[family].format(label="Référence interne\u00a0:", value=" CNCD-12 "))
    assert record["extra"] == {"Référence interne": "CNCD-12"}


def test_colon_labels_in_a_row_each_keep_their_own_value() -> None:
    markup = "<p><span>Référence :</span> CNCD-12 <span>Dossier suivi par :</span> M. Diop</p>"
    assert project(markup)["extra"] == {"Référence": "CNCD-12", "Dossier suivi par": "M. Diop"}


def test_an_unknown_table_s_title_loses_its_colon() -> None:
    markup = "<div>Documents :</div><table><tr><th>Titre</th><th>Date</th></tr><tr><td>Convention</td><td>2019</td></tr></table>"
    assert project(markup)["extra"] == {"Documents": [{"Titre": "Convention", "Date": "2019"}]}


FUNDING_HEAD = ["Nom du financeur", "Montant en euros", *["Montant 1% Eau (Loi Oudin 2005)"] * 3, "Année"]
FUNDING_ROW = [", Commune de Kayes", "1 500,50", "0", "", "25 000,00", "2012"]
FUNDING = [
    {"funder": "Commune de Kayes", "amount_eur": 1500.5, "one_percent_amounts_eur": [0, None, 25000], "year": 2012}
]


def _table(title_markup: str, head_markup: str, rows: str) -> str:
    return title_markup.replace("{table}", f"<table>{head_markup}<tbody>{rows}</tbody></table>")


TITLES = {
    "caption": "<table><caption>{title}</caption>{head}<tbody>{rows}</tbody></table>",
    "title row": "<table><tr><th colspan='6'>{title}</th></tr>{head}<tbody>{rows}</tbody></table>",
    "legend": "<fieldset><legend>{title}</legend><table>{head}<tbody>{rows}</tbody></table></fieldset>",
    "heading": "<h3>{title}</h3><table>{head}<tbody>{rows}</tbody></table>",
    "heading, wrapped table": "<h4>{title}</h4><div class='t'><table>{head}<tbody>{rows}</tbody></table></div>",
}
HEADS = {  # (header row, header cell)
    "thead": ("<thead><tr>{cells}</tr></thead>", "<th>{}</th>"),
    "first row": ("<tr>{cells}</tr>", "<th>{}</th>"),
    "bold first row": ("<tr>{cells}</tr>", "<td><b>{}</b></td>"),
    "strong first row": ("<tr class='entete'>{cells}</tr>", "<td><strong> {} </strong></td>"),
}


@pytest.mark.parametrize("title", TITLES)
@pytest.mark.parametrize("head", HEADS)
def test_tables_by_title_and_header(title: str, head: str) -> None:
    row, cell = HEADS[head]
    cells = "".join(cell.format(h) for h in FUNDING_HEAD)
    rows = "<tr>" + "".join(f"<td>{c}</td>" for c in FUNDING_ROW) + "</tr>"
    markup = TITLES[title].format(title="Financement du partenariat", head=row.format(cells=cells), rows=rows)
    assert project(markup)["funding"] == FUNDING


def test_columns_are_read_by_header_not_position() -> None:
    markup = (
        "<table><caption>Volontaires impliqués dans le partenariat</caption><tr><th>Prénom</th><th>Nom</th>"
        "<th>Entité d'affectation</th><th>Mission</th><th>Champs d'action</th></tr>"
        "<tr><td>Guénolé</td><td>OUDRY</td><td>Kayes</td><td>Appui</td><td></td></tr></table>"
    )
    assert project(markup)["volunteers"] == [
        {"last_name": "OUDRY", "first_name": "Guénolé", "mission": "Appui", "field": None, "assignment": "Kayes"}
    ]


def test_a_table_without_title_is_known_by_its_headers() -> None:
    markup = "<table><tr><th>Nom du financeur</th><th>Montant en euros</th><th>Année</th></tr><tr><td>Autre</td><td>10</td><td>2001</td></tr></table>"
    assert project(markup)["funding"] == [
        {"funder": "Autre", "amount_eur": 10, "one_percent_amounts_eur": [], "year": 2001}
    ]


def test_empty_and_absent_tables_are_empty_lists() -> None:
    markup = TITLES["legend"].format(
        title="Partenaires étrangers du partenariat",
        head="<tr><th>Nom de la collectivité étrangère</th><th>Pays</th></tr>",
        rows="",
    )
    record = project(markup)
    assert record["foreign_partners"] == []
    assert record["volunteers"] == []
    assert record["embassy"] is None


def test_unknown_tables_go_to_extra() -> None:
    markup = TITLES["caption"].format(
        title="Documents joints",
        head="<tr><th>Titre</th><th>Date</th></tr>",
        rows="<tr><td>Convention</td><td>12/03/2019</td></tr>",
    )
    assert project(markup)["extra"] == {"Documents joints": [{"Titre": "Convention", "Date": "12/03/2019"}]}


CHECKBOXES = {
    "input + label[for]": '<input type="checkbox" disabled="disabled" {checked} id="c1"/><label for="c1">{text}</label>',
    "input inside label": '<label><input type="checkbox" disabled {checked}/> {text}</label>',
    "input + text": '<p><input type="checkbox" disabled {checked}> {text}</p>',
}


@pytest.mark.parametrize("family", CHECKBOXES)
def test_checkboxes_checked_unchecked_absent(family: str) -> None:
    fmt = CHECKBOXES[family]
    record = project(
        fmt.format(checked='checked="checked"', text="Le partenariat est triennal").replace("c1", "a"),
        fmt.format(checked="", text="Une communication a été engagée en France").replace("c1", "b"),
    )
    assert record["triennial"] is True
    assert record["communication_in_france"] is False
    assert record["evaluation_policy"] is None


@pytest.mark.parametrize("family", ["th/td", "dt/dd", "div/label"])
def test_statements_shown_as_oui_non(family: str) -> None:
    fmt = PAIRS[family]
    record = project(
        fmt.format(label="Le partenariat est triennal :", value="Oui"),
        fmt.format(label="Une politique d'évaluation a été engagée", value="NON"),
    )
    assert record["triennial"] is True
    assert record["evaluation_policy"] is False
    assert record["communication_in_france"] is None
    assert record["extra"] == {}


def test_partner_links_give_ids_and_canonical_urls() -> None:
    markup = (
        "<table><caption>Partenaires étrangers du partenariat</caption><tr><th>Nom de la collectivité étrangère</th><th>Pays</th></tr>"
        '<tr><td><a href="detailCollectiviteEtrangere.html;jsessionid=AB?origine=x&amp;idCollectivite=31752">Commune Urbaine de Kayes</a></td><td>Mali</td></tr></table>'
    )
    assert project(markup)["foreign_partners"] == [
        {
            "name": "Commune Urbaine de Kayes",
            "country": "Mali",
            "id": "31752",
            "url": "https://atlas.test/cncdext/dyn/public/atlas/detailCollectiviteEtrangere.html?idCollectivite=31752",
        }
    ]


@pytest.mark.parametrize("family", ["div/label", "dt/dd", "th/td", "heading + block", "strong + text", "label + span"])
def test_collectivity_pages(family: str) -> None:
    fmt = PAIRS[family]
    body = "".join(
        fmt.format(label=k, value=v)
        for k, v in [
            ("Nom", "Ville d'Évry"),
            ("Type de collectivité", "Commune"),
            ("Région", "Île-de-France"),
            ("Département", "Essonne"),
            ("Site internet", "<a href='http://www.evry.fr'>www.evry.fr</a>"),
            ("Population", "52 000"),
        ]
    )
    table = (
        "<table><caption>Projets de la collectivité</caption><thead><tr><th>Titre</th><th></th></tr></thead><tbody>"
        '<tr><td>B</td><td><a href="detailProjet.html?criteres.prjId=2431"><img alt="commun.ico.loupe.alter"/></a></td></tr>'
        '<tr><td>A</td><td><a href="detailProjet.html;jsessionid=X?criteres.prjId=912">x</a></td></tr>'
        '<tr><td>A bis</td><td><a href="detailProjet.html?criteres.prjId=912&amp;origine=c">x</a></td></tr></tbody></table>'
    )
    url = "https://atlas.test/cncdext/dyn/public/atlas/detailCollectiviteFrancaise.html;jsessionid=Q?idCollectivite=912"
    record = dict(parse_collectivity(html_response(f"<html><body>{body}{table}</body></html>", url)))
    record.pop("crawled_at")
    assert record.pop(DOUBTS) == []
    assert record == {
        "type": "collectivity",
        "id": "912",
        "kind": "french",
        "url": "https://atlas.test/cncdext/dyn/public/atlas/detailCollectiviteFrancaise.html?idCollectivite=912",
        "name": "Ville d'Évry",
        "collectivity_type": "Commune",
        "country": "France",
        "region": "Île-de-France",
        "department": "Essonne",
        "website": "www.evry.fr",
        "project_ids": ["912", "2431"],
        "extra": {"Population": "52 000"},
    }


@pytest.mark.parametrize("family", PAIRS)
@pytest.mark.parametrize("kind", ["Région", "Département"])
def test_a_collectivity_type_that_is_a_label_s_word_in_every_family(family: str, kind: str) -> None:
    """The type's value is a label's words, the next label an unknown one over
    inline pieces (a required field's asterisk): in every family, the type, not an
    empty type and an empty region."""
    fmt = PAIRS[family]
    body = fmt.format(label="Nom", value="Région Bretagne") + fmt.format(label="Type de collectivité", value=kind)
    body += '<div class="ligne"><label>Population<span class="obligatoire">*</span></label><div class="valeur">800</div></div>'
    url = "https://atlas.test/cncdext/dyn/public/atlas/detailCollectiviteEtrangere.html?idCollectivite=9"
    record = dict(parse_collectivity(html_response(f"<html><body><div>{body}</div></body></html>", url)))
    assert (record["name"], record["collectivity_type"], record["extra"]) == (
        "Région Bretagne",
        kind,
        {"Population": "800"},
    )
    assert (record["region"], record["department"], record[DOUBTS]) == (None, None, [])
