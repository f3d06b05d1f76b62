"""Learned chrome: lines repeated across many articles of one source are removed, the rest is kept."""

from __future__ import annotations

import json
from pathlib import Path

from bot.ingest import ingest
from bot.ingest.chrome import MIN_ARTICLES, ChromeCounter, ChromeModel
from bot.store import Store

PROMPT = "Need a break? Play the Example Daily Crossword Puzzle."
BIO = "Jane Roe covers breaking news for Example Daily. Reach her at jroe@example.com."


def _article(i: int, source: str = "example.com", extra: tuple[str, ...] = (), lead: str = "") -> dict:
    body = [
        lead or f"The city council met on day {i} to discuss item number {i * 7}.",
        f"Council member {i} said the vote on proposal {i} would come next week, after a hearing.",
        *extra,
        f"Residents of ward {i} asked questions about the plan for {i % 5 + 2} hours.",
    ]
    return {
        "url": f"https://www.{source}/news/2023/01/{i % 28 + 1:02d}/story-{i}",
        "title": f"Council debates proposal {i} - Example Daily",
        "text": "\n\n".join(body),
        "published": f"2023-01-{i % 28 + 1:02d}",
        "authors": [],
        "source": source,
    }


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _texts(store: Store) -> dict[str, str]:
    return {a.url: a.text for a in store.articles.changes_since(0)}


def test_line_in_min_articles_of_a_source_is_removed(tmp_path: Path) -> None:
    records = [_article(i, extra=(PROMPT,)) for i in range(MIN_ARTICLES)]
    records += [_article(100 + i, extra=(BIO,)) for i in range(MIN_ARTICLES - 1)]  # one short of the bar
    store = Store(tmp_path / "db.sqlite3")
    summary = ingest([str(_write(tmp_path / "a.jsonl", records))], store)
    texts = _texts(store)
    assert not any(PROMPT in t for t in texts.values())
    assert sum(BIO in t for t in texts.values()) == MIN_ARTICLES - 1
    assert summary.removed_by_rule["repeated line"] == MIN_ARTICLES
    assert summary.top_removed(1) == [(PROMPT, MIN_ARTICLES)]
    assert PROMPT in summary.format()


def test_short_repeated_lines_and_other_sources_are_kept(tmp_path: Path) -> None:
    states = ("Alabama", "New Hampshire", "District of Columbia")  # roundup headings: short, kept
    records = [_article(i, extra=(*states, PROMPT)) for i in range(30)]
    records += [_article(200 + i, source="other.org", extra=(PROMPT,)) for i in range(5)]
    store = Store(tmp_path / "db.sqlite3")
    ingest([str(_write(tmp_path / "a.jsonl", records))], store)
    for url, text in _texts(store).items():
        paragraphs = text.split("\n\n")
        assert "other.org" in url or all(s in paragraphs for s in states)
        assert (PROMPT in paragraphs) == ("other.org" in url)


def test_media_widget_lines_are_removed_by_shared_shape(tmp_path: Path) -> None:
    def widget(i: int) -> str:
        return f"Video Ad Feedback Unique clip title number {i} about the council 0{i % 9}:1{i % 6} - Source: Example"

    def score(i: int) -> str:
        return f"Score is {i}-{i} with 8:{i + 10} left."

    records = [_article(i, extra=(widget(i), score(i))) for i in range(25)]
    store = Store(tmp_path / "db.sqlite3")
    summary = ingest([str(_write(tmp_path / "a.jsonl", records))], store)
    texts = _texts(store)
    assert not any("Video Ad Feedback" in t for t in texts.values())
    for i in range(25):  # a sentence with a clock in it is prose, not a widget
        assert score(i) in texts[_article(i)["url"]]
    assert summary.removed_by_rule["media widget"] == 25


def test_long_repeated_paragraph_is_prose() -> None:
    quote = " ".join(["The minister said the agreement was a historic step for both countries."] * 40)
    model = ChromeModel({})
    counter = ChromeCounter(set())
    for i in range(30):
        counter.add("example.com", f"u{i}", [quote, PROMPT])
    keys = {key for source, key, n in counter.rows() if n >= MIN_ARTICLES}
    model = ChromeModel({"example.com": keys})
    kept, removed = model.strip("example.com", [quote, PROMPT])
    assert kept == [quote] and [r.shown for r in removed] == [PROMPT]


def test_learned_chrome_is_persisted_for_later_single_file_ingests(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    ingest([str(_write(tmp_path / "corpus.jsonl", [_article(i, extra=(PROMPT,)) for i in range(25)]))], store)
    late = _write(tmp_path / "late.jsonl", [_article(999, extra=(PROMPT, BIO))])
    summary = ingest([str(late)], store)
    article = store.articles.get_by_url(_article(999)["url"])
    assert article is not None and PROMPT not in article.text and BIO in article.text
    assert summary.removed_by_rule["repeated line"] == 1


def test_rerun_is_deterministic_and_counts_each_article_once(tmp_path: Path) -> None:
    records = [_article(i, extra=(PROMPT,)) for i in range(MIN_ARTICLES)]
    path = _write(tmp_path / "a.jsonl", records)
    store = Store(tmp_path / "db.sqlite3")
    first = ingest([str(path)], store)
    before = _texts(store)
    counts = store.db.query("SELECT SUM(n) FROM chrome_lines")[0][0]
    second = ingest([str(path)], store)
    assert first.added == MIN_ARTICLES
    assert (second.added, second.updated, second.unchanged) == (0, 0, MIN_ARTICLES)
    assert _texts(store) == before
    assert store.db.query("SELECT SUM(n) FROM chrome_lines")[0][0] == counts


def test_pages_with_only_chrome_are_flagged_not_indexed(tmp_path: Path) -> None:
    form = [
        "1. How relevant is this ad to you?",
        "Video player was slow to load content Ad froze Audio too loud",
    ]
    records = [_article(i, extra=tuple(form)) for i in range(25)]
    records.append({**_article(500), "text": "\n\n".join(form)})
    records.append(
        {
            **_article(501),
            "text": "A free account gives you:\n\nUnlimited access to all content\n\nEarly access",
        }
    )
    store = Store(tmp_path / "db.sqlite3")
    summary = ingest([str(_write(tmp_path / "a.jsonl", records))], store)
    assert summary.flagged == 2 and summary.added == 27
    empty = store.articles.get_by_url(_article(500)["url"])
    offer = store.articles.get_by_url(_article(501)["url"])
    assert empty is not None and empty.flagged and "no article text" in empty.flagged
    assert offer is not None and offer.flagged and "form" in offer.flagged
    assert store.articles.count() == 25  # flagged pages are stored but not live for search
    assert "flagged (not indexed): 1" in summary.format()


def test_dateline_prefix_is_stripped_from_the_first_paragraph(tmp_path: Path) -> None:
    records = [
        _article(1, source="cnn.com", lead="Washington CNN —"),
        _article(2, source="cnn.com", lead="(CNN) Lawmakers returned to the Capitol on Monday."),
    ]
    store = Store(tmp_path / "db.sqlite3")
    summary = ingest([str(_write(tmp_path / "a.jsonl", records))], store)
    texts = list(_texts(store).values())
    assert texts[0].startswith("Council member 1 said")
    assert texts[1].startswith("Lawmakers returned to the Capitol on Monday.")
    assert summary.removed_by_rule["dateline"] == 2
