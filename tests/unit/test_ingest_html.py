"""HTML article pages from files and URLs (served by a local server), with metadata fallbacks."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

from bot.ingest import ingest
from bot.store import Store

from .ingest_support import FIXTURES, LocalServer

NAV_AND_FOOTER = ("Most read", "All rights reserved", "Subscribe", "Council approves new budget", "Home")


def test_html_file_with_metadata(store: Store) -> None:
    summary = ingest([str(FIXTURES / "article.html")], store)
    assert (summary.added, summary.failed) == (1, 0)
    article = store.articles.get_by_url(
        "https://example-tribune.com/2023/06/21/ohio-valley-storm-power-outages"
    )
    assert article is not None
    assert article.title == "Storm knocks out power to 200,000 homes in Ohio valley"
    assert article.published == date(2023, 6, 21)
    assert article.authors == ("Dana Whitfield",)
    assert article.paragraphs[0].startswith("A line of severe thunderstorms tore through the Ohio valley")
    assert "“We have not seen damage this widespread since the derecho of 2012,”" in article.text
    assert len(article.paragraphs) >= 5
    for chrome in NAV_AND_FOOTER:
        assert chrome not in article.text, chrome


def test_html_file_without_metadata_falls_back(tmp_path: Path, store: Store) -> None:
    page = tmp_path / "saved.html"
    page.write_bytes((FIXTURES / "article-nometa.html").read_bytes())
    saved = datetime(2021, 3, 9, 12, 0, tzinfo=UTC).timestamp()
    os.utime(page, (saved, saved))
    summary = ingest([str(page)], store)
    assert (summary.added, summary.failed) == (1, 0)
    article = store.articles.get_by_url(page.resolve().as_uri())
    assert article is not None
    assert article.title == "Library reopens after two-year renovation"
    assert article.published == date(2021, 3, 9)  # the file's modification time
    assert article.paragraphs[0].startswith("The city's central library reopened")


def test_html_url_date_from_url_and_from_last_modified(server: LocalServer, store: Store) -> None:
    page = (FIXTURES / "article-nometa.html").read_bytes()
    dated = server.add("/2023/06/17/library-reopens/", page)
    undated = server.add("/library", page, last_modified="Wed, 14 Jun 2023 08:00:00 GMT")
    summary = ingest([dated], store)
    assert (summary.added, summary.failed) == (1, 0)
    article = store.articles.get_by_url(dated)
    assert article is not None and article.published == date(2023, 6, 17)
    assert article.source == "127.0.0.1"
    summary = ingest([undated], store)
    assert summary.duplicate == 1  # same body under another URL: stored once
    assert store.articles.duplicate_count() == 1


def test_html_url_last_modified_date(server: LocalServer, store: Store) -> None:
    page = (FIXTURES / "article-nometa.html").read_bytes().replace(b"Saturday", b"Sunday")
    url = server.add("/library", page, last_modified="Wed, 14 Jun 2023 08:00:00 GMT")
    assert ingest([url], store).added == 1
    article = store.articles.get_by_url(url)
    assert article is not None and article.published == date(2023, 6, 14)


def test_html_without_article_text(server: LocalServer, store: Store) -> None:
    menu = server.add("/menu", "<html><head><title>Menu</title></head><body><nav>Home</nav></body></html>")
    blank = server.add("/blank", "<html><head><title>Nothing</title></head><body></body></html>")
    summary = ingest([menu, blank], store)
    assert (summary.added, summary.flagged, summary.failed) == (1, 1, 1)  # a menu is stored flagged
    assert store.articles.count() == 0
    assert summary.errors[0].where == blank and "no article text" in summary.errors[0].reason
