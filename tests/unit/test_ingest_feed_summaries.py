"""Feeds whose items carry their own text: stored as a summary when the page cannot be fetched, replaced
by the page when a later poll can fetch it. Pages come from a local server or a closed local port."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.ingest import ingest
from bot.store import Store

from .ingest_support import FIXTURES, LocalServer

RSS = "application/rss+xml"
DAM = "A dam breach flooded three villages in northern Ghana on Monday, forcing more than 4,000 people from their homes."
RATES = "The central bank held its key interest rate at 5.25 percent on Tuesday, citing stubborn services inflation."


def rss(base: str) -> str:
    """An RSS 2.0 feed: one item with its text in <description>, one in <content:encoded>; both short."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Wire</title><link>{base}/</link><description>Latest</description>
<item><title>Dam breach floods three villages in northern Ghana</title><link>{base}/2024/05/dam-breach</link>
<pubDate>Tue, 14 May 2024 08:00:00 GMT</pubDate>
<description>&lt;p&gt;{DAM}&lt;/p&gt;</description></item>
<item><title>Central bank holds rates steady</title><link>{base}/2024/05/rates</link>
<pubDate>Tue, 14 May 2024 09:00:00 GMT</pubDate>
<description>Rates: what changed</description>
<content:encoded><![CDATA[<p>{RATES}</p><p>Two members voted for a cut.</p>]]></content:encoded></item>
</channel></rss>"""


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends: nothing listens there


def test_offline_feed_file_stores_each_items_own_text_as_a_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSBOT_DATA_DIR", str(tmp_path / "data"))
    base = f"http://127.0.0.1:{closed_port()}"
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(base))
    status = main(["ingest", "--no-progress", "--timeout", "2", str(feed)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert out.startswith("ingest: added 2,") and "failed 0" in out
    assert "stored the feed's summary; fetching the article failed (connection failed" in out
    assert "did not answer earlier in this run" in out  # the second item's host was not asked again
    store = Store(tmp_path / "data" / "newsbot.sqlite3")
    try:
        dam = store.articles.get_by_url(f"{base}/2024/05/dam-breach")
        assert dam is not None and dam.summary and dam.text == DAM
        rates = store.articles.get_by_url(f"{base}/2024/05/rates")
        assert rates is not None and rates.summary
        assert rates.text == f"{RATES}\n\nTwo members voted for a cut."  # content:encoded wins over the teaser
    finally:
        store.close()
    assert main(["ask", "--as-of", "2024-05-20", "dam breach in Ghana"]) == 0
    assert DAM in capsys.readouterr().out  # searchable like any article


def test_a_later_poll_replaces_the_summary_with_the_page(server: LocalServer, store: Store) -> None:
    page = (FIXTURES / "article.html").read_bytes()
    feed = server.add("/rss.xml", rss(server.base), content_type=RSS, etag='"v1"')
    server.add("/2024/05/dam-breach", page, status=503)  # the site is down at the first poll
    server.add("/2024/05/rates", page, status=503)
    first = ingest([], store, feeds=[feed])
    assert (first.added, first.failed, first.warned) == (2, 0, 2)
    dam_url = server.url("/2024/05/dam-breach")
    assert store.articles.get_by_url(dam_url).summary  # type: ignore[union-attr]
    assert store.state.feed(feed).etag is None  # the next poll must see the items again

    server.routes["/2024/05/dam-breach"].status = 200  # back up
    second = ingest([], store, feeds=[feed])
    assert (second.updated, second.failed) == (1, 0) and second.warned == 1  # rates: still down
    dam = store.articles.get_by_url(dam_url)
    assert dam is not None and not dam.summary and dam.text != DAM and len(dam.text.split()) > 100
    assert dam.title == "Dam breach floods three villages in northern Ghana"  # the feed's title kept

    server.routes["/2024/05/rates"].status = 200
    third = ingest([], store, feeds=[feed])
    assert (third.updated, third.unchanged, third.warned) == (1, 1, 0)
    assert store.state.feed(feed).etag == '"v1"'  # every item complete: validators saved at last
    hits = server.hits("/2024/05/dam-breach")
    server.routes["/rss.xml"].etag = '"v2"'  # the feed changed: its items are read again
    assert ingest([], store, feeds=[feed]).unchanged == 2
    assert server.hits("/2024/05/dam-breach") == hits  # a full article is not fetched again


def test_item_without_text_or_reachable_page_is_still_an_error(tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{closed_port()}"
    feed = tmp_path / "feed.xml"
    feed.write_text(f"""<?xml version="1.0"?><rss version="2.0"><channel><title>W</title>
<item><title>Only a title</title><link>{base}/a</link><pubDate>Tue, 14 May 2024 08:00:00 GMT</pubDate></item>
</channel></rss>""")
    store = Store(tmp_path / "s.sqlite3")
    try:
        summary = ingest([feed], store, timeout=2)
    finally:
        store.close()
    assert (summary.added, summary.failed, summary.exit_status) == (0, 1, 1)
    assert "fetching the entry's article failed" in summary.errors[0].reason


def test_a_store_made_before_summaries_existed_opens_and_takes_them(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old = Store(path)
    old.db.conn.execute("ALTER TABLE articles DROP COLUMN summary")  # the schema of earlier releases
    old.close()
    store = Store(path)
    try:
        feed = tmp_path / "feed.xml"
        feed.write_text(rss(f"http://127.0.0.1:{closed_port()}"))
        assert ingest([feed], store, timeout=2).added == 2
        assert all(a.summary for a in store.articles.latest(5))
    finally:
        store.close()
