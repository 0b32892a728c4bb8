"""Readers shared by every page parser: text, labels, tables, checkboxes, values."""
