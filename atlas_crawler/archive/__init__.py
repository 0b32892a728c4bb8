"""Archival dumps: every exchange of a crawl in WARC 1.1, the map from records to
captures, a CDXJ index, a WACZ package, a manifest, and the tools that verify a
dump and parse it again offline. See docs/ARCHIVES.md."""
