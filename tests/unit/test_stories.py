"""Story grouping on small fixtures: the rule in memory, the store-backed incremental grouper, the
delivery-log lookup behind "no second card within 24 hours", and the pair scoring of the evaluation."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from bot.models import Article
from bot.store import Store
from bot.stories import StoryGrouper, TermWeights, group_articles, stories_of
from bot.stories.evaluate import LabelledPair, load_pairs, score
from bot.stories.grouping import THRESHOLD
from bot.stories.similarity import clean_title, fingerprint, is_roundup, similarity
from tests.story_articles import other_articles, story_articles

DAY = date(2022, 11, 29)


def test_three_outlets_on_one_event_are_one_story_and_the_rest_stay_apart() -> None:
    nato, others = story_articles(DAY), other_articles(DAY)
    stories = group_articles([*others, nato[2], nato[0], nato[1]])
    by_size = sorted(stories, key=lambda s: -len(s.articles))
    assert [a.url for a in by_size[0].articles] == [a.url for a in nato]  # oldest first
    assert all(len(s.articles) == 1 for s in by_size[1:]) and len(stories) == 4
    story = by_size[0]
    assert story.first.source == "dw.com"
    assert story.sources == ("dw.com", "apnews.com", "cnn.com")
    assert [a.source for a in story.others] == ["apnews.com", "cnn.com"]


def test_a_roundup_never_joins_a_story() -> None:
    roundup = other_articles(DAY)[2]
    assert is_roundup(roundup.title, roundup.text)
    assert not is_roundup(story_articles(DAY)[0].title, story_articles(DAY)[0].text)
    stories = group_articles([*story_articles(DAY), roundup])
    assert sorted(len(s.articles) for s in stories) == [1, 3]


def test_roundup_titles_and_openings() -> None:
    assert is_roundup("Ten Things You Need to Know Today: 3 May 2022 | The Week UK", "")
    assert is_roundup("5 things to know for June 27: Roe v. Wade, Ukraine, Covid", "")
    assert is_roundup("Juul ban, Jan. 6 hearings, Title IX, planets aligning. Thursday's news.", "")
    assert is_roundup("Abe shot and killed", "On today's episode of the 5 Things podcast: Abe")
    assert not is_roundup("Boris Johnson, British Prime Minister, squeaks through confidence vote", "")
    assert not is_roundup("Sam Bankman-Fried, FTX's founder, is arrested in the Bahamas", "")


def test_site_names_are_not_part_of_a_title() -> None:
    assert clean_title("Medal of Freedom: Biden honors 17 people | CNN Politics") == (
        "Medal of Freedom: Biden honors 17 people"
    )
    assert (
        clean_title("Netflix stock plunges after subscriber losses - CNN")
        == "Netflix stock plunges after subscriber losses"
    )
    assert clean_title("Biden warns Russia, adds massive sanctions over invasion into ...") == (
        "Biden warns Russia, adds massive sanctions over invasion into"
    )


def test_articles_days_apart_are_different_stories() -> None:
    first, second, third = story_articles(DAY)
    late = replace(third, published=DAY + timedelta(days=5))
    stories = group_articles([first, second, late])
    assert sorted(len(s.articles) for s in stories) == [1, 2]


def test_common_words_weigh_little_with_corpus_weights() -> None:
    nato = story_articles(DAY)
    spending = other_articles(DAY)[1]
    # documents containing a term in a 26k-article corpus (about what the shared corpus has)
    df = {"said": 15_000, "tuesday": 4_000, "ukrain": 3_000, "russia": 3_000, "minist": 1_500, "nato": 800}
    weights = TermWeights(lambda t: df.get(t, 20), lambda: 26_000)
    weights.refresh()
    a, b, c = (fingerprint(x, weights) for x in (nato[0], nato[1], spending))
    assert similarity(a, b) > THRESHOLD > 0.3 > similarity(a, c)


def _ids(store: Store, articles: list[Article]) -> list[int]:
    return [r.article_id for r in store.articles.upsert_many(articles)]


def test_the_grouper_assigns_new_articles_incrementally_and_durably(store: Store) -> None:
    nato = story_articles(DAY)
    first_ids = _ids(store, [nato[0], *other_articles(DAY)])
    grouper = StoryGrouper(store)
    assert grouper.update() == 4
    assert grouper.update() == 0  # nothing new
    later = _ids(store, nato[1:])
    assert StoryGrouper(store).update() == 2  # a new grouper (another process) continues from the marker
    stories = store.stories.story_of([*first_ids, *later])
    assert stories[later[0]] == stories[later[1]] == stories[first_ids[0]] == first_ids[0]
    assert len({stories[i] for i in first_ids}) == 4
    assert store.stories.members([first_ids[0]])[first_ids[0]] == [first_ids[0], *later]
    # an update of a grouped article keeps its story
    store.articles.upsert(replace(nato[1], title=nato[1].title + " (updated)"))
    StoryGrouper(store).update()
    assert store.stories.story_of([later[0]])[later[0]] == first_ids[0]


def test_an_article_that_reports_two_stories_merges_them(store: Store) -> None:
    dw, ap, cnn = story_articles(DAY)
    # two halves that do not match each other, and a third article that matches both
    half_a = replace(
        dw, title="NATO ministers pledge generators for Ukraine", text="Jens Stoltenberg said generators."
    )
    half_b = replace(
        ap, title="In Bucharest, Romania hosts alliance meeting", text="The Romanian capital hosted it."
    )
    ids = _ids(store, [half_a, half_b])
    StoryGrouper(store).update()
    stories = store.stories.story_of(ids)
    assert stories[ids[0]] != stories[ids[1]]
    bridge = replace(
        cnn,
        title="NATO ministers in Bucharest pledge generators for Ukraine as Romania hosts alliance meeting",
        text="Jens Stoltenberg said generators. The Romanian capital hosted it.",
    )
    (bridge_id,) = _ids(store, [bridge])
    StoryGrouper(store).update()
    stories = store.stories.story_of([*ids, bridge_id])
    assert stories[ids[0]] == stories[ids[1]] == stories[bridge_id] == ids[0]


def test_stories_of_groups_given_articles_by_their_stored_story(store: Store) -> None:
    ids = _ids(store, [*story_articles(DAY), *other_articles(DAY)])
    StoryGrouper(store).update()
    articles = store.articles.get_many(ids)
    stories = stories_of(store, [articles[i] for i in reversed(ids)])
    assert [len(s.articles) for s in stories] == [1, 1, 1, 3]
    assert stories[-1].id == ids[0] and stories[-1].first.id == ids[0]


def test_sent_recently_finds_stories_the_chat_got_from_the_delivery_log(store: Store) -> None:
    ids = _ids(store, [*story_articles(DAY), *other_articles(DAY)])
    StoryGrouper(store).update()
    store.subscriptions.queue([(7, 0, ids[0]), (7, 0, ids[3]), (7, 5, ids[3])], {})
    store.subscriptions.mark_sent(7, [ids[0]], message_id=1)
    store.subscriptions.mark_sent(7, [ids[3]], message_id=2, thread_id=5)
    story = store.stories.story_of([ids[2]])[ids[2]]
    assert store.stories.sent_recently(7, [story, ids[3]], timedelta(hours=24)) == {story}
    assert store.stories.sent_recently(7, [story, ids[3]], timedelta(hours=24), thread_id=5) == {ids[3]}
    assert store.stories.sent_recently(8, [story], timedelta(hours=24)) == set()
    assert store.stories.sent_recently(7, [story], timedelta(seconds=-60)) == set()  # older than the window


def test_flagged_and_deleted_articles_are_not_grouped(store: Store) -> None:
    dw, ap, _ = story_articles(DAY)
    ids = _ids(store, [dw, replace(ap, flagged="no article text")])
    StoryGrouper(store).update()
    assert store.stories.story_of(ids) == {ids[0]: ids[0], ids[1]: ids[1]}
    assert store.stories.counts()["grouped"] == 1


def test_pair_scores_count_grouped_pairs() -> None:
    pairs = [
        LabelledPair(0, "a", "b", (DAY, DAY), True),
        LabelledPair(1, "a", "c", (DAY, DAY), False),
        LabelledPair(2, "d", "e", (DAY, DAY), True),
        LabelledPair(3, "d", "x", (DAY, DAY), False),
    ]
    stories = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 3}
    result = score(pairs, stories.get)
    assert (result.tp, result.fp, result.fn, result.tn) == (1, 1, 1, 1)
    assert result.precision == 0.5 and result.recall == 0.5
    assert "precision=0.500 recall=0.500" in result.line()


def test_the_labelled_pairs_are_200_half_of_them_likely_matches() -> None:
    pairs = load_pairs()
    assert len(pairs) == 200 and len({(p.a, p.b) for p in pairs}) == 200
    assert all(abs((p.days[0] - p.days[1]).days) <= 2 for p in pairs)
    assert 50 <= sum(p.same_story for p in pairs) <= 100
