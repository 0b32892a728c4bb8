"""The layouts form-based sites use (issue 17): labels laid out across, labels
broken over lines or inline pieces, box images known by their file name in any
word style. Each rule on small hand-written pages, read as a person reads them."""

from __future__ import annotations

import pytest
from lxml import etree

from atlas_crawler.extract.boxes import image_state
from atlas_crawler.pages.collectivity import parse_collectivity
from atlas_crawler.pages.project import parse_project
from tests.saved import html_response

FRENCH = "https://atlas.test/cncdext/dyn/public/atlas/detailCollectiviteFrancaise.html?idCollectivite=9"
START = "Année de début du partenariat"
TITLE_DL = "<dl><dt>Titre</dt><dd>Un titre</dd></dl>"
TYPE_ROW = "<table><tr><td>Type de collectivité :</td><td>Municipalité</td></tr></table>"


def project(body: str) -> dict:
    return dict(parse_project(html_response(f"<html><body>{body}</body></html>")).item)


def collectivity(body: str) -> dict:
    return dict(parse_collectivity(html_response(f"<html><body>{body}</body></html>", FRENCH)))


# --- labels laid out across --------------------------------------------------------------
@pytest.mark.parametrize(
    "layout",
    [
        f"<table><tr><th>Titre</th><th>{START}</th></tr><tr><td>Un titre</td><td>2001</td></tr></table>",
        f"<table><tr><td>TITRE :</td><td>{START}&nbsp;:</td></tr><tr><td>Un titre</td><td>2001</td></tr></table>",
        f"<table><tr><td><b>Titre</b></td><td><b>{START}</b></td></tr><tr><td>Un titre</td><td>2001</td></tr></table>",
        f"<table><thead><tr><td>Titre</td><td>{START}</td></tr></thead>"
        "<tbody><tr><td>Un titre</td><td>2001</td></tr></tbody></table>",
        f'<div class="f"><div class="r"><span>Titre</span><span>{START}</span></div>'
        '<div class="r"><span>Un titre</span><span>2001</span></div></div>',
        f'<div class="r"><div class="c"><label>Titre</label></div><div class="c"><label>{START}</label></div></div>'
        '<div class="r"><div class="c">Un titre</div><div class="c">2001</div></div>',
    ],
)
def test_labels_across_take_the_cell_under_them(layout: str) -> None:
    record = project(layout + "<h4>Contexte</h4><div>Du texte.</div>")
    assert (record["title"], record["start_year"], record["context"]) == ("Un titre", 2001, "Du texte.")
    assert record["extra"] == {}
    assert record["doubts"] == []  # the values read across are claimed, nothing is left over


def test_labels_across_respect_colspans() -> None:
    record = project(
        "<table><tr><th>Titre</th><th colspan='2'>Contexte</th><th>Historique</th></tr>"
        "<tr><td colspan='2'>Un titre</td><td>Du texte.</td><td>Un passé.</td></tr></table>"
    )
    assert (record["title"], record["context"], record["history"]) == ("Un titre", "Du texte.", "Un passé.")
    record = project(
        "<table><tr><th>Titre</th><th>Contexte</th><th>Historique</th></tr>"
        "<tr><td colspan='2'>Un titre</td><td>Un passé.</td></tr></table>"
    )
    assert (record["title"], record["context"], record["history"]) == ("Un titre", None, "Un passé.")


@pytest.mark.parametrize(
    "row",
    [
        "<tr><th>Titre</th><th>Référence interne :</th></tr><tr><td>Un titre</td><td>CNCD-12</td></tr>",
        f"<tr><th>Titre</th><th>{START}</th><th>Référence interne</th></tr>"
        "<tr><td>Un titre</td><td>2001</td><td>CNCD-12</td></tr>",
    ],
)
def test_unknown_labels_across_go_to_extra(row: str) -> None:
    record = project(f"<table>{row}</table>")
    assert record["title"] == "Un titre"
    assert record["extra"] == {"Référence interne": "CNCD-12"}


