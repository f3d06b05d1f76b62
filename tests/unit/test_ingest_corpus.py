"""Cleaning on the real shared corpus (skipped when ../shared is absent).

Chrome is learned over the whole corpus (the first pass of a full ingest, ~10 s), then a sample is
cleaned: about 500 evenly spaced articles plus every page the README says has no content and a share
of the pages carrying the known chrome (video widgets, crossword prompts, datelines).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import pytest

from bot.ingest import ingest
from bot.ingest.build import Built, build_article, prepare_lines, record_source
from bot.ingest.chrome import MIN_ARTICLES, MIN_WORDS, ChromeCounter, ChromeModel
from bot.ingest.jsonl import read_jsonl
from bot.ingest.records import RawRecord
from bot.models import article_uid
from bot.store import Store

from .ingest_support import SHARED_CORPUS

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(
        not SHARED_CORPUS.exists(), reason="needs the shared corpus ../shared/data/news/articles.jsonl.gz"
    ),
]

FORM_STARTS = {  # the README's 192 pages without content: 103 + 85 + 4
    "We will use the details you have shared": ("theweek.co.uk", 103),
    "1. How relevant is this ad to you?": ("cnn.com", 85),
    "A free account gives you:": ("usatoday.com", 4),
}
CHROME_MARKERS = ("Ad Feedback", "JUST WATCHED", "Replay More Videos", "Daily Crossword Puzzle", "PLAY hub")
SURVIVORS = re.compile(
    r"Ad Feedback|JUST WATCHED|Replay More Videos|Play the USA TODAY Daily Crossword|all new PLAY hub|"
    r"How relevant is this ad to you|Would you like to receive The WeekDay newsletter|^CNN —$|^Washington CNN —$",
    re.MULTILINE,
)
EVERY = 53


@dataclass
class Cleaned:
    raw: RawRecord
    built: Built
    regular: bool  # an evenly spaced sample article (not picked for its chrome)


def _is_form(raw: RawRecord) -> bool:
    return raw.text.startswith(tuple(FORM_STARTS))


@pytest.fixture(scope="module")
def sample() -> list[Cleaned]:
    counter = ChromeCounter(set())
    picked: list[tuple[RawRecord, list[str], bool]] = []
    per_marker: Counter[str] = Counter()
    for number, item in enumerate(read_jsonl(SHARED_CORPUS)):
        assert isinstance(item, RawRecord), item
        lines = prepare_lines(item)
        counter.add(record_source(item), article_uid(item.url), lines)
        markers = [m for m in CHROME_MARKERS if m in item.text]
        regular = number % EVERY == 0
        if regular or _is_form(item) or any(per_marker[m] < 40 for m in markers):
            per_marker.update(markers)
            picked.append((item, lines, regular))
    keys: dict[str, set[int]] = {}
    for source, key, n in counter.rows():
        if n >= MIN_ARTICLES:
            keys.setdefault(source, set()).add(key)
    model = ChromeModel(keys)
    out = []
    for raw, lines, regular in picked:
        built = build_article(raw, lines, model)
        assert isinstance(built, Built), built
        out.append(Cleaned(raw, built, regular))
    return out


def test_known_chrome_does_not_survive(sample: list[Cleaned]) -> None:
    assert sum(1 for c in sample if any(m in c.raw.text for m in CHROME_MARKERS)) > 150
    leftovers = [(c.raw.where, m.group(0)) for c in sample for m in SURVIVORS.finditer(c.built.article.text)]
    assert leftovers == [], "\n".join(map(str, leftovers))


def test_pages_without_content_are_flagged_as_in_the_readme(sample: list[Cleaned]) -> None:
    flagged = Counter(c.raw.source for c in sample if c.built.article.flagged)
    forms = Counter(c.raw.source for c in sample if _is_form(c.raw))
    assert forms == Counter({source: n for source, n in FORM_STARTS.values()})
    assert flagged == forms  # every form page, and nothing else
    assert all(c.built.article.flagged for c in sample if _is_form(c.raw))


def test_regular_articles_keep_their_text(sample: list[Cleaned]) -> None:
    regular = [c for c in sample if c.regular and not _is_form(c.raw)]
    assert len(regular) >= 480
    lines = sum(len(prepare_lines(c.raw)) for c in regular)
    chrome = sum(1 for c in regular for r in c.built.removals if not r.rule.startswith("furniture"))
    furniture = sum(1 for c in regular for r in c.built.removals if r.rule.startswith("furniture"))
    assert chrome / lines < 0.05  # chrome is a small share of real pages
    assert furniture / lines < 0.10  # bylines, credits, related links... (about 1 line in 13)
    for c in regular:
        article = c.built.article
        assert article.flagged is None, (c.raw.where, article.flagged)
        assert "\n\n\n" not in article.text and article.text == article.text.strip()
        for removal in c.built.removals:
            if removal.rule == "repeated line":
                assert len(removal.shown.split()) >= MIN_WORDS
        source_lines = set(prepare_lines(c.raw))  # removal takes whole lines; whatever stays is verbatim
        assert all(p in source_lines or p in c.raw.text for p in article.paragraphs)


def test_titles_lose_site_suffixes(sample: list[Cleaned]) -> None:
    suffix = re.compile(r"\s[-|]\s(CNN|USA TODAY|USA Today|The Week UK|The Week)(\s.*)?$")
    titles = [c.built.article.title for c in sample]
    assert [t for t in titles if suffix.search(t)] == []
    assert sum(1 for c in sample if suffix.search(c.raw.title)) > 50


def test_state_roundups_keep_their_state_headings(sample: list[Cleaned]) -> None:
    roundups = [c for c in sample if "news from around our 50 states" in c.raw.title.lower()]
    for c in roundups:
        paragraphs = set(c.built.article.paragraphs)
        assert {"Alabama", "Wyoming"} <= paragraphs, c.raw.where


@pytest.mark.slow
def test_full_corpus_ingest(tmp_path_factory: pytest.TempPathFactory) -> None:
    store = Store(tmp_path_factory.mktemp("full") / "db.sqlite3")
    summary = ingest([str(SHARED_CORPUS)], store)
    assert summary.failed == 0
    assert summary.stored == 26_332
    assert 185 <= summary.flagged <= 200
    assert store.articles.count() == summary.added - summary.flagged
