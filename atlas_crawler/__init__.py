"""atlas-crawler: crawl the French atlas of decentralised cooperation into JSON Lines."""

__version__ = "0.1.0"
