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