def test_a_row_of_labels_without_values_is_empty_never_the_next_label() -> None:
    record = project(
        "<table><tr><th>Titre</th><th>Contexte</th></tr>"
        f"<tr><th>Historique</th><th>{START}</th></tr><tr><td>Un passé.</td><td>2001</td></tr></table>"
        "<div class='grille'><div><span>Date de fin du partenariat</span><span>Le partenariat est</span></div></div>"
        "<p>Tous droits réservés</p>"
    )
    assert (record["title"], record["context"]) == (None, None)
    assert (record["history"], record["start_year"]) == ("Un passé.", 2001)
    assert (record["end_date"], record["status"]) == (None, None)


def test_an_empty_value_cell_or_a_short_row_of_values_is_null() -> None:
    record = project(
        f"<table><tr><td>Titre</td><td>{START}</td><td>Contexte</td></tr><tr><td>&nbsp;</td><td>2001</td></tr></table>"
    )
    assert (record["title"], record["start_year"], record["context"]) == (None, 2001, None)


def test_a_header_of_labels_over_several_rows_is_still_a_table() -> None:
    record = project(
        "<p><strong>Documents joints</strong></p><table><tr><th>Titre</th><th>Contexte</th></tr>"
        "<tr><td>Convention</td><td>Signée</td></tr><tr><td>Avenant</td><td>Projet</td></tr></table>"
    )
    assert record["title"] is None
    assert record["extra"] == {
        "Documents joints": [{"Titre": "Convention", "Contexte": "Signée"}, {"Titre": "Avenant", "Contexte": "Projet"}]
    }


def test_a_header_of_one_label_and_a_column_name_over_one_row_is_still_a_table() -> None:
    record = project(
        "<p><strong>Documents joints</strong></p><table><tr><th>Titre</th><th>Date</th></tr>"
        "<tr><td>Convention</td><td>2019</td></tr></table>"
    )
    assert record["title"] is None
    assert record["extra"] == {"Documents joints": [{"Titre": "Convention", "Date": "2019"}]}


def test_a_collectivity_type_across_may_be_a_label_s_words() -> None:
    record = collectivity(
        "<table><tr><th>Nom</th><th>Type de collectivité</th></tr><tr><td>Région Bretagne</td><td>Région</td></tr>"
        "<tr><th>Région</th><th>Département</th></tr><tr><td>Bretagne</td><td>Finistère</td></tr></table>"
    )
    assert (record["name"], record["collectivity_type"]) == ("Région Bretagne", "Région")
    assert (record["region"], record["department"]) == ("Bretagne", "Finistère")


def test_a_type_and_its_label_word_value_in_a_row_are_read_down() -> None:
    record = collectivity(
        "<table><tr><td>Type de collectivité</td><td>Département</td></tr>"
        "<tr><td>Région</td><td>Bretagne</td></tr></table>"
    )
    assert (record["collectivity_type"], record["region"], record["department"]) == ("Département", "Bretagne", None)


# --- labels broken over lines or inline pieces ---------------------------------------------------
@pytest.mark.parametrize(
    "markup",
    [
        "<div><label>Année de première signature<br>de la convention</label> <span>2001</span></div>",
        "<table><tr><td><span>Année de</span> <span>première signature</span> <b>de la convention</b></td>"
        "<td>2001</td></tr></table>",
        "<dl><dt>Année de première <i>signature</i><br/>de la convention<span class='req'>*</span> :</dt>"
        "<dd>2001</dd></dl>",
        "<table><tr><th>Année de première signature de la convention * :</th><td>2001</td></tr></table>",
    ],
)
def test_a_label_is_the_whole_text_of_its_element(markup: str) -> None:
    record = project(markup)
    assert record["first_agreement_year"] == 2001
    assert record["extra"] == {}


