"""RSS/Atom feeds from a local server: full-content entries, summary-only entries fetched from their
links, conditional GET (ETag and Last-Modified), and dead feeds (timeout, 404, HTML instead of XML)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.ingest import ingest
from bot.store import Store

from .ingest_support import FIXTURES, LocalServer

FULL = (FIXTURES / "feed-full.xml").read_bytes()
RSS = "application/rss+xml"


def _summary_feed(server: LocalServer, storm_status: int = 200) -> str:
    server.add("/2023/06/21/ohio-valley-storm-power-outages/", (FIXTURES / "article.html").read_bytes(),
               status=storm_status)  # fmt: skip
    if storm_status != 200:
        server.routes.pop("/2023/06/21/ohio-valley-storm-power-outages/")
    server.add("/2023/06/17/library-reopens/", (FIXTURES / "article-nometa.html").read_bytes())
    feed = (FIXTURES / "feed-summary.xml.tmpl").read_text().replace("{base}", server.base)
    return server.add("/atom.xml", feed, content_type="application/atom+xml", etag='"atom-1"')


def test_full_content_feed(server: LocalServer, store: Store) -> None:
    url = server.add("/rss.xml", FULL, content_type=RSS)
    summary = ingest([url], store)
    assert (summary.added, summary.failed) == (2, 0)
    assert len(server.requests) == 1  # full text in the feed: no article fetches
    article = store.articles.get_by_url("https://www.example-tribune.com/2023/06/20/council-budget-transit/")
    assert article is not None
    assert article.title == "City council approves budget with new transit money"
    assert article.published == date(2023, 6, 20)
    assert article.authors == ("Lee Park",)
    assert len(article.paragraphs) == 5
    assert article.paragraphs[2].startswith("“This is the biggest investment")
    assert "<p>" not in article.text


def test_feed_file(store: Store) -> None:
    summary = ingest([str(FIXTURES / "feed-full.xml")], store)
    assert (summary.added, summary.failed) == (2, 0)


def test_summary_only_entries_are_fetched_and_extracted(server: LocalServer, store: Store) -> None:
    url = _summary_feed(server)
    summary = ingest([], store, feeds=[url])
    assert (summary.added, summary.failed) == (2, 0)
    storm = store.articles.get_by_url(server.url("/2023/06/21/ohio-valley-storm-power-outages/"))
    assert storm is not None
    assert storm.paragraphs[0].startswith("A line of severe thunderstorms")
    library = store.articles.get_by_url(server.url("/2023/06/17/library-reopens/"))
    assert library is not None
    assert library.title == "Library reopens after two-year renovation"
    assert library.published == date(2023, 6, 17)  # from the feed
    assert "rooftop reading garden" in library.text


def test_conditional_get_with_etag_ingests_nothing_on_304(server: LocalServer, store: Store) -> None:
    url = server.add("/rss.xml", FULL, content_type=RSS, etag='"v1"')
    assert ingest([url], store, feeds=[]).added == 2
    assert store.state.feed(url).etag == '"v1"'
    again = ingest([], store, feeds=[url])
    assert server.requests[-1][1].get("if-none-match") == '"v1"'
    assert (again.not_modified, again.added, again.unchanged, again.failed) == (1, 0, 0, 0)
    assert "not modified" in again.format()


def test_conditional_get_with_last_modified(server: LocalServer, store: Store) -> None:
    stamp = "Tue, 20 Jun 2023 19:00:00 GMT"
    url = server.add("/rss.xml", FULL, content_type=RSS, last_modified=stamp)
    ingest([], store, feeds=[url])
    again = ingest([], store, feeds=[url])
    assert server.requests[-1][1].get("if-modified-since") == stamp
    assert again.not_modified == 1 and again.stored == 0


def test_unfetchable_entry_keeps_its_summary_and_validators_are_not_saved(
    server: LocalServer, store: Store
) -> None:
    url = _summary_feed(server, storm_status=404)
    summary = ingest([], store, feeds=[url])
    assert (summary.added, summary.failed, summary.warned, summary.exit_status) == (2, 0, 1, 0)
    assert "HTTP 404" in summary.warnings[0].reason and "stored the feed's summary" in summary.warnings[0].reason
    assert summary.warnings[0].where.endswith("/2023/06/21/ohio-valley-storm-power-outages/")
    assert store.state.feed(url).etag is None  # so the next poll fetches the feed again, in full
    assert "1 entries failed" in (store.state.feed(url).last_error or "")
    ingest([], store, feeds=[url])
    feed_requests = [headers for path, headers in server.requests if path == "/atom.xml"]
    assert len(feed_requests) == 2 and "if-none-match" not in feed_requests[-1]


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        (lambda s: s.add("/slow.xml", FULL, content_type=RSS, delay=1.5), "timed out"),
        (lambda s: s.url("/gone.xml"), "HTTP 404"),
        (
            lambda s: s.add("/page.xml", "<html><body><p>Welcome to our site</p></body></html>"),
            "not an RSS/Atom feed",
        ),
        (
            lambda s: s.add(
                "/sitemap.xml", '<?xml version="1.0"?><urlset><url/></urlset>', content_type="text/xml"
            ),
            "not an RSS/Atom feed",
        ),
    ],
)
def test_dead_feeds_are_per_url_errors(server: LocalServer, store: Store, setup, reason: str) -> None:
    bad = setup(server)
    good = server.add("/rss.xml", FULL, content_type=RSS)
    summary = ingest([], store, feeds=[bad, good], timeout=0.3)
    assert (summary.added, summary.failed, summary.exit_status) == (2, 1, 1)
    assert summary.errors[0].where == bad and reason in summary.errors[0].reason
    assert reason in (store.state.feed(bad).last_error or "")


def test_known_summary_entries_are_not_fetched_again(server: LocalServer, store: Store) -> None:
    url = _summary_feed(server)
    assert ingest([], store, feeds=[url]).added == 2
    server.routes["/atom.xml"].etag = '"atom-2"'  # the feed changed, so it is served in full again
    again = ingest([], store, feeds=[url])
    assert (again.added, again.unchanged, again.failed) == (0, 2, 0)
    assert server.hits("/2023/06/17/library-reopens/") == 1  # fetched once, on the first poll only
