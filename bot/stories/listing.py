"""Lists of stories: the newest articles (``/latest``, the CLI's ``latest``) shown one entry per story."""

from __future__ import annotations

from collections.abc import Callable

from bot.models import Article
from bot.store import Store

from .grouping import Story, stories_of

#: Articles fetched per story wanted (a story of several outlets takes several lines of the article list).
OVERFETCH = 3
#: At most this many articles are read to fill one page.
MAX_FETCH = 400


def newest_stories(
    fetch: Callable[[int], list[Article]], store: Store, n: int, offset: int = 0
) -> tuple[list[Story], bool]:
    """Stories ``offset`` to ``offset + n`` of the newest articles, newest story first, and whether older
    ones exist. ``fetch(k)`` returns the ``k`` newest articles (optionally on a topic), newest first.

    A story's place is that of its newest article in the list, and it is shown by that article, the
    others being its "also:" links (:func:`also_of`).
    """
    n, offset = max(1, n), max(0, offset)
    want = offset + n + 1
    k = min(want * OVERFETCH, MAX_FETCH)
    while True:
        articles = fetch(k)
        stories = stories_of(store, articles)
        if len(stories) >= want or len(articles) < k or k >= MAX_FETCH:
            break
        k = min(k * 2, MAX_FETCH)
    return stories[offset : offset + n], len(stories) > offset + n


def leads_of(stories: list[Story]) -> list[Article]:
    """The article each story is shown by in a newest-first list: its newest."""
    return [s.newest for s in stories]


def also_of(stories: list[Story]) -> dict[int, list[Article]]:
    """A story's other articles (oldest first), keyed by the id of the article it is shown by."""
    return {s.newest.id or 0: list(s.articles[:-1]) for s in stories}
