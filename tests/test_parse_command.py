"""The offline parse command prints the record of one saved page."""

from __future__ import annotations

import json

from atlas_crawler.pages.saved import main
from tests.saved import PAGES, expected


def test_parse_command_prints_the_record(capsys) -> None:
    page = PAGES.parent.parent / "atlas_crawler/replica/data/detailProjet-kayes.html"
    url = "https://pastel.diplomatie.gouv.fr/cncdext/dyn/public/atlas/detailProjet.html?criteres.prjId=2431"
    assert main([str(page), "--url", url]) == 0
    out, err = capsys.readouterr()
    record = json.loads(out)
    record.pop("crawled_at")
    assert record == expected("project-2431-seed")
    assert "not found on this page: other_themes, extra" in err


def test_parse_command_reads_the_declared_encoding(capsys) -> None:
    page = PAGES / "project-table-cp1252-header" / "page.html"
    meta = json.loads((PAGES / "project-table-cp1252-header" / "meta.json").read_text())
    assert main([str(page), "--url", meta["url"], "--content-type", meta["headers"]["Content-Type"]]) == 0
    record = json.loads(capsys.readouterr().out)
    record.pop("crawled_at")
    assert record == expected("project-table-cp1252-header")


def test_parse_command_refuses_what_it_cannot_parse(tmp_path, capsys) -> None:
    error_page = tmp_path / "erreur.html"
    error_page.write_text("<html><body><h1>Erreur technique</h1></body></html>", "utf-8")
    url = "https://atlas.test/detailProjet.html?criteres.prjId=1"
    assert main([str(error_page), "--url", url]) == 2
    assert "not a project page: «Erreur technique»" in capsys.readouterr().err
    assert main([str(error_page), "--url", "https://atlas.test/listePays.html"]) == 2
    assert main([str(tmp_path / "missing.html"), "--url", url]) == 2
