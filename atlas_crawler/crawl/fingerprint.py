"""Request fingerprints over canonical URLs, so that ``;jsessionid``, parameter
order and tracking parameters never make one page two requests."""

from __future__ import annotations

from scrapy import Request
from scrapy.utils.request import RequestFingerprinter

from atlas_crawler.urls import canonicalize


class CanonicalRequestFingerprinter(RequestFingerprinter):
    def fingerprint(self, request: Request) -> bytes:
        canonical = canonicalize(request.url)
        if canonical != request.url:
            request = request.replace(url=canonical)
        return super().fingerprint(request)
