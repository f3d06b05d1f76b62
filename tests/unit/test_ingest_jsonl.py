"""JSON Lines input (plain and gzip), bad input per record, deduplication and re-runs through ingest."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from bot.ingest import ingest
from bot.ingest.clean import MAX_TEXT_CHARS
from bot.store import Store

from .ingest_support import FIXTURES


def _record(i: int, **overrides: object) -> dict:
    record = {
        "id": "ignored",
        "url": f"https://www.example.com/news/2023/02/0{i % 9 + 1}/story-{i}/index.html",
        "title": f"Story number {i} about the harbour - Example",
        "text": f"The harbour authority said on Monday that berth {i} would reopen.\n\n"
        f"Ships waiting outside the port number {i * 3}, officials said.",
        "published": "2023-02-01",
        "authors": ["A. Writer"],
        "source": "example.com",
    }
    record.update(overrides)
    return record


def _lines(records: list[dict]) -> bytes:
    return b"".join(json.dumps(r).encode("utf-8") + b"\n" for r in records)


def test_plain_and_gzip_jsonl(tmp_path: Path, store: Store) -> None:
    (tmp_path / "a.jsonl").write_bytes(_lines([_record(1), _record(2)]))
    (tmp_path / "b.jsonl.gz").write_bytes(gzip.compress(_lines([_record(3), _record(4)])))
    summary = ingest([str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl.gz")], store)
    assert (summary.added, summary.failed) == (4, 0)
    article = store.articles.get_by_url(_record(3)["url"])
    assert article is not None
    assert article.title == "Story number 3 about the harbour"
    assert article.authors == ("A. Writer",)
    assert article.source == "example.com"
    assert article.text.count("\n\n") == 1


def test_real_corpus_records(store: Store) -> None:
    summary = ingest([str(FIXTURES / "corpus-sample.jsonl")], store)
    assert (summary.added, summary.failed) == (7, 0)
    roundup = next(a for a in store.articles.changes_since(0) if "50 states" in a.title.lower())
    paragraphs = roundup.paragraphs
    assert {"Alabama", "Wyoming", "District of Columbia"} <= set(paragraphs)  # the state headings stay
    cnn = next(a for a in store.articles.changes_since(0) if "8 more free Covid tests" in a.title)
    assert not cnn.paragraphs[0].startswith("Washington CNN")
    assert cnn.title.startswith(
        "Biden administration makes 8 more free Covid tests"
    ) and not cnn.title.endswith("CNN")


BAD_LINES = [
    (
        b'{"url": "https://example.com/x", "title": "T\xff\xfe", "text": "body", "published": "2023-01-01"}',
        "UTF-8",
    ),
    (b'{"url": "https://example.com/y", "title": "Half', "invalid JSON"),
    (b'["not", "an", "object"]', "not a JSON object"),
    (json.dumps(_record(50, title="")).encode(), "missing title"),
    (json.dumps(_record(51, text="   ")).encode(), "missing text"),
    (json.dumps(_record(52, published=None)).encode(), "missing date"),
    (json.dumps(_record(53, published="next Tuesday")).encode(), "unparseable date"),
    (json.dumps(_record(54, published="2999-01-01")).encode(), "in the future"),
    (json.dumps({k: v for k, v in _record(55).items() if k != "url"}).encode(), "missing url"),
]


def test_bad_lines_are_reported_per_record_and_the_rest_ingests(tmp_path: Path, store: Store) -> None:
    good = [json.dumps(_record(i)).encode() for i in range(3)]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join([good[0], *[line for line, _ in BAD_LINES], good[1], b"", good[2]]) + b"\n")
    summary = ingest([str(path)], store)
    assert summary.added == 3
    assert summary.failed == len(BAD_LINES)
    assert summary.exit_status == 1
    for issue, (_, reason) in zip(summary.errors, BAD_LINES):
        assert reason in issue.reason
        assert issue.where.startswith(f"{path}:")
    assert [issue.where for issue in summary.errors][:2] == [f"{path}:2", f"{path}:3"]
    assert "mixed.jsonl:2: not valid UTF-8" in summary.format()


def test_bad_files(tmp_path: Path, store: Store) -> None:
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "blob.jsonl").write_bytes(bytes(range(256)) * 40)
    whole = gzip.compress(_lines([_record(i) for i in range(40)]))
    (tmp_path / "cut.jsonl.gz").write_bytes(whole[: len(whole) * 2 // 3])
    (tmp_path / "notes.txt").write_text("just some notes, not an article\n")
    inputs = [
        str(tmp_path / n) for n in ("empty.jsonl", "blob.jsonl", "cut.jsonl.gz", "notes.txt", "missing.jsonl")
    ]
    summary = ingest(inputs, store)
    reasons = {Path(i.where.split(":")[0]).name: i.reason for i in summary.errors}
    assert reasons["empty.jsonl"] == "empty file"
    assert reasons["blob.jsonl"].startswith("binary file")
    assert reasons["cut.jsonl.gz"].startswith("truncated gzip")
    assert reasons["notes.txt"].startswith("unsupported format")
    assert reasons["missing.jsonl"].startswith("no such file")
    assert 0 < summary.added < 40  # everything before the cut is stored
    assert store.articles.count() == summary.added


def test_huge_article_is_capped_and_markup_is_cleaned(tmp_path: Path, store: Store) -> None:
    paragraph = "The committee heard testimony about the harbour for many hours on end. " * 10
    huge = _record(1, text="\n\n".join([paragraph] * 30_000))  # about 21 MB
    marked = _record(
        2, text="<p>The <b>mayor</b> spoke &amp; left.</p>\x00\x07<p>Crowds cheered.</p><script>x()</script>"
    )
    path = tmp_path / "big.jsonl"
    path.write_bytes(_lines([huge, marked]))
    assert path.stat().st_size > 20_000_000
    summary = ingest([str(path)], store)
    assert (summary.added, summary.failed, summary.exit_status) == (2, 0, 0)
    big = store.articles.get_by_url(huge["url"])
    assert big is not None and len(big.text) <= MAX_TEXT_CHARS and big.text.endswith("end.")
    clean = store.articles.get_by_url(marked["url"])
    assert clean is not None and clean.text == "The mayor spoke & left.\n\nCrowds cheered."
    warnings = {w.where: w.reason for w in summary.warnings}
    assert "capped" in warnings[f"{path}:1"] and "markup" in warnings[f"{path}:2"]


def test_same_url_updates_and_same_body_is_a_duplicate(tmp_path: Path, store: Store) -> None:
    first = _record(1)
    path = tmp_path / "a.jsonl"
    path.write_bytes(_lines([first, _record(2)]))
    assert ingest([str(path)], store).added == 2
    changed = _record(
        1,
        url="http://example.com/news/2023/02/02/story-1/?utm_source=x",
        text="Corrected: berth 1 stays shut.",
    )
    twin = _record(3, text=_record(2)["text"])  # the same story under another URL
    (tmp_path / "b.jsonl").write_bytes(_lines([changed, twin]))
    summary = ingest([str(tmp_path / "b.jsonl")], store)
    assert (summary.added, summary.updated, summary.duplicate) == (0, 1, 1)
    assert store.articles.count() == 2 and store.articles.duplicate_count() == 1
    article = store.articles.get_by_url(first["url"])
    assert article is not None and article.text == "Corrected: berth 1 stays shut."


def test_rerun_changes_nothing(tmp_path: Path, store: Store) -> None:
    records = [_record(i) for i in range(6)] + [_record(7, text=_record(0)["text"])]
    path = tmp_path / "a.jsonl"
    path.write_bytes(_lines(records))
    first = ingest([str(path)], store)
    seq = store.articles.max_seq()
    again = ingest([str(path)], store)
    assert (first.added, first.duplicate) == (6, 1)
    assert (again.added, again.updated, again.duplicate, again.unchanged) == (0, 0, 0, 7)
    assert store.articles.max_seq() == seq


def test_lone_surrogates_and_odd_fields_do_not_break_the_batch(tmp_path: Path, store: Store) -> None:
    odd = _record(
        1, url="https://example.com/a\ud800b", title="Title \udc00here", authors=["X\ud800", 7, None]
    )
    odd["text"] = "The harbour reopened on Monday after the storm.\ud800"
    path = tmp_path / "odd.jsonl"
    path.write_bytes(_lines([odd, _record(2)]))
    summary = ingest([str(path)], store)
    assert (summary.added, summary.failed) == (2, 0)
    article = store.articles.get_by_url("https://example.com/ab")
    assert article is not None and article.title == "Title here" and article.authors == ("X", "7")


def test_direction_overrides_never_reach_stored_titles_and_urls(tmp_path: Path, store: Store) -> None:
    """U+202E makes ``…/\u202egnp.exe`` display as "…exe.png": stripped from titles and URLs at ingest."""
    hostile = _record(
        5,
        url="https://q.example/\u202egnp.exe",
        title="Harbour \u2067reopens\u2069 \u202eetoN - Example",
    )
    (tmp_path / "a.jsonl").write_bytes(_lines([hostile]))
    summary = ingest([str(tmp_path / "a.jsonl")], store)
    assert (summary.added, summary.failed) == (1, 0)
    [article] = list(store.articles.changes_since(0))
    assert article.url == "https://q.example/gnp.exe"
    assert article.title == "Harbour reopens etoN"
    assert not any(c in article.title + article.url for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
