"""Canonical addresses: one spelling per page, before the dupefilter sees it."""

from __future__ import annotations

import pytest

from atlas_crawler import urls

BASE = "https://pastel.diplomatie.gouv.fr/cncdext/dyn/public/atlas/"


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        (
            BASE + "detailProjet.html;jsessionid=4B1E0C7A9D2F?criteres.prjId=2431",
            BASE + "detailProjet.html?criteres.prjId=2431",
        ),
        (BASE + "listeProjetsPays.html?d-4012-p=2&codePays=ML", BASE + "listeProjetsPays.html?codePays=ML&d-4012-p=2"),
        (BASE + "listeProjetsPays.html?codePays=ML&d-4012-p=2", BASE + "listeProjetsPays.html?codePays=ML&d-4012-p=2"),
        (
            BASE + "listeProjetsPays.html;jsessionid=X?codePays=ML&d-4012-p=1",
            BASE + "listeProjetsPays.html?codePays=ML",
        ),
        (BASE + "detailProjet.html?criteres.prjId=5&origine=pays", BASE + "detailProjet.html?criteres.prjId=5"),
        (BASE + "listeProjetsPays.html?codePays=ML&d-4012-s=1&d-4012-o=2", BASE + "listeProjetsPays.html?codePays=ML"),
        ("HTTPS://Pastel.Diplomatie.gouv.fr/cncdext/dyn/public/atlas/accesAtlas.html#haut", BASE + "accesAtlas.html"),
        (
            BASE + "detailProjet.html?criteres.prjId=2431&d-1342871-p=2",
            BASE + "detailProjet.html?criteres.prjId=2431&d-1342871-p=2",
        ),
    ],
)
def test_canonicalize(raw: str, canonical: str) -> None:
    assert urls.canonicalize(raw) == canonical


def test_relative_links_resolve_against_the_page() -> None:
    page = BASE + "detailProjet.html;jsessionid=AB?criteres.prjId=1"
    assert urls.canonicalize(
        "/cncdext/dyn/public/atlas/detailCollectiviteFrancaise.html;jsessionid=AB?idCollectivite=912", page
    ) == (BASE + "detailCollectiviteFrancaise.html?idCollectivite=912")
    assert urls.canonicalize("listePays.html", page) == BASE + "listePays.html"


def test_record_addresses_keep_only_the_identifier() -> None:
    url = BASE + "detailProjet.html;jsessionid=Z?origine=x&d-1342871-p=3&criteres.prjId=2431"
    assert urls.project_id(url) == "2431"
    assert urls.project_url(url) == BASE + "detailProjet.html?criteres.prjId=2431"
    foreign = BASE + "detailCollectiviteEtrangere.html;jsessionid=Z?idCollectivite=31752&d-1-p=2"
    assert urls.collectivity_kind(foreign) == "foreign"
    assert urls.collectivity_url(foreign) == BASE + "detailCollectiviteEtrangere.html?idCollectivite=31752"
    assert urls.collectivity_kind(BASE + "detailCollectiviteFrancaise.html?idCollectivite=912") == "french"


def test_page_parameters() -> None:
    url = BASE + "listeProjetsPays.html?codePays=ML&d-4012-p=7"
    assert urls.page_params(url) == {"d-4012-p": 7}
    assert urls.without_page_params(url) == BASE + "listeProjetsPays.html?codePays=ML"
    assert urls.project_id(BASE + "detailProjet.html?criteres.prjId=abc") is None


# --- one id, one spelling ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "spelled"),
    [("1005", "1005"), ("01005", "1005"), ("0001005", "1005"), ("0", "0"), ("000", "0"), ("10", "10")],
)
def test_a_record_id_has_one_spelling(raw: str, spelled: str) -> None:
    assert urls.record_id(raw) == spelled


@pytest.mark.parametrize(
    "raw",
    ["", "١٠٠٥", "۱۰۰۵", "１００５", "12³", "+5", "-5", " 5", "5 ", "1e3", "0x10", "12a", "1_000"],
)
def test_only_ascii_digits_are_ids(raw: str) -> None:
    """``str.isdigit`` accepts Arabic-Indic, Persian, fullwidth and superscript digits
    (and ``int`` reads most of them as another record's number): none is an id."""
    assert urls.record_id(raw) is None


def test_every_id_read_from_an_address_is_spelled_once() -> None:
    padded = BASE + "detailProjet.html?criteres.prjId=01005"
    assert urls.project_id(padded) == "1005"
    assert urls.project_url(padded) == BASE + "detailProjet.html?criteres.prjId=1005"
    assert urls.canonicalize(padded) == urls.canonicalize(BASE + "detailProjet.html?criteres.prjId=1005")
    assert urls.canonicalize(padded + "&d-1342871-p=2") == BASE + "detailProjet.html?criteres.prjId=1005&d-1342871-p=2"
    foreign = BASE + "detailCollectiviteEtrangere.html?idCollectivite=0031752"
    assert urls.collectivity_id(foreign) == "31752"
    assert urls.collectivity_url(foreign) == BASE + "detailCollectiviteEtrangere.html?idCollectivite=31752"
    assert urls.collectivity_kind(foreign) == "foreign"
    assert urls.canonicalize(BASE + "detailProjet.html?criteres.prjId=0") == BASE + "detailProjet.html?criteres.prjId=0"
    # other parameters keep their zeros: a code is no id
    assert (
        urls.canonicalize(BASE + "listeCollectivites.html?codeRegion=01")
        == BASE + "listeCollectivites.html?codeRegion=01"
    )


def test_an_address_whose_id_is_not_ascii_digits_is_no_record_address() -> None:
    arabic = BASE + "detailProjet.html?criteres.prjId=١٠٠٥"
    fullwidth = BASE + "detailCollectiviteFrancaise.html?idCollectivite=９１２"
    assert urls.project_id(arabic) is None and urls.collectivity_id(fullwidth) is None
    assert urls.malformed_id(arabic) == ("criteres.prjId", "١٠٠٥")
    assert urls.malformed_id(fullwidth) == ("idCollectivite", "９１２")
    # kept as written (percent-encoded), never read as 1005 or 912
    assert "1005" not in urls.canonicalize(arabic) and "912" not in urls.canonicalize(fullwidth)
    assert urls.malformed_id(BASE + "detailProjet.html?criteres.prjId=01005") is None
    assert urls.malformed_id(BASE + "detailProjet.html?criteres.prjId=") is None  # empty: no id, nothing malformed
