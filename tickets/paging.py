"""Lists of requests a page at a time."""
from dataclasses import dataclass

from flask import request


@dataclass
class Page:
    items: list
    page: int
    pages: int
    total: int


def paginate(query, per_page):
    """The page of `query` the URL's `page` asks for (the last one when it asks for more)."""
    total = query.count()
    pages = max(1, -(-total // per_page))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    return Page(list(query.paginate(page, per_page)), page, pages, total)
