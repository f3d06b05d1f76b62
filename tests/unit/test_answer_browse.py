"""Questions without a topic, questions that are only a date, honest refusals and the echo of the question."""

from __future__ import annotations

from datetime import date

import pytest

from bot.answer.browse import group_stories, has_topic, top_stories, vague_terms
from bot.answer.pipeline import Answerer, nearest
from bot.answer.rank import RankConfig
from bot.answer.render import answer_html, answer_text, fmt_window, understood_date
from bot.answer.types import ANSWERS, DAY, NEWEST, RELATED
from bot.models import Article
from bot.search.analyzer import default_analyzer
from tests.unit.conftest import answerer_on
from tests.unit.test_answer_render import check_telegram_html

AS_OF = date(2022, 11, 30)
NOV = {d: date(2022, 11, d) for d in range(1, 31)}


def art(n: int, source: str, day: int, title: str, text: str) -> Article:
    return Article(url=f"https://{source}/{n}", title=title, text=text, published=NOV[day], source=source)


ARTICLES = [
    art(1, "cnn.com", 29, "Senate passes bill to protect same-sex marriage",
        "The Senate passed a bill on Tuesday to protect same-sex and interracial marriage. The vote was 61-36."),
    art(2, "usatoday.com", 29, "Senate passes landmark legislation protecting same-sex marriage",
        "The Senate took a historic step on Tuesday, passing legislation protecting same-sex marriage."),
    art(3, "theweek.co.uk", 29, "Mauna Loa volcano erupts for the first time in 38 years",
        "Mauna Loa, the world's largest active volcano, erupted on Hawaii's Big Island for the first time in 38 years."),
    art(4, "cnn.com", 29, "Mauna Loa volcano erupts for the first time since 1984",
        "The Mauna Loa volcano on Hawaii's Big Island erupted, sending lava down its slopes."),
    art(5, "usatoday.com", 29, "Mauna Loa volcano eruption: what to know",
        "The Mauna Loa volcano on Hawaii's Big Island erupted for the first time since 1984."),
    art(6, "cnn.com", 29, "Pizza prices rise in New York", "The price of a slice of pizza rose again in New York."),
    art(7, "cnn.com", 30, "Spotify Wrapped 2022 is here",
        "Spotify Wrapped arrived on Wednesday, showing users their top songs of 2022."),
    art(8, "usatoday.com", 30, "How to find your Spotify Wrapped 2022",
        "Spotify Wrapped arrived on Wednesday: here is how to find your top songs of 2022."),
    art(9, "theweek.co.uk", 30, "Quiz of the week: Mauna Loa", "Which volcano erupted? Mauna Loa. Etna. Fuji."),
    art(10, "cnn.com", 30, "Rail unions decry call to block strike <b>now</b> & later",
        "Rail unions criticised the call for Congress to block a strike. <script>x()</script>"),
    art(11, "cnn.com", 25, "Black Friday shoppers return to stores",
        "Shoppers returned to stores on Black Friday as prices rose."),
]  # fmt: skip


@pytest.fixture(scope="module")
def answerer(tmp_path_factory: pytest.TempPathFactory) -> Answerer:
    return answerer_on(tmp_path_factory.mktemp("browse"), ARTICLES, AS_OF)


@pytest.mark.parametrize(
    "question",
    ["what's going on", "What's going on?", "news", "anything new?", "any news today?", "what happened",
     "Hi! What's up?", "tell me the latest headlines", "what's happening in the world"],
)  # fmt: skip
def test_questions_without_a_topic(question: str) -> None:
    analyzer = default_analyzer()
    assert not has_topic(analyzer.analyze(question), vague_terms(analyzer.analyze))


@pytest.mark.parametrize(
    "question",
    ["what's going on in Ukraine", "news about the World Cup", "anything new on Mauna Loa?", "Top Gun sequel",
     "what happened at Memorial Day parades"],
)  # fmt: skip
def test_questions_with_a_topic(question: str) -> None:
    analyzer = default_analyzer()
    assert has_topic(analyzer.analyze(question), vague_terms(analyzer.analyze))


def test_what_is_going_on_lists_the_newest_stories_one_card_per_story(answerer: Answerer) -> None:
    answer = answerer.answer("What's going on?", as_of=AS_OF, limit=10)
    assert answer.kind == NEWEST and answer.no_answer is None
    urls = [i.url for i in answer.items]
    # The two Spotify articles are one story (2 sources); the quiz page is not news; newest first.
    assert sum(u in {"https://cnn.com/7", "https://usatoday.com/8"} for u in urls) == 1
    assert "https://theweek.co.uk/9" not in urls
    assert [i.published for i in answer.items] == sorted((i.published for i in answer.items), reverse=True)
    spotify = next(i for i in answer.items if "Spotify" in i.title)
    assert spotify.sources == 2
    message = check_telegram_html(answer_html(answer))
    assert "names no topic" in message and "2 sources" in message
    assert "<b>now</b> & later" in message  # markup in a title is text
    assert "newest stories" in answer_text(answer)