def test_a_required_field_s_asterisk_is_no_part_of_the_label_nor_of_the_value() -> None:
    record = project('<div><label>Titre<span class="req">*</span></label> <span>Un titre</span></div>')
    assert record["title"] == "Un titre"


@pytest.mark.parametrize(
    "label",
    ["<label>Référence<br>interne :</label>", "<dt>Référence <span>interne</span><em>*</em></dt>"],
)
def test_an_unknown_label_over_lines_or_pieces_goes_to_extra_whole(label: str) -> None:
    value = "<dd>CNCD-12</dd>" if label.startswith("<dt") else "<span>CNCD-12</span>"
    record = project(f"<div>{label}{value}</div>")
    assert record["extra"] == {"Référence interne": "CNCD-12"}


@pytest.mark.parametrize(
    "line",
    [
        "<ul><li><font>Nom de la</font> collectivité : <font>Commune</font> urbaine de Kayes</li></ul>",
        "<ul><li><span>Nom de</span> la <i>collectivité</i> : Commune urbaine de Kayes</li></ul>",
        "<p><span>Nom de la</span> collectivité : Commune <b>urbaine</b> de Kayes</p>",
        "<div><font>Nom de la</font> collectivité&nbsp;: Commune urbaine de Kayes<br></div>",
    ],
)
def test_a_label_over_inline_pieces_then_a_colon_and_its_value_in_one_element(line: str) -> None:
    """``Titre : valeur`` in one element, the label's words split over inline pieces
    (wrappers a reader does not see): the label up to the colon, its value after it.
    Its first label lost, the record's content shrank to what the page named, and
    the line stood outside it (silent: mutation seed 2000805)."""
    type_row = "<table><tr><td>Type de collectivité :</td><td>Municipalité</td></tr></table>"
    record = collectivity(f"<div class='bloc'>{line}{type_row}</div>")
    assert (record["name"], record["collectivity_type"]) == ("Commune urbaine de Kayes", "Municipalité")
    assert record["extra"] == {}
    assert record["doubts"] == []
    record = project("<div><p><font>Année de</font> début du partenariat : 2001</p>" + TITLE_DL + "</div>")
    assert (record["start_year"], record["title"], record["doubts"]) == (2001, "Un titre", [])


@pytest.mark.parametrize(
    "line",
    [
        "Région <a><font>de</font></a> Ville-Cœuvres Nord",
        "Région <span>de Ville-Cœuvres</span> Nord",
        "Région de <i>Ville-Cœuvres</i> Nord",
    ],
)
def test_a_label_s_words_opening_a_line_of_text_are_words_of_that_line(line: str) -> None:
    """In a run of text lines a label is its line's whole text: ``Région`` opening the
    name ``Région de Ville-Cœuvres Nord``, its words split by inline wrappers a reader
    does not see, is no label (it took the rest of the line for the region and left
    the name empty, without a doubt: mutation seed 2000041 of ``make fuzz``)."""
    record = collectivity(f"<div class='bloc'><div class='texte'>Nom<br>{line}<br></div>{TYPE_ROW}</div>")
    assert (record["name"], record["region"]) == ("Région de Ville-Cœuvres Nord", None)
    assert record["doubts"] == []


def test_a_label_s_words_closing_a_line_of_text_are_words_of_that_line() -> None:
    record = project(f"<div>Contexte<br>Du texte<br>Le <i>nouveau</i> titre<br></div>{TITLE_DL}")
    assert (record["context"], record["title"]) == ("Du texte\nLe nouveau titre", "Un titre")
    assert record["doubts"] == []


@pytest.mark.parametrize("label", ["Titre *", "Titre <span class='req'>*</span>", "Titre&nbsp;:", "TITRE <b>:</b>"])
def test_a_label_alone_on_its_line_with_an_asterisk_or_a_colon_is_still_a_label(label: str) -> None:
    record = project(f"<div>{label}<br>Un titre<br>Contexte<br>Du texte</div>")
    assert (record["title"], record["context"], record["doubts"]) == ("Un titre", "Du texte", [])


