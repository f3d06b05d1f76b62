"""A Telegram bot that answers questions about the news by quoting the best passages of its corpus.

Where each concern lives (one package each; every package's ``__init__`` says what is in it and what it
may import), and the one direction imports point, from the top down::

    cli ─► chat ─► heartbeat ─► services ─► answer, subscribe ─► stories ─► search ─► store ─► models

- :mod:`bot.config`, :mod:`bot.models`, :mod:`bot.progress`: settings, the article, progress of long
  work; they import nothing else of the bot.
- :mod:`bot.store`: the database; the only package with SQL.
- :mod:`bot.ingest`: sources into the store (scraped pages, JSON Lines, HTML, feeds) and cleaning.
- :mod:`bot.search`: the BM25 index we own and the retrievers over it.
- :mod:`bot.stories`: articles of different outlets about one event, grouped.
- :mod:`bot.answer`: a question in, quoted passages out.
- :mod:`bot.subscribe`: subscriptions, delivery planning and digests, without Telegram.
- :mod:`bot.services`: the one place that builds the running objects (store, index, answerer), for the
  bot, the command line and the answer workers alike.
- :mod:`bot.heartbeat`: poll feeds, refresh the index, plan deliveries: one Telegram-free beat.
- :mod:`bot.chat`: the Telegram layer, the only package (with :mod:`bot.cli`, which starts it) that
  imports ``telegram``.
- :mod:`bot.cli`: ``python -m bot`` and its subcommands.

``tests/unit/test_layering.py`` checks the rules that can be checked mechanically; ``docs/layout.md``
says where a newcomer finds things.
"""

__version__ = "0.1.0"
