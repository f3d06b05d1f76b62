"""The subscription commands' rules without Telegram, on a real store: subscribing (limit, resuming a paused
chat or forum topic), unsubscribing one, the only one or all, listing with pauses, a group's move to its
supergroup, the paging queries behind buttons, digest settings."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.models import Article
from bot.store import Store
from bot.subscribe import chats, digest_runs, manage, paging
from bot.subscribe.chats import Place
from bot.subscribe.digest import Schedule
from bot.subscribe.digest_settings import digest_of, set_digest, set_timezone, timezone_of, turn_off
from bot.subscribe.manage import AddOutcome, Removal
from bot.subscribe.topics import TopicError

GROUP = Place(-100, "supergroup", "Team")
FORUM_TOPIC = Place(-200, "supergroup", "Forum", thread_id=7, topic_name="Grain")
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def topics(store: Store, place: Place) -> list[str]:
    return [s.topic for s in manage.listing(store, place).subscriptions]


def test_subscribe_counts_the_limit_over_the_whole_chat(store: Store) -> None:
    assert manage.subscribe(store, GROUP, "nato", 1, limit=2).outcome is AddOutcome.ADDED
    assert manage.subscribe(store, GROUP, "nato", 2, limit=2).outcome is AddOutcome.EXISTS
    in_topic = Place(GROUP.chat_id, GROUP.kind, GROUP.title, thread_id=3)
    assert manage.subscribe(store, in_topic, "grain", 1, limit=2).outcome is AddOutcome.ADDED
    refused = manage.subscribe(store, GROUP, "", 1, limit=2)
    assert refused.outcome is AddOutcome.LIMIT and refused.limit == 2
    assert topics(store, GROUP) == ["nato", "grain"]  # the whole chat, General first
    assert chats.known_kind(store, GROUP.chat_id) == "supergroup" and chats.known_kind(store, -5) is None


def test_subscribing_again_resumes_a_paused_chat_and_topic(store: Store) -> None:
    manage.subscribe(store, GROUP, "nato", 1, limit=5)
    assert chats.bot_cannot_post(store, GROUP.chat_id, "bot is kicked in this supergroup")
    assert not chats.bot_cannot_post(store, GROUP.chat_id, "again")  # already paused
    assert manage.listing(store, GROUP).paused_reason() == "bot is kicked in this supergroup"
    again = manage.subscribe(store, GROUP, "nato", 1, limit=5)
    assert again.outcome is AddOutcome.EXISTS and again.resumed
    assert manage.listing(store, GROUP).paused_reason() is None
    manage.subscribe(store, FORUM_TOPIC, "wheat", 1, limit=5)
    assert store.subscriptions.pause_topic(FORUM_TOPIC.chat_id, 7, "the topic was closed")  # as a send finds
    assert manage.listing(store, FORUM_TOPIC).paused_reason(7) == "the topic was closed"
    assert manage.subscribe(store, FORUM_TOPIC, "wheat", 1, limit=5).resumed
    assert manage.listing(store, FORUM_TOPIC).paused_reason(7) is None


def test_unsubscribe_one_the_only_one_or_all(store: Store) -> None:
    assert manage.unsubscribe(store, GROUP, "nato").removal is Removal.NOTHING
    manage.subscribe(store, GROUP, "nato", 1, limit=5)
    only = manage.unsubscribe(store, GROUP, "")  # no topic, one subscription: that one
    assert (only.removal, only.topic, only.count) == (Removal.REMOVED, "nato", 1)
    for topic in ("nato", "grain exports"):
        manage.subscribe(store, GROUP, topic, 1, limit=5)
    which = manage.unsubscribe(store, GROUP, "  ")
    assert which.removal is Removal.WHICH and [s.topic for s in which.before] == ["nato", "grain exports"]
    missing = manage.unsubscribe(store, GROUP, "football")
    assert missing.removal is Removal.MISSING and missing.topic == "football" and len(missing.before) == 2
    assert manage.unsubscribe(store, GROUP, "Grain  EXPORTS").removal is Removal.REMOVED  # canonical form
    with pytest.raises(TopicError):
        manage.unsubscribe(store, GROUP, "the of and")  # only common words: no topic at all
    done = manage.unsubscribe(store, GROUP, "ALL")
    assert (done.removal, done.count) == (Removal.ALL, 1) and topics(store, GROUP) == []


def test_a_forum_topic_lists_its_own_and_the_chat_lists_all_by_topic(store: Store) -> None:
    general = Place(FORUM_TOPIC.chat_id, "supergroup", "Forum")
    manage.subscribe(store, general, "nato", 1, limit=5)
    manage.subscribe(store, FORUM_TOPIC, "wheat", 1, limit=5)
    own = manage.listing(store, FORUM_TOPIC)
    assert [s.topic for s in own.subscriptions] == ["wheat"] and not own.by_topic
    whole = manage.listing(store, general)
    assert [s.topic for s in whole.subscriptions] == ["nato", "wheat"] and whole.by_topic
    assert whole.topic_names == {7: "Grain"}
    assert chats.rename_topic(store, general.chat_id, 7, "Wheat & grain")
    assert not chats.rename_topic(store, general.chat_id, 99, "never served")
    assert manage.listing(store, general).topic_names == {7: "Wheat & grain"}
    assert manage.unsubscribe(store, general, "all").count == 1  # General's only: the topic keeps its own
    assert topics(store, FORUM_TOPIC) == ["wheat"]


def test_a_group_moves_to_its_supergroup_with_everything(store: Store) -> None:
    group = Place(-5, "group", "Team")
    manage.subscribe(store, group, "nato", 1, limit=5)
    set_digest(store, group, "", Schedule("daily", time(8, 0)), 1, NOW)
    assert chats.migrate(store, -5, -1005) == 1
    assert chats.migrate(store, -5, -1005) == 0  # seen twice (service message and ChatMigrated): harmless
    supergroup = Place(-1005, "supergroup", "Team")
    assert topics(store, supergroup) == ["nato"] and topics(store, group) == []
    assert digest_of(store, supergroup) is not None and digest_of(store, group) is None
    assert chats.known_kind(store, -1005) == "supergroup"


def test_paging_queries_are_found_in_their_own_chat_only(store: Store) -> None:
    key = paging.remember(store, "ask", "Why Bucharest?", chat_id=5, as_of=date(2024, 1, 2), size=3)
    found = paging.recall(store, "ask", key, chat_id=5)
    assert found is not None and (found.text, found.as_of, found.size) == ("Why Bucharest?", date(2024, 1, 2), 3)
    assert paging.recall(store, "latest", key, chat_id=5) is None  # another kind of button
    assert paging.recall(store, "ask", key, chat_id=6) is None  # forwarded into another chat
    latest = paging.remember(store, "latest", "", chat_id=5, size=5)
    assert paging.recall(store, "latest", latest, chat_id=5).as_of is None  # type: ignore[union-attr]


def test_digest_settings_and_time_zone(store: Store) -> None:
    assert digest_of(store, GROUP) is None and timezone_of(store, GROUP.chat_id) == "UTC"
    set_timezone(store, GROUP, "Europe/Berlin")
    setting = set_digest(store, GROUP, "nato", Schedule("weekly", time(7, 30), 0), 42, NOW)
    assert (setting.topic, setting.every, setting.weekday, setting.at) == ("nato", "weekly", 0, "07:30")
    assert setting.timezone == "Europe/Berlin" and setting.created_at == "2026-03-02T12:00:00+00:00"
    chats.bot_cannot_post(store, GROUP.chat_id, "kicked")
    set_digest(store, GROUP, "", Schedule("daily", time(8, 0)), 42, NOW)  # setting one is coming back
    assert manage.listing(store, GROUP).paused_reason() is None
    assert turn_off(store, GROUP) and not turn_off(store, GROUP)


def test_a_due_digest_is_claimed_once_and_released_to_try_again(store: Store) -> None:
    day = date(2026, 3, 2)
    store.articles.upsert(Article(url="https://example.com/1", title="NATO meets", text="NATO ministers met.",
                                  published=day))  # fmt: skip
    set_digest(store, GROUP, "", Schedule("daily", time(8, 0)), 1, NOW - timedelta(days=2))
    morning = datetime(2026, 3, 3, 8, 5, tzinfo=UTC)
    [(setting, occurrence)] = digest_runs.due(store, morning)
    claimed = digest_runs.claim(store, setting, occurrence)
    assert claimed is not None and claimed.chat_id == GROUP.chat_id and claimed.stories
    assert digest_runs.due(store, morning) == []  # claimed: no second pass or replica sends it
    assert digest_runs.claim(store, setting, occurrence) is None
    digest_runs.release(store, claimed)  # flood control: certainly not sent
    [(setting, occurrence)] = digest_runs.due(store, morning)
    claimed = digest_runs.claim(store, setting, occurrence)
    assert claimed is not None
    digest_runs.record(store, claimed, "sent", message_id=9)
    assert digest_runs.due(store, morning) == []
    quiet = Place(-300, "supergroup", "Quiet")
    set_digest(store, quiet, "volcano", Schedule("daily", time(8, 0)), 1, NOW - timedelta(days=2))
    [(setting, occurrence)] = digest_runs.due(store, morning)
    assert digest_runs.claim(store, setting, occurrence) is None  # nothing on its topic: recorded, not sent
    assert digest_runs.due(store, morning) == []
