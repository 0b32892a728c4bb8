"""The one cleaner and the text of nodes."""

from __future__ import annotations

import pytest
from lxml import html

from atlas_crawler.extract.text import clean, is_template_key, label_key, node_text, text_of


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("???menu.atlas.libelle???", None),
        ("Accueil > ???menu.atlas.libelle??? > Fiche", "Accueil > > Fiche"),
        ("<< < pagination.page.precedent 1 2 pagination.page.suivant > >>", "<< < 1 2 > >>"),
        ("commun.ico.loupe.alter", None),
        ("www.evry.fr", "www.evry.fr"),
        ("sherazade.benalla@diplomatie.gouv.fr", "sherazade.benalla@diplomatie.gouv.fr"),
        ("S.A.N.", "S.A.N."),
        ("S.A.N. d'Evry", "S.A.N. d'Evry"),
        ("C.D.A.N.E. (Coopération)", "C.D.A.N.E. (Coopération)"),
        ("marie.diop [at] diplomatie.gouv.fr", "marie.diop [at] diplomatie.gouv.fr"),
        ("Voir www.ville-kayes.ml et evry.fr", "Voir www.ville-kayes.ml et evry.fr"),
        ("  Titre\u00a0:\u202fvaleur  ", "Titre : valeur"),
        ("a\n\n\n\nb", "a\n\nb"),
        ("\n\n  a  \n  b\n\n", "a\nb"),
        ("", None),
        ("   \u00a0 ", None),
    ],
)
def test_clean(raw: str, cleaned: str | None) -> None:
    assert clean(raw) == cleaned


def test_template_keys_versus_dotted_values() -> None:
    assert is_template_key("pagination.page.suivant")
    assert is_template_key("menu.atlas.detailProjet.libelle")
    assert is_template_key("commun.vide")
    assert not is_template_key("marie.diop")
    assert not is_template_key("www.evry.fr")
    assert not is_template_key("agglo.evry.fr")
    assert not is_template_key("S.A.N.")


def test_br_and_blocks_are_line_breaks_markup_whitespace_is_a_space() -> None:
    node = html.fragment_fromstring("<div>un\n   deux<br/>\ntrois<br><br><br>quatre<p>cinq</p><p>six</p>sept</div>")
    assert text_of(node) == "un deux\ntrois\n\nquatre\ncinq\nsix\nsept"


def test_scripts_are_not_text() -> None:
    node = html.fragment_fromstring("<div>a<script>var x = 1;</script><style>p{}</style>b</div>")
    assert node_text(node) == "ab"


def test_label_keys_ignore_case_accents_ligatures_apostrophes_and_colons() -> None:
    assert label_key("Maître(s) d’œuvre :") == label_key("maitre(s) d'oeuvre")
    assert label_key("  Sous-thématique\u00a0d'intervention*") == "sous-thematique d'intervention"
