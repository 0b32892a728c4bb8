"""Readers shared by every page parser, by visible words: the page's reading
order (``flow``), labels, statements, tables, blocks, the page read whole
(``reading``), text and the cleaner, typed values."""
