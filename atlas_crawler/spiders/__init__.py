"""Spiders: ``atlas`` (the crawler) and ``baseline`` (link-following only, for benchmarks)."""
