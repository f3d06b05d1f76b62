"""Planning deliveries and the delivery log: exactly once per (chat, article), bursts become digests."""

from __future__ import annotations

from datetime import date

from bot.models import Article
from bot.store import Store
from bot.store.subscriptions import AddOutcome
from bot.subscribe.planner import MARK_ID, Batch, BurstPolicy, batches_for, plan_deliveries


def art(n: int, title: str, text: str = "Body text.") -> Article:
    return Article(
        url=f"https://example.com/{n}", title=title, text=f"{text} Unique {n}.", published=date(2024, 1, n)
    )


def test_first_pass_only_sets_the_mark(store: Store) -> None:
    store.articles.upsert(art(1, "Old NATO story"))
    store.subscriptions.add(1, "", None, limit=5)
    assert plan_deliveries(store).initialized
    assert store.subscriptions.pending(1) == []
    assert store.state.get(MARK_ID) == "1"


def test_new_matching_articles_are_queued_once(store: Store) -> None:
    subs = store.subscriptions
    plan_deliveries(store)
    subs.add(10, "nato", 10, limit=5)
    subs.add(20, "", 20, limit=5)
    subs.add(30, "-nato", 30, limit=5)
    nato = store.articles.upsert(art(2, "NATO summit")).article_id
    other = store.articles.upsert(art(3, "Budget talks")).article_id
    report = plan_deliveries(store)
    assert (report.new_articles, report.queued) == (2, 4)
    assert subs.pending(10) == [nato]
    assert subs.pending(20) == [nato, other]
    assert subs.pending(30) == [other]
    # Re-planning, or an update of a known article, queues nothing again.
    store.articles.upsert(art(2, "NATO summit (updated)"))
    assert plan_deliveries(store).queued == 0
    assert subs.pending(10) == [nato]


def test_article_added_then_updated_in_one_gap_is_still_new(store: Store) -> None:
    plan_deliveries(store)
    store.subscriptions.add(1, "", None, limit=5)
    first = store.articles.upsert(art(4, "First")).article_id
    second = store.articles.upsert(art(5, "Second")).article_id
    store.articles.upsert(art(4, "First, corrected"))  # now later in seq order than `second`
    plan_deliveries(store, batch=1)
    assert store.subscriptions.pending(1) == [first, second]


def test_sent_rows_are_not_resent_and_paused_chats_get_nothing(store: Store) -> None:
    subs = store.subscriptions
    plan_deliveries(store)
    subs.add(1, "", None, limit=5)
    subs.add(2, "", None, limit=5)
    a = store.articles.upsert(art(6, "One")).article_id
    plan_deliveries(store)
    subs.mark_sent(1, [a], 99)
    assert subs.pending_chats() == [2]
    subs.upsert_chat(2, "private")
    assert subs.pause(2, "403 Forbidden: bot was blocked by the user")
    assert subs.pending_chats() == [] and subs.pending(2) == []  # dropped, not kept for later
    store.articles.upsert(art(7, "Two"))
    plan_deliveries(store)
    assert subs.pending_chats() == [1]
    assert subs.resume(2) and not subs.resume(2)
    b = store.articles.upsert(art(8, "Three")).article_id
    plan_deliveries(store)
    assert b in subs.pending(2)
    assert [r["status"] for r in subs.deliveries(1)][:1] == ["sent"]


def test_subscription_limit_and_duplicates(store: Store) -> None:
    subs = store.subscriptions
    assert subs.add(1, "a", None, limit=2) is AddOutcome.ADDED
    assert subs.add(1, "a", None, limit=2) is AddOutcome.EXISTS
    assert subs.add(1, "b", None, limit=2) is AddOutcome.ADDED
    assert subs.add(1, "c", None, limit=2) is AddOutcome.LIMIT
    assert subs.remove(1, "a") and not subs.remove(1, "a")
    assert subs.remove_all(1) == 1 and subs.list(1) == []


def test_migration_moves_subscriptions_and_log(store: Store) -> None:
    subs = store.subscriptions
    plan_deliveries(store)
    subs.upsert_chat(-5, "group", "Team")
    subs.add(-5, "nato", None, limit=5)
    a = store.articles.upsert(art(9, "NATO news")).article_id
    plan_deliveries(store)
    assert subs.migrate(-5, -1005) == 1
    assert subs.migrate(-5, -1005) == 0  # seen twice: harmless
    assert [s.topic for s in subs.list(-1005)] == ["nato"] and subs.list(-5) == []
    assert subs.pending(-1005) == [a]
    chat = subs.get_chat(-1005)
    assert chat is not None and chat.kind == "supergroup" and chat.title == "Team"


def test_burst_policy() -> None:
    policy = BurstPolicy(card_limit=3, digest_size=4, max_digests=2)
    assert batches_for([1, 2], policy) == ([Batch("card", (1,)), Batch("card", (2,))], [])
    batches, dropped = batches_for(list(range(1, 7)), policy)
    assert batches == [Batch("digest", (1, 2, 3, 4)), Batch("digest", (5, 6))] and dropped == []
    batches, dropped = batches_for(list(range(1, 12)), policy)
    assert dropped == [1, 2, 3]
    assert batches == [Batch("digest", (4, 5, 6, 7)), Batch("digest", (8, 9, 10, 11), more=3)]
