"""scrapyd-deploy builds the egg with ``python setup.py bdist_egg``; everything it
needs (packages, package data, the ``scrapy`` entry point) is in pyproject.toml."""

from setuptools import setup

setup()
