"""Spiders: ``atlas``, the walk of the atlas (plain Scrapy's spider for benchmarks is
``benchmarks/plain_spider.py``, outside the project)."""
