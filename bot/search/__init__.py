"""Search: the analyzer, passages, BM25 maths, the index we own and the retrievers over it.

- :mod:`bot.search.analyzer` — text to index terms (also spans for highlighting); shared by queries,
  passages and subscription topics.
- :mod:`bot.search.passages` — an article's verbatim passages (paragraphs and sentences, ~40–150 words).
- :mod:`bot.search.bm25` — rank-bm25's BM25Okapi as small numpy functions.
- :mod:`bot.search.index` — :class:`~bot.search.index.BM25Index`: exact BM25Okapi, incremental, persistent.
- :mod:`bot.search.kernels` — the index's compiled (numba) query kernels: top k, scores of given slots.
- :mod:`bot.search.retriever` — the :class:`~bot.search.retriever.Retriever` protocol, the index backend kept
  in sync with the store, the rank-bm25 reference backend, and :func:`~bot.search.retriever.make_retriever`.

Modules are imported directly (``from bot.search.analyzer import default_analyzer``) so that using the
analyzer does not load the index machinery.
"""