def test_only_a_date_lists_that_days_top_stories_most_covered_first(answerer: Answerer) -> None:
    answer = answerer.answer("what happened yesterday", as_of=AS_OF, limit=10)
    assert answer.kind == DAY and answer.note is None
    assert all(i.published == NOV[29] for i in answer.items)
    assert [i.sources for i in answer.items] == [3, 2, 1]  # Mauna Loa (3 sources), marriage (2), pizza
    assert "Mauna Loa" in answer.items[0].title and "Senate" in answer.items[1].title
    html = check_telegram_html(answer_html(answer))
    assert "what happened yesterday (yesterday = 29 Nov 2022)" in html
    assert "top stories of 29 Nov 2022" in html and "3 sources" in html
    assert "top stories of 29 Nov 2022" in answer_text(answer)


def test_a_day_without_news_says_so_and_shows_the_nearest_day(answerer: Answerer) -> None:
    answer = answerer.answer("What happened on 28 November?", as_of=AS_OF, limit=10)
    assert answer.kind == DAY and answer.items
    assert answer.note and "no news from 28 Nov 2022" in answer.note and "nearest day with news is 29 Nov 2022" in answer.note
    assert all(i.published == NOV[29] for i in answer.items)
    earlier = answerer.answer("What happened on 26 November?", as_of=AS_OF)  # 25th is one day before, 29th three after
    assert earlier.note and "25 Nov 2022" in earlier.note and all(i.published == NOV[25] for i in earlier.items)
    assert "nearest day with news is 25 Nov 2022" in check_telegram_html(answer_html(earlier))


def test_the_nearest_day_is_never_after_as_of(answerer: Answerer) -> None:
    answer = answerer.answer("what happened yesterday", as_of=date(2022, 11, 28), limit=10)
    assert answer.note and "25 Nov 2022" in answer.note  # the 29th exists but is after 28 Nov
    assert all(i.published == NOV[25] for i in answer.items)
    assert "archive starts" in (answerer.answer("what happened yesterday", as_of=NOV[20]).no_answer or "")


def test_echo_keeps_the_users_words_and_shows_the_understood_date(answerer: Answerer) -> None:
    question = "How many Grammys did Olivia Rodrigo win at this week's awards ceremony?"
    answer = answerer.answer(question, as_of=AS_OF)
    assert answer.question.text == "How many Grammys did Olivia Rodrigo win at awards ceremony?"
    for shown in (check_telegram_html(answer_html(answer)), answer_text(answer)):
        assert "win at this week's awards ceremony?" in shown and "'s awards" not in shown.replace("week's", "")
        assert "this week = 24–30 Nov 2022" in shown


def test_low_confidence_shows_closest_stories_marked_only_related(answerer: Answerer) -> None:
    strict = Answerer(answerer.store, answerer.retriever, config=RankConfig(min_score=50.0), today=lambda: AS_OF)
    answer = strict.answer("Why did the Senate vote on marriage?", as_of=AS_OF)
    assert answer.kind == RELATED and answer.items and answer.no_answer is None
    html = check_telegram_html(answer_html(answer))
    assert "I found nothing that answers this. The closest stories, only related:" in html
    assert html.count("only related") == 1 + len(answer.items)  # the intro and each result's line
    text = answer_text(answer)
    assert "I found nothing that answers this" in text and "only related · " in text and "`python -m bot latest`" in text
    assert "/latest" not in text  # Telegram syntax stays out of the terminal (#12)
    confident = answerer.answer("Why did the Senate vote on marriage?", as_of=AS_OF)
    assert confident.kind == ANSWERS and "only related" not in answer_html(confident)


def test_grouping_and_ordering_helpers() -> None:
    analyzer = default_analyzer()
    stories = group_stories(ARTICLES[:6], analyzer.analyze, lambda t: 1.0)
    assert [len(s.articles) for s in stories] == [2, 3, 1]
    assert [s.sources for s in top_stories(stories)] == [3, 2, 1]
    assert group_stories([], analyzer.analyze, lambda t: 1.0) == []
    assert nearest(NOV[10], NOV[10], NOV[8], NOV[11]) == NOV[11]
    assert nearest(NOV[10], NOV[12], NOV[8], NOV[14]) == NOV[8]  # a tie goes to the earlier day
    assert nearest(NOV[10], NOV[10], None, None) is None and nearest(NOV[10], NOV[10], None, NOV[12]) == NOV[12]
    assert fmt_window(NOV[24], NOV[30]) == "24–30 Nov 2022"
    assert fmt_window(date(2022, 10, 28), NOV[3]) == "28 Oct – 3 Nov 2022"
    assert fmt_window(date(2021, 12, 28), date(2022, 1, 3)) == "28 Dec 2021 – 3 Jan 2022"


def test_understood_date_labels(answerer: Answerer) -> None:
    def label(q: str) -> str:
        return understood_date(answerer.rank(q, as_of=AS_OF).question)

    assert label("volcano yesterday") == "yesterday = 29 Nov 2022"
    assert label("volcano on 29 November 2022") == "29 Nov 2022"
    assert label("volcano in March") == "1–31 Mar 2022"
    assert label("volcano") == ""
