"""The parser keys on the words (issue 13): each rule on small hand-written pages
that no markup family of the replica or the generator spells this way."""

from __future__ import annotations

import pytest

from atlas_crawler.pages.collectivity import parse_collectivity
from atlas_crawler.pages.project import parse_project
from tests.saved import html_response

FRENCH = "https://atlas.test/cncdext/dyn/public/atlas/detailCollectiviteFrancaise.html?idCollectivite=9"
FOREIGN = "https://atlas.test/cncdext/dyn/public/atlas/detailCollectiviteEtrangere.html?idCollectivite=9"


def project(body: str) -> dict:
    record = dict(parse_project(html_response(f"<html><body>{body}</body></html>")).item)
    record.pop("crawled_at")
    return record


def collectivity(body: str, url: str) -> dict:
    return dict(parse_collectivity(html_response(f"<html><body>{body}</body></html>", url)))


# --- labels by their words -------------------------------------------------------------
@pytest.mark.parametrize(
    "markup",
    [
        '<div class="row"><div class="col">TITRE</div><div class="col">Un titre</div></div>',
        '<table width="100%"><tr><td class="lib">titre</td><td>Un titre</td></tr></table>',
        "<p><span>Titre&nbsp;:</span> <span>Un titre</span><br><span>Contexte :</span> <span>Du texte.</span></p>",
        "<table><tr><th>Titre</th></tr><tr><td>Un titre</td></tr></table>",
        "<div>Titre<br>Un titre</div>",
        "<p>Titre<br><strong>Un titre</strong></p>",
        '<label>Titre</label><select disabled><option>Autre</option><option selected="selected">Un titre</option></select>',
    ],
)
def test_a_known_label_is_a_label_wherever_it_stands(markup: str) -> None:
    record = project(markup)
    assert record["title"] == "Un titre"
    assert record["extra"] == {}


def test_a_value_runs_up_to_the_next_label_section_or_table_whatever_holds_them() -> None:
    record = project(
        "<h4>Contexte</h4><p>Premier.</p><p>Second.</p>"
        "<p><b>Mise en œuvre du partenariat</b></p>"
        "<h4>Bénéficiaire(s)</h4><div>Les habitants</div>"
        "<p>Financement du partenariat</p><table><tr><td>Nom du financeur</td><td>Année</td></tr>"
        "<tr><td>Autre</td><td>2001</td></tr></table>"
    )
    assert record["context"] == "Premier.\nSecond."
    assert record["beneficiaries"] == "Les habitants"
    assert record["funding"] == [{"funder": "Autre", "amount_eur": None, "one_percent_amounts_eur": [], "year": 2001}]


def test_a_label_with_nothing_after_it_in_its_group_does_not_reach_into_the_footer() -> None:
    record = project(
        '<div class="fiche"><div>Titre<br>Un titre</div><div>Bénéficiaire(s)<br></div></div>'
        '<div id="pied"><p>Tous droits réservés</p></div>'
    )
    assert record["beneficiaries"] is None


@pytest.mark.parametrize(
    "layout",
    [
        "<dl><dt>Nom</dt><dd>Région de Kayes</dd><dt>Type de collectivité</dt><dd>Région</dd><dt>Pays</dt><dd>Mali</dd></dl>",
        '<div class="r"><div class="l">Type de collectivité</div><div class="v">Région</div></div>'
        '<div class="r"><div class="l">Pays</div><div class="v">Mali</div></div>',
        "<h4>Type de collectivité</h4><p>Région</p><h4>Pays</h4><p>Mali</p>",
    ],
)
def test_a_label_s_words_in_the_place_of_a_collectivity_type_are_that_type(layout: str) -> None:
    record = collectivity(layout, FOREIGN)
    assert (record["collectivity_type"], record["region"], record["country"]) == ("Région", None, "Mali")


def test_a_type_and_a_region_both_named_region() -> None:
    layout = (
        "<dl><dt>Type de collectivité</dt><dd>Région</dd><dt>Région</dt><dd>Bretagne</dd>"
        "<dt>Département</dt><dd>Finistère</dd></dl>"
    )
    record = collectivity(layout, FRENCH)
    assert (record["collectivity_type"], record["region"], record["department"]) == ("Région", "Bretagne", "Finistère")


