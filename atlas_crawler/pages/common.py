"""What every page parser shares: links, announced counts, soft-error detection."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from lxml import etree
from scrapy.http import TextResponse

from atlas_crawler.extract.text import fold, label_key, text_of
from atlas_crawler.urls import canonicalize

_SOFT_ERRORS = ("erreur technique", "erreur", "maintenance", "service indisponible", "page indisponible")


#: Texts every atlas page may show around its record, wherever they stand (folded):
#: the site's title, links back and to print. The accounting skips them as chrome.
CHROME_TEXTS = frozenset(
    fold(text)
    for text in (
        "Atlas français de la coopération décentralisée et des autres actions extérieures",
        "Retour",
        "Retour à la liste",
        "Retour aux résultats",
        "Imprimer",
        "Imprimer la fiche",
        "Version imprimable",
        "Haut de page",
        "Fermer",
        "Accueil",
    )
)
_ERROR_HEADINGS = etree.XPath("//h1 | //title")  # where an error page says so


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def soft_error(response: TextResponse) -> str | None:
    """The reason a 200 page is really a failure (``Erreur technique``,
    maintenance), or None for a real page."""
    if not isinstance(response, TextResponse):
        return None
    body = response.body.lower()
    if b"erreur" not in body and b"maintenance" not in body and b"indisponible" not in body:
        return None  # the common case, decided without reading the page
    for heading in _ERROR_HEADINGS(response.selector.root):
        key = label_key(text_of(heading))
        if any(key.startswith(marker) for marker in _SOFT_ERRORS):
            return f"soft error: {text_of(heading)}"
    return None


def links(response: TextResponse) -> list[str]:
    """Every ``a[href]`` of the page, absolute."""
    base = response.url
    return [
        canonicalize(href, base)
        for href in (a.get("href") for a in response.selector.root.iter("a"))
        if href and not href.startswith(("javascript:", "mailto:", "#"))
    ]


_ANNOUNCED = re.compile(r"(\d[\d\s\u00a0\u202f.]*)\s*[^\W\d]+(?:\(s\)|s)?\s+trouv", re.UNICODE)


def announced_count(response: TextResponse) -> int | None:
    """``263 projet(s) trouvé(s)`` -> 263."""
    text = " ".join(response.selector.root.itertext())
    match = _ANNOUNCED.search(text)
    if not match:
        return None
    digits = re.sub(r"\D", "", match.group(1))
    return int(digits) if digits else None
