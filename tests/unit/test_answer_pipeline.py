"""The answer pipeline on a small store: ranking rules, bad input, paging, latest, services."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.answer.pipeline import Answerer
from bot.answer.rank import RankConfig, recency_prior, story_key
from bot.answer.render import answer_html, answer_text, visible_length
from bot.answer.types import RELATED
from bot.models import Article
from bot.search.retriever import IndexRetriever
from bot.store import Store
from tests.unit.conftest import answerer_on

AS_OF = date(2022, 11, 30)


def art(url: str, title: str, text: str, day: date, source: str = "example.com") -> Article:
    return Article(url=url, title=title, text=text, published=day, source=source)


ARTICLES = [
    art("https://dw.com/nato", "NATO ministers meet in Bucharest",
        "Foreign ministers from across NATO gathered in Bucharest on Tuesday to discuss support for Ukraine.\n\n"
        "Stoltenberg said the alliance would not back down. Air defense was on the agenda.", date(2022, 11, 29)),
    art("https://cnn.com/nato-old", "NATO summit in Madrid",
        "NATO leaders met in Madrid in June. Ministers in Bucharest were not mentioned then.", date(2022, 6, 30),
        "cnn.com"),
    art("https://cnn.com/future", "NATO ministers leave Bucharest",
        "After the meeting in Bucharest, NATO ministers left on Thursday.", date(2022, 12, 2), "cnn.com"),
    art("https://usatoday.com/nato-reprint", "NATO ministers meet in Bucharest - USA TODAY",
        "Foreign ministers from across NATO gathered in Bucharest on Tuesday to discuss support for Ukraine, "
        "a wire report said.", date(2022, 11, 29), "usatoday.com"),
    art("https://theweek.co.uk/quiz", "Quiz of The Week: NATO", "Why did NATO ministers meet in Bucharest? "
        "Ukraine aid. Pizza. Football.", date(2022, 11, 30), "theweek.co.uk"),
    art("https://cnn.com/pizza", "Pizza prices rise", "The price of pizza rose again in New York this week.",
        date(2022, 11, 28), "cnn.com"),
]  # fmt: skip


STORY = {"https://dw.com/nato", "https://usatoday.com/nato-reprint"}


@pytest.fixture(scope="module")
def answerer(tmp_path_factory: pytest.TempPathFactory) -> Answerer:
    return answerer_on(tmp_path_factory.mktemp("answer"), ARTICLES, AS_OF)


def test_answers_with_quote_title_link_and_highlights(answerer: Answerer) -> None:
    answer = answerer.answer("/ask@newsbot Why did NATO ministers meet in Bucharest?", as_of=AS_OF)
    assert answer.no_answer is None
    first = answer.items[0]
    assert first.url in STORY and first.published == date(2022, 11, 29)
    assert "gathered in Bucharest" in first.quote.text
    assert "Bucharest" in {first.quote.text[s:e] for s, e in first.quote.highlights}
    urls = [c.article.url for c in answerer.rank("Why did NATO ministers meet in Bucharest?", as_of=AS_OF).candidates]
    assert "https://cnn.com/future" not in urls  # published after as_of
    assert "https://theweek.co.uk/quiz" not in urls  # a quiz page is not an answer
    assert len(STORY & set(urls)) == 1  # the same story from two outlets shows once


def test_future_article_is_used_once_as_of_allows(answerer: Answerer) -> None:
    urls = [i.url for i in answerer.answer("NATO ministers leave Bucharest", as_of=date(2022, 12, 3), limit=10).items]
    assert "https://cnn.com/future" in urls


def test_date_words_filter_and_label(answerer: Answerer) -> None:
    answer = answerer.answer("NATO summit in June", as_of=AS_OF)
    assert answer.question.date_label == "in June 2022"
    assert answer.items[0].url == "https://cnn.com/nato-old"


def test_paging(answerer: Answerer) -> None:
    page1 = answerer.answer("NATO Bucharest ministers", as_of=AS_OF, limit=1)
    page2 = answerer.answer("NATO Bucharest ministers", as_of=AS_OF, offset=1, limit=1)
    assert page1.has_more and page1.total >= 2
    assert page1.items[0].article_id != page2.items[0].article_id or page1.items[0].quote != page2.items[0].quote


@pytest.mark.parametrize(
    ("question", "expect"),
    [
        ("", "empty question"),
        ("   /ask   ", "empty question"),
        ("What happened in 2031?", "after 30 November 2022"),
        ("What happened in 1990?", "archive starts"),
        ("zebra quantum marmalade", "found nothing"),
    ],
)
def test_bad_input_gets_a_plain_explanation(answerer: Answerer, question: str, expect: str) -> None:
    answer = answerer.answer(question, as_of=AS_OF)
    assert answer.items == [] and answer.no_answer and expect in answer.no_answer
    assert "/latest" in answer.no_answer or "after" in answer.no_answer
    assert expect in answer_text(answer)
    assert visible_length(answer_html(answer)) < 4096


def test_only_a_date_lists_that_days_news(answerer: Answerer) -> None:
    answer = answerer.answer("yesterday?", as_of=AS_OF, limit=5)
    assert answer.question.date_label == "yesterday"
    assert answer.items and all(i.published == date(2022, 11, 29) for i in answer.items)


def test_huge_and_marked_up_questions(answerer: Answerer) -> None:
    answer = answerer.answer("<b>NATO</b> <script>Bucharest</script> " + "ministers " * 700, as_of=AS_OF)
    assert answer.items and answer.items[0].url in STORY
    assert visible_length(answer_html(answer)) <= 4096


def test_latest_and_topic(answerer: Answerer) -> None:
    newest, more = answerer.latest(2)
    assert [a.published for a in newest] == sorted((a.published for a in newest), reverse=True) and more
    on_topic, _ = answerer.latest(5, "pizza")
    assert [a.url for a in on_topic] == ["https://theweek.co.uk/quiz", "https://cnn.com/pizza"]  # newest first
    assert answerer.latest(5, "zebra") == ([], False)


def test_rank_helpers() -> None:
    assert recency_prior(0, 0.1) == 1.0 and recency_prior(10, 0) == 1.0
    assert 1.0 > recency_prior(7, 0.1) > recency_prior(90, 0.1) > recency_prior(1000, 0.1) > 0.4
    assert story_key(ARTICLES[0]) == story_key(ARTICLES[3])
    assert RankConfig().recency_power > 0


def test_services_fresh_clone_quotes_the_seed_article(tmp_path: Path) -> None:
    from bot.config import load_settings
    from bot.services import open_services

    services = open_services(load_settings(data_dir=tmp_path))
    try:
        answer = services.answerer.answer("Why did NATO ministers meet in Bucharest?")
        assert answer.items, answer.no_answer
        assert "Bucharest" in answer.items[0].quote.text
        assert answer.items[0].url
    finally:
        services.close()
    services.close()  # idempotent


def test_date_prior_is_soft_around_a_named_window() -> None:
    from bot.answer.rank import date_prior

    cfg = RankConfig()
    window = (date(2022, 11, 21), date(2022, 11, 28))
    inside = date_prior(date(2022, 11, 25), AS_OF, window, cfg)
    week_before = date_prior(date(2022, 11, 14), AS_OF, window, cfg)
    month_before = date_prior(date(2022, 10, 21), AS_OF, window, cfg)
    assert inside == 1.0 and 1.0 > week_before > month_before > 0.5  # outside loses gradually, none filtered
    assert date_prior(date(2022, 11, 30), AS_OF, None, cfg) == 1.0  # no window: plain recency
    assert date_prior(date(2022, 9, 1), AS_OF, None, cfg) < 1.0


def test_no_answer_floor_is_on_the_best_result_score() -> None:
    from bot.answer.rank import passes_floor

    assert RankConfig().min_score is not None
    assert not passes_floor([], None)


def test_floor_refuses_weak_matches(answerer: Answerer) -> None:
    from dataclasses import replace

    strict = Answerer(answerer.store, answerer.retriever, config=replace(answerer.config, min_score=1e9))
    refused = strict.answer("NATO ministers Bucharest", as_of=AS_OF)
    assert refused.kind == RELATED and refused.items  # not answers: only the closest stories, marked so
    lenient = Answerer(answerer.store, answerer.retriever, config=replace(answerer.config, min_score=None))
    assert lenient.answer("pizza", as_of=AS_OF).items


def test_one_article_shows_once_unless_its_second_quote_is_strong(tmp_path: Path) -> None:
    from dataclasses import replace

    from bot.answer.quote import Selection
    from bot.answer.rank import Candidate, arrange
    from bot.answer.types import Quote

    one = replace(ARTICLES[0], id=1)
    first = Candidate(one, Selection(Quote("NATO ministers met in Bucharest."), 0, 10, 0.0), 9.0, 1.0, 1.0)
    weak = replace(first, selection=Selection(Quote("Snow fell later."), 20, 30, 0.0), score=5.0, nth=1)
    strong = replace(weak, score=7.0)
    assert arrange([first, weak], 2, 6.0) == [first]
    assert arrange([first, strong], 2, 6.0) == [first, strong]
    assert arrange([first, weak], 2, None) == [first, weak]
    text = ("NATO foreign ministers met in Bucharest on Tuesday. " + "Filler sentence about the weather. " * 20
            + "Snow fell on Bucharest later.")  # fmt: skip
    store = Store(tmp_path / "db.sqlite3")
    store.articles.upsert_many([art("https://dw.com/one", "NATO in Bucharest", text, date(2022, 11, 29))])
    retriever = IndexRetriever(store, None)
    retriever.open()
    config = RankConfig(min_score=None, extra_quote_chars=0)  # each window a result of its own
    answer = Answerer(store, retriever, config=config, today=lambda: AS_OF).answer("NATO ministers Bucharest")
    assert answer.items[0].quote.text.startswith("NATO")
    assert all(item.score >= config.second_min for item in answer.items[1:])


def test_second_excerpt_only_when_relevant_by_itself() -> None:
    from dataclasses import replace

    from bot.answer.quote import Selection
    from bot.answer.rank import RESULT_FEATURES, Candidate, with_extras
    from bot.answer.types import Quote

    def cand(aid: int, score: float, cov: float, text: str) -> Candidate:
        features = tuple(cov if name == "cov" else 0.0 for name in RESULT_FEATURES)
        return Candidate(replace(ARTICLES[0], id=aid), Selection(Quote(text), 0, 1, 0.0), score, 1.0, cov,
                         features=features)  # fmt: skip

    main, good, other = cand(1, 9, 0.8, "main"), cand(1, 7, 0.5, "good"), cand(2, 6, 0.6, "other")
    off_topic, weak = cand(1, 8, 0.1, "rides on the title"), cand(1, 3, 0.9, "weak")
    merged = with_extras([main, off_topic, weak, good, other], lambda c: c.selection, 4.0, 0.15)
    shown = [(c.selection.quote.text, c.extra.quote.text if c.extra else None) for c in merged]
    assert shown == [("main", "good"), ("other", None)]
    assert with_extras([main, off_topic, other], None) == [main, off_topic, other]  # extras off: every window


def test_a_result_carries_its_articles_second_excerpt(tmp_path: Path) -> None:
    """One result per article; its next-best window comes along (verbatim, apart from the quote)."""
    filler = "Filler sentence about the weather. " * 20
    text = f"NATO foreign ministers met in Bucharest on Tuesday. {filler}Snow fell on Bucharest later. {filler}"
    store = Store(tmp_path / "db.sqlite3")
    store.articles.upsert_many([art("https://dw.com/one", "NATO in Bucharest", text, date(2022, 11, 29)),
                                art("https://dw.com/two", "Bucharest weather", f"Snow in Bucharest. {filler}",
                                    date(2022, 11, 28))])  # fmt: skip
    retriever = IndexRetriever(store, None)
    retriever.open()
    answerer = Answerer(store, retriever, config=RankConfig(min_score=None), today=lambda: AS_OF)
    answer = answerer.answer("NATO ministers Bucharest snow")
    assert len({item.article_id for item in answer.items}) == len(answer.items) == 2
    first = answer.items[0]
    assert first.quote.text.startswith("NATO") and first.more is not None
    assert "Snow fell on Bucharest later." in first.more.text and "NATO" not in first.more.text
    assert len(first.more.text) <= RankConfig().extra_quote_chars + 4  # the budget, plus "… " marks
    assert first.more.text.strip("… ") in text


def test_question_with_invisible_characters_answers_like_the_plain_one(answerer: Answerer) -> None:
    plain = answerer.answer("Why did NATO ministers meet in Bucharest?", as_of=AS_OF)
    hidden = answerer.answer("Why did NA\u200dTO minis\u00adters meet in Bu\u200bcha\u202erest?", as_of=AS_OF)
    assert hidden.no_answer is None and plain.items
    assert [i.url for i in hidden.items] == [i.url for i in plain.items]
