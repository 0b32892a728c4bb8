"""``scrapy changes OLD NEW [-o FILE]``: ``python -m atlas_crawler.changes`` as a
Scrapy command, so that it is found where ``scrapy crawl`` is."""

from __future__ import annotations

import argparse

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from atlas_crawler.run import changes


class Command(ScrapyCommand):
    requires_crawler_process = False

    def syntax(self) -> str:
        return "[-o FILE] [--report FILE] <old run or .jsonl> <new run or .jsonl>"

    def short_desc(self) -> str:
        return "Changes between two crawls (run folders or JSON Lines files), as JSON Lines"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("-o", "--output", metavar="FILE", help="write the changes here (default: stdout)")
        parser.add_argument("--report", metavar="FILE", help="the new run's report, if not beside it")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 2:
            raise UsageError("give two runs: scrapy changes OLD NEW")
        argv = list(args)
        argv += ["--output", opts.output] if opts.output else []
        argv += ["--report", opts.report] if opts.report else []
        self.exitcode = changes.main(argv)