#: A block heading that is a known label, its value's block after it, then a label over
#: inline pieces (a required field's asterisk) in its own row: the page hypothesis found
#: (test_parse_properties) where ``Région`` was read as the label of an empty field and
#: ``Type de collectivité`` left empty, without a doubt.
HEADING_THEN_VALUE = (
    '<div class="bloc"><table><tbody><tr><th>Nom</th><td>Commune de Saint-Kayes</td></tr>\n'
    "</tbody></table>\n<h3>{label}</h3>\n<div>{value}</div>\n"
    '<div class="ligne"><label>{next}<span class="obligatoire">*</span></label>\n'
    '  <div class="valeur">{next_value}</div></div>\n</div>\n'
)


@pytest.mark.parametrize("value", ["Région", "Département", "Commune"])
def test_a_heading_that_is_a_known_label_takes_the_block_after_it_as_its_value(value: str) -> None:
    """``<label>Population<span>*</span></label>`` after the value is a label of its
    own, not the value ``Région`` would have as a label (a label over inline pieces
    is one element's whole text, as ``<label>Population</label>`` is)."""
    block = HEADING_THEN_VALUE.format(label="Type de collectivité", value=value, next="Population", next_value="800")
    record = collectivity(block, FOREIGN)
    assert (record["name"], record["collectivity_type"], record["region"]) == ("Commune de Saint-Kayes", value, None)
    assert record["extra"] == {"Population": "800"}
    assert record["doubts"] == []


def test_a_heading_that_is_a_project_label_takes_the_block_after_it_as_its_value() -> None:
    block = HEADING_THEN_VALUE.format(
        label="Le partenariat est", value="En cours", next="Année de début du partenariat", next_value="2010"
    ).replace("<th>Nom</th><td>Commune de Saint-Kayes</td>", "<th>Titre</th><td>Un titre</td>")
    record = project(block)
    assert (record["title"], record["status"], record["start_year"]) == ("Un titre", "En cours", 2010)
    assert record["extra"] == {}
    assert record["doubts"] == []


def test_unknown_labels_laid_out_as_known_ones_go_to_extra() -> None:
    record = project(
        '<div class="r"><div class="l">Titre</div><div class="v">Un titre</div></div>'
        '<div class="r"><div class="l">Référence interne</div><div class="v">CNCD-12</div></div>'
    )
    assert record["title"] == "Un titre"
    assert record["extra"] == {"Référence interne": "CNCD-12"}


# --- statements by their words ------------------------------------------------------------
CHECKED = [
    '<p><img src="/img/case_cochee.png" alt=""> {s}</p>',
    '<p>{s} <img src="/img/x.gif" alt="Case cochée"></p>',
    '<p><img src="/img/x.gif" title="Oui"> {s}</p>',
    "<p>☑ {s}</p>",
    "<p>{s} ✔</p>",
    "<p>[X] {s}</p>",
    "<table><tr><td>{s}</td><td>Oui</td></tr></table>",
    "<table><tr><td><input type='checkbox' checked></td><td>{s}</td></tr></table>",
    '<div class="c"><div>{s}</div><div><input type="checkbox" checked="checked"></div></div>',
    "<p>{s} : <input type='radio' name='r'> Non <input type='radio' name='r' checked> Oui</p>",
    "<dl><dt>{s}</dt><dd>OUI</dd></dl>",
]
UNCHECKED = [
    '<p><img src="/img/box_unchecked.gif"> {s}</p>',
    "<p>☐ {s}</p>",
    "<p>{s} ✘</p>",
    "<p>[ ] {s}</p>",
    "<table><tr><td>Non</td><td>{s}</td></tr></table>",
    "<p>{s} <input type='checkbox'></p>",
]


@pytest.mark.parametrize("markup", CHECKED)
def test_a_statement_shown_checked(markup: str) -> None:
    record = project(markup.format(s="Une politique d'évaluation a été engagée"))
    assert record["evaluation_policy"] is True
    assert record["extra"] == {}


@pytest.mark.parametrize("markup", UNCHECKED)
def test_a_statement_shown_unchecked(markup: str) -> None:
    assert project(markup.format(s="Le partenariat est triennal"))["triennial"] is False


def test_statements_in_a_run_pair_with_the_box_on_their_side() -> None:
    after = project(
        "<div>Le partenariat est triennal <input type='checkbox'> "
        "Une communication a été engagée en France <input type='checkbox' checked> "
        "Une politique d'évaluation a été engagée <input type='checkbox'></div>"
    )
    assert (after["triennial"], after["communication_in_france"], after["evaluation_policy"]) == (False, True, False)
    before = project(
        "<div><input type='checkbox'> Le partenariat est triennal "
        "<input type='checkbox' checked> Une communication a été engagée en France "
        "<input type='checkbox'> Une politique d'évaluation a été engagée</div>"
    )
    assert (before["triennial"], before["communication_in_france"], before["evaluation_policy"]) == (False, True, False)


