"""``scrapy parse URL``: Scrapy's own command, with the atlas spider and its page
types by default (no ``--spider``, no ``-c``), and without the run's side effects:
no run report (it must not overwrite a crawl's), no Spidermon monitors."""

from __future__ import annotations

import argparse

from scrapy.commands.parse import Command as ScrapyParseCommand

from atlas_crawler.spiders.atlas import AtlasSpider


class Command(ScrapyParseCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        self.settings.set("ATLAS_REPORT_ENABLED", False, priority="cmdline")
        self.settings.set("SPIDERMON_ENABLED", False, priority="cmdline")
        opts.spider = opts.spider or AtlasSpider.name
