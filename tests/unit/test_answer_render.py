"""Renderers: Telegram HTML that Telegram accepts (allowed tags, escaped text, ≤ 4096 after parsing)."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser

import pytest

from bot.answer.render import (
    TELEGRAM_LIMIT,
    answer_html,
    answer_text,
    article_card_html,
    digest_html,
    latest_html,
    latest_text,
    sources_html,
    visible_length,
)
from bot.answer.types import Answer, AnswerItem, ParsedQuestion, Quote
from bot.models import Article
from bot.store import CorpusStats

try:  # the Bot API test server's port of tdlib's parser, when it is in the tree
    from tests.botapi.html_entities import parse_html as botapi_parse_html
except ImportError:  # pragma: no cover - depends on another package landing
    botapi_parse_html = None

ALLOWED = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote",
           "tg-spoiler", "span", "tg-emoji"}
NASTY = 'Tom & Jerry <script>alert("x")</script> 1 < 2 > 0 &amp; "quotes" 😀 <b>not bold</b>'


class TelegramHtmlChecker(HTMLParser):
    """Telegram's rules: only allowed tags, properly nested, attributes only where allowed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in ALLOWED, f"tag <{tag}> not allowed"
        if tag == "a":
            assert [k for k, _ in attrs] == ["href"], attrs
        elif tag != "span" and tag != "blockquote":
            assert not attrs, (tag, attrs)
        if tag == "blockquote":
            assert "blockquote" not in self.stack, "blockquotes can't nest"
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_telegram_html(message: str) -> str:
    """Assert ``message`` is valid Telegram HTML within the limit; return the visible text."""
    assert re.search(r"<(?![a-z/])", message) is None, "stray '<'"
    checker = TelegramHtmlChecker()
    checker.feed(message)
    checker.close()
    assert not checker.stack, f"unclosed {checker.stack}"
    text = "".join(checker.text)
    if botapi_parse_html is not None:
        text, _entities = botapi_parse_html(message)
    assert len(text.strip().encode("utf-16-le")) // 2 <= TELEGRAM_LIMIT
    assert visible_length(message) <= TELEGRAM_LIMIT
    return text


def make_item(i: int, quote: str = "The quote says NATO met. It did.", url: str = "https://example.com/a") -> AnswerItem:
    start = quote.find("NATO")
    hl = ((start, start + 4),) if start >= 0 else ()
    return AnswerItem(
        article_id=i, title=f"Title {i} {NASTY}", url=f"{url}?q={i}&x=y", source="example.com",
        published=date(2022, 11, 29), quote=Quote(quote, hl),
    )  # fmt: skip


def make_article(i: int, text: str = "First sentence here. Second one. Third.") -> Article:
    return Article(url=f"https://example.com/{i}?a=1&b=2", title=f"Article {i} {NASTY}", text=text,
                   published=date(2022, 11, i % 28 + 1), source="example.com", id=i)


def question(text: str = "Why did NATO meet?") -> ParsedQuestion:
    return ParsedQuestion(original=text, text=text, date_label="yesterday")


def test_answer_html_escapes_and_bolds_matches() -> None:
    answer = Answer(question(NASTY), [make_item(1, f"… {NASTY} NATO met. …")], total=1)
    message = answer_html(answer)
    text = check_telegram_html(message)
    assert "<script>" not in message and "&lt;script&gt;" in message
    assert "<b>NATO</b>" in message and "<blockquote>" in message
    assert '<a href="https://example.com/a?q=1&amp;x=y">' in message
    assert NASTY in text


def test_answer_html_long_quotes_trimmed_at_sentence_never_mid_tag() -> None:
    quote = " ".join(f"Sentence {n} mentions NATO again." for n in range(400))
    answer = Answer(question(), [make_item(i, quote) for i in range(5)], total=9)
    message = answer_html(answer)
    text = check_telegram_html(message)
    assert "1. Title 0" in text
    assert "Results 1–5 of 9." in text  # the footer survives trimming
    assert "mentions NATO again. …" in text  # cut after a sentence, marked
    assert visible_length(message) > 3000  # uses the room it has