def test_a_label_then_a_colon_and_its_value_on_its_line_is_still_a_label() -> None:
    record = project("<div>Titre <b>:</b> Un <i>titre</i><br>Contexte<br>Du texte</div>")
    assert (record["title"], record["context"], record["doubts"]) == ("Un titre", "Du texte", [])


@pytest.mark.parametrize(
    "value",
    [
        "<dl><dt>Objectif du partenariat</dt><dd>Agriculture eau <font>élus territoire</font> : « projet »<br>"
        "Suite du texte.</dd></dl>",
        "<table><tr><th>Objectif du partenariat :</th><td>Agriculture eau <a><span>élus territoire :</span></a>"
        " « projet »<br>Suite du texte.</td></tr></table>",
    ],
)
def test_a_colon_s_wrapper_inside_a_line_of_a_value_is_no_label(value: str) -> None:
    """A wrapper a reader does not see, closed by a colon after other words of a value's
    line, is no unknown label: it took the rest of the value for ``extra`` without a
    doubt (mutation seeds 3001996 and 3002266 of ``make fuzz``, seed 3)."""
    record = project(value + TITLE_DL)
    assert record["objective"] == "Agriculture eau élus territoire : « projet »\nSuite du texte."
    assert (record["extra"], record["doubts"]) == ({}, [])


def test_a_colon_s_wrapper_opening_a_line_is_still_a_label() -> None:
    record = project(f"<div>{TITLE_DL}<p><font>Référence interne</font> : CNCD-12</p></div>")
    assert (record["title"], record["extra"]) == ("Un titre", {"Référence interne": "CNCD-12"})


def test_a_statement_over_lines_is_one_statement() -> None:
    record = project(
        "<table><tr><td>Le partenariat<br>est triennal</td><td><input type=checkbox checked></td></tr></table>"
    )
    assert record["triennial"] is True
    assert record["status"] is None


# --- box images by their words ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "state"),
    [
        ("caseCochee.gif", True),
        ("case-non-cochee.png", False),
        ("unchecked_box.gif", False),
        ("checkbox_on.png", True),
        ("ico_coche_ok.gif", True),
        ("btnUnchecked.png", False),
        ("cb-checked-16.png", True),
        ("caseNonCochee.gif", False),
        ("not_checked.png", False),
        ("uncheck.gif", False),
        ("decoche.gif", False),
        ("case.vide.gif", False),
        ("CBChecked.png", True),
        ("casenoncochee.gif", False),
        ("CaseDécochée.png", False),
        ("loupe.gif", None),
        ("puce.png", None),
        ("fleche.gif", None),
        ("logo_cb.png", None),
        ("fleche_on.gif", None),
        ("checkout.png", None),
    ],
)
def test_a_box_image_by_its_file_name(name: str, state: bool | None) -> None:
    assert image_state(etree.fromstring(f'<img src="/cncdext/img/{name}" alt=""/>')) is state


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("Case cochée", True),
        ("caseCochee", True),
        ("case_non_cochee", False),
        ("Not checked", False),
        ("Décoché", False),
        ("Oui", True),
        ("Non disponible", None),
        ("commun.ico.loupe.alter", None),
    ],
)
def test_a_box_image_by_its_alt_or_title(text: str, state: bool | None) -> None:
    assert image_state(etree.fromstring(f'<img src="/img/x.gif" alt="{text}"/>')) is state
    assert image_state(etree.fromstring(f'<img src="/img/x.gif" title="{text}"/>')) is state


def test_images_that_show_no_box_leave_a_statement_without_state() -> None:
    record = project(
        "<p><img src='/img/puce.png' alt=''> Le partenariat est triennal <img src='/img/logo_mae.png'></p>"
        "<p><img src='/img/fleche.gif' alt='»'> Une politique d'évaluation a été engagée "
        "<img src='/img/btnUnchecked.png' alt=''></p>"
    )
    assert (record["triennial"], record["evaluation_policy"]) == (None, False)
    assert record["extra"] == {}


