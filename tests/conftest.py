"""Project-wide pytest setup: load the local Telegram Bot API server fixtures; compile the search kernels."""

import pytest

pytest_plugins = ["tests.botapi.fixtures", "tests.postgres_support"]


@pytest.fixture(scope="session", autouse=True)
def search_kernels() -> None:
    """Compile the index's numba kernels before any test (seconds, on a machine's first run), so no test
    that times an answer, in this process or in a bot it starts, waits for the compiler: they load the
    cached machine code instead."""
    from bot.search.index import BM25Index

    BM25Index().warm_up()
