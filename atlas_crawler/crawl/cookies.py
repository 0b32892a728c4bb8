"""Cookies (the atlas's ``JSESSIONID``) without a download of the Public Suffix List.

Scrapy 2.19's ``CookiesMiddleware`` asks, for every cookie it receives or sends,
whether the cookie's domain is a public suffix (``gouv.fr`` is one, so a cookie for
it is kept to the host that set it). It asks a module-level
``tldextract.TLDExtract(include_psl_private_domains=True)``
(``scrapy.downloadermiddlewares.cookies._split_domain``), which on its first use
fetches the list from publicsuffix.org, then from a copy on GitHub: two hosts
other than the atlas, looked up and fetched on the reactor thread without a
timeout (a stall on a firewalled host), the answer cached under ``~/.cache``.
Scrapy has no setting for that extractor, so ``OfflineCookiesMiddleware``, which
is Scrapy's middleware otherwise, puts in its place one that reads the snapshot of
the list bundled with tldextract: no address, no disk cache. The snapshot is as
recent as the installed tldextract, ample for telling a public suffix from the
atlas's own host."""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares import cookies as scrapy_cookies
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from tldextract import TLDExtract

#: The extractor Scrapy's cookie check uses in this process: the bundled snapshot only
#: (no URL to fetch, no cache directory to read or write), private domains included
#: as in Scrapy's own.
BUNDLED_SUFFIXES = TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


class OfflineCookiesMiddleware(CookiesMiddleware):
    """Scrapy's cookie middleware, its public-suffix check read from tldextract's bundled list."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OfflineCookiesMiddleware:
        use_bundled_suffixes()
        return super().from_crawler(crawler)


def use_bundled_suffixes() -> None:
    """Point Scrapy's cookie check at ``BUNDLED_SUFFIXES``. Fails loudly if a Scrapy
    upgrade moved the extractor: a silent miss would bring the download back."""
    if not isinstance(getattr(scrapy_cookies, "_split_domain", None), TLDExtract):
        raise RuntimeError(
            "scrapy.downloadermiddlewares.cookies._split_domain is gone: see atlas_crawler/crawl/cookies.py"
        )
    scrapy_cookies._split_domain = BUNDLED_SUFFIXES  # Scrapy offers no setting for it
