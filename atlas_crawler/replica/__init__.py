"""A local replica of the atlas, built from docs/SITE.md: generated world, page
templates with the live site's quirks, a fast aiohttp server, ground truth."""