@pytest.mark.parametrize(
    "stack",
    [
        f"<ul><li><span>{START} :</span> 2001</li><li><span>Le partenariat est</span></li>"
        "<li>Date de fin du partenariat :</li></ul>",
        f'<div class="fiche"><div>{START} : 2001</div><div>Le partenariat est</div>'
        "<div>Date de fin du partenariat</div></div>",
    ],
)
def test_pairs_one_under_the_other_are_no_row_of_labels(stack: str) -> None:
    record = project(stack + "<p><b>Contexte</b></p><p>Du texte.</p>")
    assert (record["start_year"], record["status"], record["end_date"]) == (2001, None, None)
    assert record["context"] == "Du texte."


# --- an unknown label laid out as the known ones, its number right above a table ---------------
FOREIGN = "https://atlas.test/cncdext/dyn/public/atlas/detailCollectiviteEtrangere.html?idCollectivite=9"
PROJECTS = (
    "<table summary='Projets de la collectivité'><caption>Projets de la collectivité :</caption>"
    "<tr><th>Titre du projet</th><th></th></tr>"
    "<tr><td><a href='detailProjet.html?criteres.prjId=4'>Eau</a></td><td></td></tr></table>"
)


@pytest.mark.parametrize(
    "pair",
    [
        "<div><span class='libelle'>{}</span> <span class='valeur'>{}</span></div>",
        "<p><b>{}</b> {}</p>",
        "<p><b>{}</b> <span>{}</span></p>",
    ],
)
@pytest.mark.parametrize(("label", "value"), [("Population", "800"), ("Superficie", "12"), ("Nombre d'habitants", "1")])
def test_a_number_after_an_unknown_label_laid_out_as_the_known_ones_is_its_value(
    pair: str, label: str, value: str
) -> None:
    """No colon and no label element: the label is one by the layout of ``Pays``; the
    number under 1000 right above the table (a one-page pager's page number, by its
    look) fills the label's value place, so it is its value, not the table's pager."""
    body = (
        "<div class='bloc'><div class='ligne'><label>Nom</label> <div class='valeur'>Commune de Kayes</div></div>"
        + pair.format("Pays", "Mali")
        + pair.format(label, value)
        + "</div>"
        + PROJECTS
    )
    record = dict(parse_collectivity(html_response(f"<html><body>{body}</body></html>", FOREIGN)))
    assert (record["name"], record["country"], record["project_ids"]) == ("Commune de Kayes", "Mali", ["4"])
    assert record["extra"] == {label: value}
    assert record["doubts"] == []


def test_an_unknown_label_without_a_word_is_doubted() -> None:
    """« 1 sur 1 » of a pager laid out as a label and its value: no label has no word."""
    item = parse_project(html_response(f"<html><body>{TITLE_DL}<dl><dt>1</dt><dd>sur 1</dd></dl></body></html>")).item
    assert item["extra"] == {"1": "sur 1"}
    assert {"rule": "implausible_value", "field": None, "text": "an unknown label without a word: 1"} in item["doubts"]


def test_an_unknown_label_in_the_middle_of_a_line_is_doubted() -> None:
    """Labels start lines: words in an element of their own, then a colon, in the middle
    of a value's line are that value's sentence, not a label of their own."""
    body = f"{TITLE_DL}<div>Objectif du partenariat :<br>Former les <span>agents municipaux</span> : « projet »</div>"
    item = parse_project(html_response(f"<html><body>{body}</body></html>")).item
    assert item["extra"] == {"agents municipaux": "« projet »"}  # the reading's mistake…
    assert {  # …said where a maintainer will see it
        "rule": "implausible_value",
        "field": None,
        "text": "an unknown label in the middle of a line: agents municipaux",
    } in item["doubts"]
