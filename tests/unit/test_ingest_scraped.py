"""Scraped pages in the seed's format (``date YYYY-MM-DD`` then the page text with its chrome)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.ingest import ingest
from bot.ingest.records import RawRecord, RecordIssue
from bot.ingest.scraped import parse_scraped, read_scraped
from bot.store import Store

from .ingest_support import FIXTURES, SEED


def _stored(tmp_path: Path, *inputs: Path) -> Store:
    store = Store(tmp_path / "db.sqlite3")
    summary = ingest([str(p) for p in inputs], store)
    assert summary.ok, summary.format()
    return store


def test_seed_article_fields(tmp_path: Path) -> None:
    store = _stored(tmp_path, SEED)
    article = store.articles.get_by_url("https://p.dw.com/p/4KD8i")
    assert article is not None
    assert article.title == "NATO chief Stoltenberg vows Ukraine support will not wane"
    assert article.published == date(2022, 11, 29)
    assert article.url == "https://p.dw.com/p/4KD8i"
    assert article.credit == "rc/dj (AFP, dpa, Reuters, AP)"
    assert article.flagged is None


def test_seed_body_has_no_page_chrome(tmp_path: Path) -> None:
    article = _stored(tmp_path, SEED).articles.get_by_url("https://p.dw.com/p/4KD8i")
    assert article is not None
    text = article.text
    for chrome in ("Skip to content", "Image:", "Bernd Riegert", "17 minutes ago", "PoliticsUkraine",
                   "The parliament building in Bucharest", "https://p.dw.com", "rc/dj", "China",
                   "Police deployed", "1 hour ago"):  # fmt: skip
        assert chrome not in text, chrome
    paragraphs = text.split("\n\n")
    assert paragraphs[0].startswith("NATO foreign ministers are meeting in Bucharest")
    assert paragraphs[-1].endswith("further Russian attacks on its energy infrastructure.")
    assert "What has been said so far?" in paragraphs  # a subheading is the article's own words
    assert "\n\n\n" not in text and "\xa0" not in text
    # verbatim apart from whitespace: the source's own typo stays
    assert "Poland has recentlycalled on Germany" in text


def test_another_page_without_credit_line_loses_its_teasers() -> None:
    record = read_scraped(FIXTURES / "dw-2023-03-14-baltic-wind.txt")
    assert isinstance(record, RawRecord)
    assert record.title == "Germany opens its largest offshore wind farm in the Baltic Sea"
    assert record.published == "2023-03-14"
    assert record.url == "https://p.dw.com/p/4OqZ7"
    assert record.credit == ""
    lines = record.text.split("\n")
    assert lines[0].startswith("The new wind farm off the island of Rügen")
    assert lines[-1].startswith("Environmental groups welcomed the project")
    for chrome in ("Skip to main content", "Image:", "ScienceGermany", "3 hours ago", "Workers assemble",
                   "Steelmakers", "Italy counts", "Business5 hours ago", "Flooded streets"):  # fmt: skip
        assert chrome not in record.text, chrome
    assert "How much power will it produce?" in lines


def test_page_without_link_gets_its_file_uri() -> None:
    text = "date 2021-05-04\nCouncil votes on a new budget for parks\n\nThe council voted 5-2 for the budget on Monday night.\n"
    record = parse_scraped(text, "x.txt", "file:///data/x.txt")
    assert isinstance(record, RawRecord)
    assert record.url == "file:///data/x.txt"
    assert record.title == "Council votes on a new budget for parks"


def test_page_without_date_header_is_an_issue() -> None:
    issue = parse_scraped("Just some text\nand more", "x.txt", "file:///x.txt")
    assert isinstance(issue, RecordIssue) and "date YYYY-MM-DD" in issue.reason


def test_directory_ingest_takes_every_supported_file(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_bytes(SEED.read_bytes())
    (corpus / "b.txt").write_bytes((FIXTURES / "dw-2023-03-14-baltic-wind.txt").read_bytes())
    (corpus / "README.md").write_text("# not an article\n")
    (corpus / ".hidden.txt").write_text("date 2020-01-01\nHidden page title here\n\nBody.\n")
    store = Store(tmp_path / "db.sqlite3")
    summary = ingest([str(corpus)], store)
    assert (summary.added, summary.failed, summary.inputs) == (2, 0, 2)


def test_pollers_can_skip_files_unchanged_since_a_complete_ingest(tmp_path: Path) -> None:
    folder = tmp_path / "watch"
    folder.mkdir()
    page = folder / "a.txt"
    page.write_bytes(SEED.read_bytes())
    (folder / "bad.txt").write_text("date 2020-01-01\n")  # no title: fails, so it is read again next time
    store = Store(tmp_path / "db.sqlite3")
    first = ingest([str(folder)], store, skip_unchanged_files=True)
    assert (first.added, first.failed, first.skipped_files) == (1, 1, 0)
    second = ingest([str(folder)], store, skip_unchanged_files=True)
    assert (second.stored, second.failed, second.skipped_files) == (0, 1, 1)
    assert "not read): 1" in second.format()
    page.write_bytes(SEED.read_bytes().replace(b"Venue with past significance", b"A venue with a past"))
    third = ingest([str(folder)], store, skip_unchanged_files=True)
    assert (third.updated, third.skipped_files) == (1, 0)
    assert ingest([str(folder)], store).unchanged == 1  # without the flag: every record, unchanged


def test_non_utf8_page_is_an_error_and_the_rest_ingests(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(
        "date 2022-01-05\nCaf\u00e9 owners protest new rules in the city\n\nThey met.\n".encode("latin-1")
    )
    store = Store(tmp_path / "db.sqlite3")
    summary = ingest([str(bad), str(SEED)], store)
    assert (summary.added, summary.failed) == (1, 1)
    assert summary.errors[0].where == str(bad) and "not valid UTF-8" in summary.errors[0].reason
