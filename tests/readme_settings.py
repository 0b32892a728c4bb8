"""The project's settings without the politeness a live site gets, for the README's
crawls against a local replica in tests/test_readme.py (``SCRAPY_SETTINGS_MODULE``):
the commands run as written, only faster (the delays are tested elsewhere)."""

from atlas_crawler.replica.localrun import REPLICA_SETTINGS
from atlas_crawler.settings import *  # noqa: F403

AUTOTHROTTLE_ENABLED = False
DOWNLOAD_DELAY = 0
CONCURRENT_REQUESTS = int(REPLICA_SETTINGS["CONCURRENT_REQUESTS"])
CONCURRENT_REQUESTS_PER_DOMAIN = int(REPLICA_SETTINGS["CONCURRENT_REQUESTS_PER_DOMAIN"])
