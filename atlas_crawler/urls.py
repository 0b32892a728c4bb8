"""Every address of the atlas, in one module.

The live page names are reconstructed (see docs/SITE.md) except ``detailProjet.html``;
pages are recognised by what they hold (``pages/registry.py``), so a name that differs
on the live site costs nothing but the start page (``ATLAS_HOME_PAGE``). The spider
follows the links pages carry; this module only says what a link *is* and whether it
lies on the atlas (``in_scope``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import safe_url_string

LIVE_BASE_URL = "https://pastel.diplomatie.gouv.fr/cncdext/dyn/public/atlas/"

HOME_PAGE = "accesAtlas.html"
COUNTRIES_PAGE = "listePays.html"
REGIONS_PAGE = "listeRegions.html"
MAP_PAGE = "carteMonde.html"

PROJECT_ID_PARAM = "criteres.prjId"
COLLECTIVITY_ID_PARAM = "idCollectivite"
#: The parameters that hold a record's id (``record_id`` spells their values).
ID_PARAMS = (PROJECT_ID_PARAM, COLLECTIVITY_ID_PARAM)
FOREIGN_COLLECTIVITY_PAGE = "detailCollectiviteEtrangere.html"
FRENCH_COLLECTIVITY_PAGE = "detailCollectiviteFrancaise.html"

#: Parameters that never change what a page shows: tracking and displaytag
#: sorting/export switches (rows are the same set, so page k unsorted suffices).
_DROPPED_PARAMS = re.compile(r"^(origine|source|from|utm_\w+|xtor|d-\d+-[soe]|6578706f7274)$")
#: displaytag page parameter: ``d-4012-p=2``.
PAGE_PARAM = re.compile(r"^d-\d+-p$")
_JSESSIONID = re.compile(r";jsessionid=[^?#/;]*", re.IGNORECASE)


def canonicalize(url: str, base: str | None = None) -> str:
    """The one spelling of an address: absolute, no ``;jsessionid``, no fragment,
    tracking and sorting parameters dropped, ``d-N-p=1`` dropped (page 1 is the
    page without it), record ids in their one spelling (``record_id``: ``prjId=01005``
    is ``prjId=1005``), remaining parameters sorted."""
    return _canonical(urljoin(base, url) if base is not None else url)


def record_id(value: str | None) -> str | None:
    """The one spelling of a record id, or None when ``value`` is no id: ASCII
    digits only (``str.isdigit`` also takes Arabic-Indic, fullwidth and superscript
    digits, which ``int`` would read as another record's number), leading zeros
    dropped (``01005`` is ``1005``; ``0`` and ``00`` are ``0``). Every id read from
    an address goes through here, so one record has one id, one URL, one fetch."""
    if not value or not (value.isascii() and value.isdigit()):
        return None
    return value.lstrip("0") or "0"


def _spelled(key: str, value: str) -> str:
    """A parameter's value in its one spelling: a record id normalised, anything
    else (and an id parameter holding no id) as it is."""
    return (record_id(value) or value) if key in ID_PARAMS else value


@lru_cache(maxsize=32768)
def _canonical(url: str) -> str:
    """``canonicalize`` of an absolute address (cached: menus and partners
    are linked from thousands of pages)."""
    url = _JSESSIONID.sub("", safe_url_string(url.strip()))
    parts = urlsplit(url)
    params = [
        (k, _spelled(k, v))
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _DROPPED_PARAMS.match(k) and not (PAGE_PARAM.match(k) and v in ("", "1"))
    ]
    query = urlencode(sorted(params), safe=".")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, query, ""))


def page_name(url: str) -> str:
    """Last path segment, without ``;jsessionid``: ``detailProjet.html``."""
    return _JSESSIONID.sub("", urlsplit(url).path).rsplit("/", 1)[-1]


def is_robots_txt(url: str) -> bool:
    """A host's ``/robots.txt`` (RFC 9309: at the root, no query): never an atlas page.
    Whether it is the atlas host's is the scope's business (``crawl/scope.py``)."""
    parts = urlsplit(url)
    return parts.path == "/robots.txt" and not parts.query


def query_params(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def project_id(url: str) -> str | None:
    """``criteres.prjId`` of a project address (``record_id``), or None: an
    address whose id is not ASCII digits is no project address."""
    return record_id(query_params(url).get(PROJECT_ID_PARAM))


def collectivity_id(url: str) -> str | None:
    """``idCollectivite`` of a collectivity address (``record_id``), or None."""
    return record_id(query_params(url).get(COLLECTIVITY_ID_PARAM))


def malformed_id(url: str) -> tuple[str, str] | None:
    """``(parameter, value)`` of a record id parameter whose value is there but
    is no id (``criteres.prjId=١٠٠٥``, ``=12a``, ``=-5``): such an address is no
    record address, and what the server makes of it (Java reads Arabic-Indic
    digits as a number) is not to be guessed. None when every id parameter is
    an id or empty."""
    return next(((k, v) for k, v in query_params(url).items() if k in ID_PARAMS and v and record_id(v) is None), None)


def collectivity_kind(url: str) -> str | None:
    """``french`` or ``foreign`` from the page name of a collectivity address."""
    name = page_name(url)
    if name == FOREIGN_COLLECTIVITY_PAGE:
        return "foreign"
    if name == FRENCH_COLLECTIVITY_PAGE:
        return "french"
    return None


def page_params(url: str) -> dict[str, int]:
    """displaytag page parameters of an address: ``{"d-4012-p": 2}``."""
    return {k: int(v) for k, v in query_params(url).items() if PAGE_PARAM.match(k) and v.isdigit()}


def without_page_params(url: str) -> str:
    """The address of page 1 of whatever table ``url`` paginates."""
    parts = urlsplit(url)
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not PAGE_PARAM.match(k)]
    return urlunsplit(parts._replace(query=urlencode(params, safe=".")))


def project_url(url: str) -> str:
    """Canonical record URL of a project: only ``criteres.prjId`` kept."""
    parts = urlsplit(canonicalize(url))
    return urlunsplit(parts._replace(query=urlencode({PROJECT_ID_PARAM: project_id(url)}, safe=".")))


def collectivity_url(url: str) -> str:
    parts = urlsplit(canonicalize(url))
    return urlunsplit(parts._replace(query=urlencode({COLLECTIVITY_ID_PARAM: collectivity_id(url)}, safe=".")))


def in_scope(url: str, base: str) -> bool:
    """True when ``url`` lies on the atlas: same scheme, host and port as ``base``,
    no user info, and a path under ``base``'s path once ``.``/``..`` segments,
    percent-encoded dots and slashes (``%2e%2e``, ``%2f``, also double-encoded),
    backslashes and ``;`` path parameters (``..;x``, which Tomcat reads as ``..``)
    are resolved. The URL is first spelled as Scrapy sends it (``safe_url_string``:
    tabs and newlines dropped, ``\\`` read as ``/``), so the rule judges the
    request that would really leave."""
    try:
        target, home = _scope_parts(url), _scope_parts(base)
    except ValueError:  # unparsable port, bad IPv6 literal: not the atlas
        return False
    if target is None or home is None or target[:3] != home[:3] or target[3] is None or home[3] is None:
        return False
    prefix = home[3] if home[3].endswith("/") else home[3] + "/"
    return target[3].startswith(prefix) or target[3] == prefix.rstrip("/")


_DEFAULT_PORTS = {"http": 80, "https": 443}
_DECODE_ROUNDS = 4  # %2e, %252e, %25252e: more than that is no address of the atlas


@lru_cache(maxsize=65536)
def _scope_parts(url: str) -> tuple[str, str, int, str | None] | None:
    """``(scheme, host, port, resolved path)`` of an address, None when it has
    user info or is not http(s). Cached: every page links to the menus and to
    partners linked from thousands of pages (and the base is asked every time)."""
    parts = urlsplit(safe_url_string(url.strip()))
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or parts.username is not None or parts.password is not None:
        return None
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return None
    return scheme, host, parts.port or _DEFAULT_PORTS[scheme], _resolved_path(parts.path)


def _resolved_path(path: str) -> str | None:
    """The path a server may end up serving: percent-decoded until stable (a
    server or proxy that decodes twice must not see ``..`` we did not; None when
    still encoded after a few rounds), backslashes as slashes, ``;`` parameters
    dropped from each segment, dot segments removed (RFC 3986 section 5.2.4)."""
    for _ in range(_DECODE_ROUNDS):
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    else:
        return None
    segments: list[str] = []
    for segment in path.replace("\\", "/").split("/"):
        name = segment.split(";", 1)[0]
        if name == "..":
            if len(segments) > 1:
                segments.pop()
        elif name != ".":
            segments.append(name)
    resolved = "/".join(segments)
    if path.endswith(("/.", "/..", "/")) and not resolved.endswith("/"):
        resolved += "/"
    return resolved if resolved.startswith("/") else "/" + resolved
