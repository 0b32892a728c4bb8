"""Page parsers: pure functions of a response, one module per page type."""
