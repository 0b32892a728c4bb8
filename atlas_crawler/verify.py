"""``python -m atlas_crawler.verify`` (check an archival dump): the name the README and older
scripts use for ``python -m atlas_crawler.archive.verify``."""

import sys

from atlas_crawler.archive.verify import main

if __name__ == "__main__":
    sys.exit(main())
