"""What every page parser shares: links, announced counts, soft-error detection,
unknown tables kept in ``extra``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from lxml import etree
from scrapy.http import TextResponse

from atlas_crawler.extract.reading import extra_key
from atlas_crawler.extract.tables import Table, as_extra
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
#: What a page calls itself: its title (in its head, so first), then its headings, in page order.
_NAMES = etree.XPath("//title | //h1 | //h2 | //h3 | //h4 | //h5 | //h6")
_SHOWN_TEXT = etree.XPath("//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript)]")
#: Texts of a pager's "last page" link (displaytag: ``>>``; French and English labels).
LAST_PAGE_TEXTS = frozenset({">>", "»", "dernier", "dernière", "derniere", "last", "fin"})


#: ``response.meta`` key: when the response was received, as its ``WARC-Date`` (UTC, microseconds),
#: stamped by the archive (``atlas_crawler.archive.middleware``) as the response comes in, so that a
#: record's ``crawled_at`` and the ``WARC-Date`` a re-parse reads it from are the same instant.
FETCHED_AT = "atlas_fetched_at"


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_second(stamp: str) -> str:
    """``crawled_at`` (UTC, to the second, as ``utc_now``) of a ``WARC-Date`` (microseconds)."""
    return stamp[:19] + "Z"


def fetched_at(response: TextResponse) -> str:
    """A page's ``crawled_at``: when its response was received (the archive's stamp), else
    now (a crawl without archive: nothing will re-read the page, so parse time will do)."""
    stamp = response.meta.get(FETCHED_AT) if response.request is not None else None
    return to_second(stamp) if stamp else utc_now()


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


def page_heading(response: TextResponse, length: int = 80) -> str:
    """What a page calls itself, for a message: ``own_name``, else the start of
    its text, else ``an empty page``."""
    if name := own_name(response):
        return _shortened(name, length)
    text = " ".join(" ".join(_SHOWN_TEXT(response.selector.root)).split())
    return _shortened(text, length) if text else "an empty page"


def own_name(response: TextResponse) -> str | None:
    """The page's title or first heading that is not the site's own name (every
    atlas page bears it): ``Connexion``, ``Erreur 404``; None for a page that
    names itself nothing else (a record page, or one cut short before its own:
    the start of the site's name is the site's name cut)."""
    for element in _NAMES(response.selector.root):
        text = text_of(element)
        if text and not any(chrome.startswith(fold(text)) for chrome in CHROME_TEXTS):
            return text
    return None


def _shortened(text: str, length: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


def links(response: TextResponse) -> list[str]:
    """Every ``a[href]`` of the page, absolute."""
    base = response.url
    return [
        canonicalize(href, base)
        for href in (a.get("href") for a in response.selector.root.iter("a"))
        if href and not href.startswith(("javascript:", "mailto:", "#"))
    ]


_ANNOUNCED = re.compile(
    r"(\d[\d\s\u00a0\u202f.]*|\b(?:une?|aucune?)\b)\s*[^\W\d]+(?:\(s\)|s)?\s+trouv", re.UNICODE | re.IGNORECASE
)
#: Counts said in words.
_COUNT_WORDS = {"un": 1, "une": 1, "aucun": 0, "aucune": 0}
#: The texts that may hold a banner ("trouvé", any case), and the elements that are
#: part of a line rather than a block of their own.
_TROUV_TEXTS = "//text()[contains(translate(., 'TROUVÉ', 'trouvé'), 'trouv')]"
_INLINE = frozenset({"a", "abbr", "b", "em", "font", "i", "label", "small", "span", "strong", "sub", "sup", "u"})


def announced_count(response: TextResponse) -> int | None:
    """``263 projet(s) trouvé(s)`` -> 263, ``Une ligne trouvée`` -> 1, ``Aucun élément trouvé`` -> 0.
    Read in the block that says it (a paragraph, a cell: the inline elements in it
    joined), so that a number ending the block before it (a heading, a pager) is
    never taken for part of the count."""
    for text in response.selector.root.xpath(_TROUV_TEXTS):
        owner = text.getparent()
        block = owner.getparent() if text.is_tail and owner.getparent() is not None else owner
        while block.getparent() is not None and str(block.tag).lower() in _INLINE:
            block = block.getparent()
        match = _ANNOUNCED.search("".join(block.itertext()))
        if match:
            return _count(match)
    return None


def count_in(text: str) -> int | None:
    """The count a results banner's text announces (``12 éléments trouvés`` -> 12),
    read as ``announced_count`` reads a list's, or None."""
    match = _ANNOUNCED.search(text)
    return _count(match) if match else None


def _count(match: re.Match[str]) -> int | None:
    count = match.group(1).strip().lower()
    if count in _COUNT_WORDS:
        return _COUNT_WORDS[count]
    digits = re.sub(r"\D", "", count)
    return int(digits) if digits else None


def add_unknown_tables(extra: dict[str, object], tables: Iterable[Table]) -> None:
    """The page's unknown tables (no spec, no block, some rows) into ``extra``,
    each under its title (``tableau`` when untitled). A name already there
    (another table's, an unknown label's) takes the next number in page order
    (``Documents joints (2)``): no table overwrites another."""
    for table in tables:
        if table.spec is None and table.block is None and table.rows:
            extra[_free_key(extra, extra_key(table.title or "tableau"))] = as_extra(table)


def _free_key(taken: Mapping[str, object], key: str) -> str:
    name, n = key, 1
    while name in taken:
        n += 1
        name = f"{key} ({n})"
    return name
