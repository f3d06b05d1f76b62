"""Search: the analyzer, BM25 maths, the index we own and the retrievers over it.

From text to terms
- :mod:`bot.search.analyzer` — text to index terms (also spans for highlighting); shared by queries,
  documents and subscription topics.
- :mod:`bot.search.chunks` — the numpy chunk splitter and chunk-key table under the vocabulary.
- :mod:`bot.search.vocabulary` — term ↔ id with a chunk cache (encoding text in numpy passes).
- :mod:`bot.search.passages` — an article's verbatim passages (paragraphs and sentences, ~40–150 words),
  for the answer code's quoting and evaluation (the index holds whole articles).

The index
- :mod:`bot.search.bm25` — rank-bm25's BM25Okapi as small numpy functions.
- :mod:`bot.search.columns` — per-document columns and the documents an index takes (``DocInput``, ``DocBatch``).
- :mod:`bot.search.segments` — immutable CSR postings: build, merge, cut.
- :mod:`bot.search.kernels` — the compiled (numba) query kernels: top k, scores of given slots.
- :mod:`bot.search.index` — :class:`~bot.search.index.BM25Index`: exact BM25Okapi, incremental, persistent.
- :mod:`bot.search.storage` — the on-disk format: manifest, checksums, the ``CURRENT`` swap, locks.
- :mod:`bot.search.hits` — filters and hits (what a search takes and returns).

Over the store
- :mod:`bot.search.documents` — articles into index documents (encoding, worker processes, batches).
- :mod:`bot.search.retriever` — the :class:`~bot.search.retriever.Retriever` protocol, the article index kept
  in sync with the store, and :func:`~bot.search.retriever.make_retriever`.
- :mod:`bot.search.reference` — the rank-bm25 reference backend (what a correct score is).

Imports: ``bot.models``, ``bot.progress`` and, for types only, ``bot.config`` and ``bot.store``; never
``bot.ingest``, ``bot.answer``, ``bot.subscribe`` or ``bot.chat`` (they sit above), and no Telegram.
(Reading the shared corpus for tests and benchmarks, which reuses ingest's cleaning, is ``tools/sample.py``.)
Modules are imported directly (``from bot.search.analyzer import default_analyzer``) so that using the
analyzer does not load the index machinery.
"""
