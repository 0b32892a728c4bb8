"""A request dropped on purpose, told apart from one Scrapy gave up on.

Scrapy raises a bare ``IgnoreRequest`` both for a request a component chose not to
fetch (robots.txt) and for answers it could not take (a body over
``DOWNLOAD_MAXSIZE``, decompressed or not; "max redirections reached"). The
spider's errback must fail the second kind by URL, so every component of this
project that drops a request on purpose raises ``Dropped`` with the rule that
dropped it: the page is then *skipped*, with that rule, and any other
``IgnoreRequest`` is a failure of its page."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest


class Dropped(IgnoreRequest):
    """Not fetched on purpose; ``rule`` says which rule, in words for the report
    (``robots.txt: Disallow /atlas/ficheCollectivite``)."""

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule
