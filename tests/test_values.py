"""Typed values: French numbers, years, dates, e-mails, separators, lines."""

from __future__ import annotations

import pytest

from atlas_crawler.extract.values import (
    parse_date,
    parse_email,
    parse_number,
    parse_year,
    split_lines,
    strip_separators,
)


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("109550", 109550),
        ("109 550", 109550),
        ("109\u00a0550", 109550),
        ("1 500,50", 1500.5),
        ("25 000,00", 25000),
        ("0", 0),
        ("0,00", 0),
        ("1.500.000", 1500000),
        ("1.500,75", 1500.75),
        ("12 000 €", 12000),
        ("", None),
        (None, None),
        ("n.c.", None),
    ],
)
def test_parse_number(raw: str | None, number: float | None) -> None:
    result = parse_number(raw)
    assert result == number
    assert type(result) is type(number)


def test_zero_is_a_value_not_an_absence() -> None:
    assert parse_number("0") == 0
    assert parse_number("0") is not None


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("30/09/2013", "2013-09-30"),
        ("1/2/2010", "2010-02-01"),
        ("31/02/2013", None),
        ("", None),
        ("2013-09-30", "2013-09-30"),
    ],
)
def test_parse_date(raw: str, iso: str | None) -> None:
    assert parse_date(raw) == iso


def test_parse_year() -> None:
    assert parse_year("1990") == 1990
    assert parse_year(" en 2010 ") == 2010
    assert parse_year("1850") is None
    assert parse_year("") is None


@pytest.mark.parametrize(
    ("raw", "email"),
    [
        ("Courriel : sherazade.benalla[at]diplomatie.gouv.fr", "sherazade.benalla@diplomatie.gouv.fr"),
        ("marie.diop [at] diplomatie.gouv.fr", "marie.diop@diplomatie.gouv.fr"),
        ("jean(at)mairie.fr", "jean@mairie.fr"),
        ("diakariakonefaby@yahoo.fr", "diakariakonefaby@yahoo.fr"),
        ("Courriel :", None),
        ("pas d'adresse", None),
    ],
)
def test_parse_email(raw: str, email: str | None) -> None:
    assert parse_email(raw) == email


def test_separators_and_lines() -> None:
    assert strip_separators(", Commune Urbaine de Kayes") == "Commune Urbaine de Kayes"
    assert strip_separators("Mission ;") == "Mission ;"
    assert split_lines("Ville de Thiès, service technique\nAssociation Eau Vive\n\n") == [
        "Ville de Thiès, service technique",
        "Association Eau Vive",
    ]
    assert split_lines(None) == []
