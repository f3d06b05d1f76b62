"""Stories: articles from different outlets about the same event, grouped so the bot shows each once.

- :mod:`bot.stories.similarity`: an article's fingerprint and how alike two are (pure functions);
- :mod:`bot.stories.grouping`: the grouping rule, in memory (:func:`group_articles`) and over the
  store's change feed (:class:`StoryGrouper`, run when the search index catches up with the store);
- :mod:`bot.stories.evaluate`: precision and recall on the hand-labelled pairs in ``tests/fixtures``.

The stored story id of an article: ``store.stories.story_of(ids)``; the stories of a list of articles
(digests): :func:`stories_of`; the newest stories (/latest): :func:`newest_stories`.

May import :mod:`bot.search` (term weights), :mod:`bot.store` and :mod:`bot.models` (and, in
:mod:`~bot.stories.evaluate` only, :mod:`bot.ingest` to load the labelled articles); never ``telegram``,
:mod:`bot.answer`, :mod:`bot.subscribe` or :mod:`bot.chat`.
"""

from .grouping import Story, StoryGrouper, group_articles, stories_of
from .listing import also_of, leads_of, newest_stories
from .similarity import TermWeights

__all__ = [
    "Story",
    "StoryGrouper",
    "TermWeights",
    "also_of",
    "group_articles",
    "leads_of",
    "newest_stories",
    "stories_of",
]
