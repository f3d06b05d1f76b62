"""Stories in what the bot shows: a chat's queue split by story, cards and lists with "also:" links
(escaped, within Telegram's limit), the card's link preview, and the newest stories of /latest."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot.answer.render import (
    TELEGRAM_LIMIT,
    also_html,
    article_card_html,
    digest_html,
    latest_html,
    latest_text,
    visible_length,
)
from bot.chat.delivery import render_batch
from bot.store import Store
from bot.stories import StoryGrouper, also_of, leads_of, newest_stories
from bot.subscribe.planner import BurstPolicy, batches_for
from tests.story_articles import other_articles, story_articles

DAY = date(2022, 11, 29)


def test_a_story_is_one_card_in_the_place_of_its_oldest_article() -> None:
    story_of = {1: 1, 2: 2, 3: 1, 4: 1, 5: 5}
    batches, dropped = batches_for([1, 2, 3, 4, 5], BurstPolicy(card_limit=3), story_of)
    assert dropped == [] and [b.kind for b in batches] == ["card"] * 3
    assert [b.groups for b in batches] == [((1, 3, 4),), ((2,),), ((5,),)]
    assert batches[0].article_ids == (1, 3, 4)


def test_a_burst_of_stories_is_a_digest_with_one_line_per_story() -> None:
    story_of = {i: (1 if i <= 3 else i) for i in range(1, 10)}
    batches, dropped = batches_for(
        list(range(1, 10)), BurstPolicy(card_limit=3, digest_size=4, max_digests=1), story_of
    )
    assert [b.kind for b in batches] == ["digest"]
    assert batches[0].groups == ((6,), (7,), (8,), (9,))  # the newest four stories kept
    assert dropped == [1, 2, 3, 4, 5] and batches[0].more == 5


def test_without_stories_every_article_is_its_own() -> None:
    batches, _ = batches_for([1, 2], BurstPolicy())
    assert [b.groups for b in batches] == [((1,),), ((2,),)]


def test_also_links_one_per_other_source_escaped() -> None:
    dw, ap, cnn = story_articles(DAY)
    evil = replace(ap, source='<b>"x" & co</b>', url="https://x.example/a?b=1&c=2")
    html = also_html(
        dw, [ap, replace(ap, url="https://apnews.com/other"), cnn, replace(dw, url="https://dw.com/2"), evil]
    )
    assert html.count(">apnews.com<") == 1 and ">dw.com<" not in html
    assert (
        "&lt;b&gt;&quot;x&quot; &amp; co&lt;/b&gt;" in html
        and 'href="https://x.example/a?b=1&amp;c=2"' in html
    )
    assert also_html(dw, [replace(dw, url="https://dw.com/2")]) == ""


def test_card_and_lists_carry_the_also_line_within_the_limit() -> None:
    dw, ap, cnn = story_articles(DAY)
    long = replace(dw, text="Word " * 5000, title="T" * 5000)
    card = article_card_html(long, topic="nato", also=[ap, cnn])
    assert visible_length(card) <= TELEGRAM_LIMIT
    assert "also:" in card and "apnews.com" in card and card.endswith(dw.url)
    digest = digest_html([dw], also={dw.id or 0: [ap, cnn]}, total=3)
    assert "3 new articles" in digest and "also:" in digest
    many = [replace(dw, id=i, title=f"Story {i} " + "x" * 200) for i in range(1, 60)]
    listing = latest_html(many, also={i: [ap, cnn] for i in range(1, 60)})
    assert visible_length(listing) <= TELEGRAM_LIMIT
    assert "also: apnews.com (https://" in latest_text([replace(dw, id=7)], also={7: [ap]})


def test_a_card_shows_its_own_link_preview_small_and_above_the_text() -> None:
    dw, ap, _ = (replace(a, id=i) for i, a in enumerate(story_articles(DAY), start=1))
    batches, _ = batches_for([1, 2], BurstPolicy(), {1: 1, 2: 1})
    html, preview = render_batch(batches[0], {1: dw, 2: ap}, ["nato"], {1: [ap]})
    assert dw.title in html and ap.title not in html and "also:" in html
    assert preview.url == dw.url and preview.is_disabled is False
    assert preview.prefer_small_media and preview.show_above_text
    local = replace(dw, url="/tmp/article.txt")
    _, none = render_batch(batches_for([1], BurstPolicy())[0][0], {1: local}, [])
    assert none.is_disabled
    digest, _ = batches_for([1, 2, 3, 4], BurstPolicy(card_limit=1))
    _, off = render_batch(digest[0], {i: replace(dw, id=i) for i in range(1, 5)}, [])
    assert off.is_disabled


def test_newest_stories_page_by_story(store: Store) -> None:
    ids = [r.article_id for r in store.articles.upsert_many([*story_articles(DAY), *other_articles(DAY)])]
    StoryGrouper(store).update()
    newest_first = list(reversed(store.articles.get_many(ids).values()))

    def fetch(k: int) -> list:
        return newest_first[:k]

    first, more = newest_stories(fetch, store, 2)
    assert more and len(first) == 2
    everything, more = newest_stories(fetch, store, 10)
    assert not more and len(everything) == 4  # six articles, four stories
    nato = next(s for s in everything if len(s.articles) == 3)
    assert nato.first.id == ids[0] and nato.newest.id == ids[2]  # a newest-first list shows the newest
    assert leads_of([nato]) == [nato.newest] and [a.id for a in also_of([nato])[ids[2]]] == ids[:2]
    second_page, _ = newest_stories(fetch, store, 2, offset=2)
    assert {s.id for s in first} | {s.id for s in second_page} == {s.id for s in everything}
