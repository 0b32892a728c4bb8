"""The project's Scrapy commands (``COMMANDS_MODULE``): ``crawl`` with exit codes,
run folders and a lock; ``changes`` to compare two runs."""
