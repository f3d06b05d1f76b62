"""From a question to quoted passages: parsing, news-aware ranking, quoting and rendering (no Telegram here).

- :mod:`bot.answer.pipeline` — :class:`~bot.answer.pipeline.Answerer`: question in, a page of results out.
- :mod:`bot.answer.protocols` — what the pipeline needs of the search backend and of the store.
- :mod:`bot.answer.question`, :mod:`bot.answer.dates` — what the user asked, and the days it names.
- :mod:`bot.answer.rank`, :mod:`bot.answer.windows`, :mod:`bot.answer.quote` — ranking articles, scoring
  sentence windows, cutting verbatim quotes; :mod:`bot.answer.browse` — questions without a topic.
- :mod:`bot.answer.sentences`, :mod:`bot.answer.sentence_store` — an article's sentences analysed once
  (the sentence rules), and the files beside the search index that keep that analysis for every article.
- :mod:`bot.answer.types` — the answer's shapes, shared with the chat layer and the CLI.
- :mod:`bot.answer.render` — Telegram HTML and terminal text of answers and article lists.
- :mod:`bot.answer.evaluate` — answer recall@k on questions with known answers (``python -m bot eval``).

May import :mod:`bot.models`, :mod:`bot.search`, read-only types of :mod:`bot.store` and the
page-furniture rules of :mod:`bot.ingest.furniture`; runs no SQL (it reads through
:mod:`bot.answer.protocols`) and imports nothing of Telegram, ``bot.chat``, ``bot.cli`` or
``bot.services``. Measurements of the ranking live in ``docs/ranking.md``, of an answer's CPU in ``docs/answer-speed.md``; the weights' refit is
``tools/fit_weights.py``.
"""
