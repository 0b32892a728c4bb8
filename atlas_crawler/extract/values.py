"""Typed values from cleaned strings: French numbers, years, dates, e-mails, lists."""

from __future__ import annotations

import re
from datetime import date

_NUMBER_NOISE = re.compile(r"[\s\u00a0\u202f€]|EUR|euros?", re.IGNORECASE)
_DOTTED_THOUSANDS = re.compile(r"^-?\d{1,3}(\.\d{3})+$")
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_FR_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_AT = re.compile(r"\s*(?:\[\s*at\s*\]|\(\s*at\s*\)|\[\s*arobase\s*\])\s*", re.IGNORECASE)
_EMAIL_PREFIX = re.compile(r"^\s*(?:courriel|e-?mail|mail|mél)\s*:?\s*", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_SEPARATORS = " ,\t"


def parse_number(text: str | None) -> int | float | None:
    """``109 550`` -> 109550, ``1 500,50`` -> 1500.5, ``25 000,00`` -> 25000,
    ``0`` -> 0; None for empty or unreadable cells."""
    if not text:
        return None
    raw = _NUMBER_NOISE.sub("", text)
    if "," in raw and "." in raw:
        decimal = "," if raw.rfind(",") > raw.rfind(".") else "."
        raw = raw.replace("." if decimal == "," else ",", "").replace(",", ".")
    elif "," in raw:
        raw = raw.replace(",", ".")
    elif _DOTTED_THOUSANDS.match(raw):
        raw = raw.replace(".", "")
    try:
        number = float(raw)
    except ValueError:
        return None
    return int(number) if number.is_integer() else number


def parse_year(text: str | None) -> int | None:
    match = _YEAR.search(text or "")
    if not match:
        return None
    year = int(match.group(1))
    return year if 1900 <= year <= 2100 else None


def parse_date(text: str | None) -> str | None:
    """``30/09/2013`` -> ``2013-09-30``; None when not a real date."""
    text = (text or "").strip()
    match = _FR_DATE.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = _ISO_DATE.match(text)
        if not match:
            return None
        year, month, day = (int(g) for g in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_email(text: str | None) -> str | None:
    """``Courriel : a.b[at]c.fr`` -> ``a.b@c.fr``; None when no address is left."""
    if not text:
        return None
    address = _AT.sub("@", _EMAIL_PREFIX.sub("", text)).strip().removeprefix("mailto:")
    address = address.strip(_SEPARATORS + "<>")
    return address if _EMAIL.match(address) else None


_YES_NO = {"oui": True, "non": False, "yes": True, "no": False}


def parse_yes_no(text: str | None) -> bool | None:
    """``Oui`` -> True, ``Non`` -> False (a statement shown as text, not as a box)."""
    return _YES_NO.get((text or "").strip().lower())


def strip_separators(text: str | None) -> str | None:
    """``, Commune Urbaine de Kayes`` -> ``Commune Urbaine de Kayes``."""
    if text is None:
        return None
    return text.strip(_SEPARATORS) or None


def split_lines(text: str | None) -> list[str]:
    """One entry per line of a multi-valued text (never split on commas)."""
    if not text:
        return []
    return [e for e in (strip_separators(line) for line in text.split("\n")) if e]
