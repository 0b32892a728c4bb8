"""``python -m atlas_crawler.reparse`` (records again from an archival dump): the name the README and older
scripts use for ``python -m atlas_crawler.archive.reparse``."""

import sys

from atlas_crawler.archive.reparse import main

if __name__ == "__main__":
    sys.exit(main())
