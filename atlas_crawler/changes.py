"""``python -m atlas_crawler.changes`` (compare two runs or two JSON Lines files): the name the README and older
scripts use for ``python -m atlas_crawler.run.changes``."""

import sys

from atlas_crawler.run.changes import main

if __name__ == "__main__":
    sys.exit(main())