def test_no_answer_is_plain() -> None:
    answer = Answer(question(), [], no_answer="Nothing found. Try /latest.")
    text = check_telegram_html(answer_html(answer))
    assert "Nothing found" in text
    assert "Nothing found" in answer_text(answer)


def test_answer_text_plain() -> None:
    answer = Answer(question(), [make_item(1), make_item(2)], total=5)
    text = answer_text(answer, bold=lambda w: f"*{w}*")
    assert "1. Title 1" in text and "*NATO*" in text and "results 1–2 of 5" in text
    assert "https://example.com/a" in text


def test_second_excerpt_is_collapsed_escaped_and_in_plain_text() -> None:
    more = Quote(f"… {NASTY} NATO again. …", ((len(f"… {NASTY} "), len(f"… {NASTY} NATO")),))
    answer = Answer(question(), [replace(make_item(1), more=more), make_item(2)], total=2)
    message = answer_html(answer)
    text = check_telegram_html(message)
    assert message.count("<blockquote expandable>") == 1 and "<b>NATO</b> again" in message
    assert text.count(NASTY) == 3  # two titles and the excerpt, verbatim
    plain = answer_text(answer)
    assert f"   > … {NASTY} NATO again. …" in plain and "   >\n" in plain


def test_squeezed_result_gives_up_its_second_excerpt_first() -> None:
    long = " ".join(f"Sentence {n} mentions NATO again." for n in range(30))
    items = [replace(make_item(i, long), more=Quote(long)) for i in range(5)]
    message = answer_html(Answer(question(), items, total=5))
    check_telegram_html(message)
    assert message.count("<blockquote expandable>") >= 1  # the first results keep theirs
    assert message.count("<blockquote>") > message.count("<blockquote expandable>")


def test_non_web_url_is_not_a_link() -> None:
    item = make_item(1, url="corpus/seed.txt")
    message = answer_html(Answer(question(), [item], total=1))
    check_telegram_html(message)
    assert "<a " not in message


@pytest.mark.parametrize("n", [0, 1, 5, 300])
def test_article_lists(n: int) -> None:
    articles = [make_article(i, "Lead sentence about things. " * 30) for i in range(n)]
    for message in (latest_html(articles), latest_html(articles, topic="<nato>", offset=5), digest_html(articles)):
        check_telegram_html(message)
    if n == 300:
        assert "more: /latest" in digest_html(articles)
    assert ("Article" in latest_text(articles)) == bool(n)


def test_article_card_trims_huge_article() -> None:
    article = make_article(1, "A sentence with <tags> & stuff. " * 2000)
    message = article_card_html(article, topic="nato")
    text = check_telegram_html(message)
    assert text.startswith("📰 Article 1")
    assert "https://example.com/1?a=1&b=2" in text


def test_sources_html() -> None:
    stats = CorpusStats(articles=26000, flagged=190, sources=[("cnn.com", 5000), ("<evil>", 1)],
                        first=date(2020, 1, 1), last=date(2026, 7, 17), last_ingest="2026-07-18T00:00:00+00:00")
    text = check_telegram_html(sources_html(stats))
    assert "26,000 articles" in text and "<evil>: 1" in text
    many = CorpusStats(articles=1, flagged=0, sources=[(f"s{i}.com", i) for i in range(2000)], first=None,
                       last=None, last_ingest=None)
    check_telegram_html(sources_html(many))


def test_checker_catches_bad_html() -> None:
    for bad in ("<div>x</div>", "<b>x", "a < b", "<b><i>x</b></i>"):
        with pytest.raises((AssertionError, ValueError)):
            check_telegram_html(bad)
    assert html.unescape("&lt;") == "<"
