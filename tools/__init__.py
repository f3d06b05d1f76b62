"""Developer tools that are not part of the running bot: refitting the ranking weights, reading the shared
corpus for tests and benchmarks.

Run from the repository root (``python -m tools.fit_weights ...``). Tools may import anything in ``bot``;
nothing in ``bot`` imports ``tools``, so the installed package stays the runtime alone.
"""
