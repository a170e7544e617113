"""Pages of a long list, as the desk shows them (50 rows a page, numbered from 1)."""

from __future__ import annotations


def page_count(total: int, size: int) -> int:
    """How many pages ``total`` rows fill, ``size`` a page (at least 1: an empty list is one empty page)."""
    return max(1, -(-total // size))


def clamp_page(page: int, total: int, size: int) -> int:
    """``page`` brought within the pages there are (a page past the end shows the last one)."""
    return min(max(1, page), page_count(total, size))


class Paged:
    """What a page of results has besides its rows: how many match (``total``), which page, its size."""

    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        """How many pages the matching rows fill (at least 1)."""
        return page_count(self.total, self.size)
