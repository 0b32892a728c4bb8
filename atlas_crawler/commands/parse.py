"""``scrapy parse URL``: Scrapy's own command, with the atlas spider and its page
types by default (no ``--spider``, no ``-c``), and without the run's side effects:
no run report (it must not overwrite a crawl's), no Spidermon monitors; a record's
further table pages are followed whatever ``-d`` says, so it prints whole records."""

from __future__ import annotations

import argparse
from typing import Any

from scrapy.commands.parse import Command as ScrapyParseCommand

from atlas_crawler.spiders.atlas import AtlasSpider


class Command(ScrapyParseCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        self.settings.set("ATLAS_REPORT_ENABLED", False, priority="cmdline")
        self.settings.set("SPIDERMON_ENABLED", False, priority="cmdline")
        opts.spider = opts.spider or AtlasSpider.name

    def scraped_data(self, args: tuple) -> list[Any]:
        """Scrapy's, and a record's further table pages followed at the same depth level
        whatever ``-d``: the record is whole only with them, so ``scrapy parse URL``
        prints it (its other links are followed only as deep as ``-d`` says)."""
        items, requests, opts, depth, spider, callback = args
        table_pages = [r for r in requests if r.meta.get("record_url")]  # set by AtlasSpider.assemble
        others = [r for r in requests if not r.meta.get("record_url")]
        data = super().scraped_data((items, others, opts, depth, spider, callback))
        self.add_requests(depth, table_pages)
        for request in table_pages:
            request.meta["_depth"] = depth
            request.meta["_callback"] = request.callback
            request.callback = callback
        return data + table_pages