def test_unknown_statements_with_a_readable_state_go_to_extra() -> None:
    record = project("<p>☑ Rapport final transmis</p><p><img src='/i/case_vide.png'> Bilan publié</p>")
    assert record["extra"] == {"Rapport final transmis": True, "Bilan publié": False}


# --- tables by their column names -----------------------------------------------------------
def test_a_header_row_of_plain_cells_in_a_layout_table() -> None:
    record = project(
        "<table class='page'><tr><td>Titre</td><td>Un titre</td></tr>"
        "<tr><td colspan='2'><b>Financement du partenariat</b></td></tr>"
        "<tr><td colspan='2'><table><tr class='entete'><td>Nom du financeur</td><td>Montant en euros</td></tr>"
        "<tr><td>Autre</td><td>1 000</td></tr></table></td></tr></table>"
    )
    assert record["title"] == "Un titre"
    assert record["funding"] == [{"funder": "Autre", "amount_eur": 1000, "one_percent_amounts_eur": [], "year": None}]


def test_an_unknown_table_goes_to_extra_under_the_text_before_it() -> None:
    record = project(
        "<p><strong>Documents joints</strong></p><table><thead><tr><td>Titre</td><td>Date</td></tr></thead>"
        "<tr><td>Convention</td><td>2019</td></tr></table>"
    )
    assert record["extra"] == {"Documents joints": [{"Titre": "Convention", "Date": "2019"}]}
    assert record["title"] is None


# --- blocks by their lines ---------------------------------------------------------------------
CONTACT = {"role": "Attaché de coopération", "name": "Marie DIOP", "email": "marie.diop@diplomatie.gouv.fr"}


@pytest.mark.parametrize(
    "block",
    [
        "<h3>Contacts dans le poste diplomatique « Ambassade de France au Sénégal »</h3>"
        "<address>Attaché de coopération<br>Marie DIOP<br>Courriel : marie.diop[at]diplomatie.gouv.fr</address>",
        "<p><b>Contacts dans le poste diplomatique “Ambassade de France au Sénégal”</b></p>"
        "<table><tr><td>Attaché de coopération</td><td>Marie DIOP</td><td>marie.diop@diplomatie.gouv.fr</td></tr></table>",
        "<table><tr><th colspan='3'>Contacts dans le poste diplomatique \"Ambassade de France au Sénégal\"</th></tr>"
        "<tr><th>Fonction</th><th>Nom</th><th>Courriel</th></tr>"
        "<tr><td>Attaché de coopération</td><td>Marie DIOP</td><td>marie.diop@diplomatie.gouv.fr</td></tr></table>",
        "<div>Contacts dans le poste diplomatique : Ambassade de France au Sénégal</div>"
        "<ul><li>Attaché de coopération : Marie DIOP – marie.diop (at) diplomatie.gouv.fr</li></ul>",
    ],
)
def test_the_embassy_block_is_its_lines_whatever_holds_them(block: str) -> None:
    record = project(block + "<div><label>Titre</label> <span>Un titre</span></div>")
    assert record["embassy"] == {"name": "Ambassade de France au Sénégal", "contacts": [CONTACT]}
    assert record["title"] == "Un titre"
    assert record["foreign_partner_contacts"] == []


@pytest.mark.parametrize(
    "label", ["type <font>de collectivité :</font>", "<span>Type</span> <font>de</font> <span>collectivité</span>\n :"]
)
def test_a_label_over_inline_pieces_closed_by_a_colon_takes_the_next_line(label: str) -> None:
    """``type <font>de collectivité :</font>`` ends its line at the colon: no value on
    that line, so the next line, a label's words, is the type (it was read as an
    empty type and an empty region, without a doubt: mutation seeds 5001625, 7001957)."""
    record = collectivity(
        "<div class='bloc'><p><label>Nom de la collectivité</label> <span>Province de Kayes</span></p>"
        f"<div class='bloc-texte'>{label}<br>Région<br></div>"
        "<table><tr><td class='libelle'>PAYS:</td><td>Burkina Faso</td></tr></table></div>",
        FOREIGN,
    )
    assert (record["collectivity_type"], record["region"], record["country"]) == ("Région", None, "Burkina Faso")
    assert record["doubts"] == []
