"""Precomputed sentences (#18): the same window features as the per-question analysis, bit for bit; the
sentence store on disk, its faults (missing, truncated, corrupt, older format, other rules), and answers
that are identical with and without it."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from bot.answer.pipeline import Answerer
from bot.answer.sentence_store import MAX_SEGMENTS, STORE_DIR, SentenceStore, rules_fingerprint
from bot.answer.sentences import analyse
from bot.answer.windows import QuestionProfile, answer_type, index_sentences, question_head, window_features
from bot.ingest import ingest
from bot.models import Article
from bot.search.analyzer import default_analyzer
from bot.search.retriever import IndexRetriever
from bot.store import Store
from tests.unit.legacy_windows import legacy_index_sentences, legacy_window_features

AN = default_analyzer()
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "fixtures" / "ingest" / "corpus-sample.jsonl"
SHARED = ROOT.parent / "shared" / "data" / "news"

# Shapes that make chunks straddle sentences or names fall outside a sentence's terms: a closing quote
# before a no-break space, an ellipsis, abbreviations, odd Unicode, headings and furniture lines.
TRICKY = [
    "It ended.”\u00a0Then the U.S. Sen. J. Smith left… The end? Yes!\nPhoto: AP\nWho is Ms. Ávila-Núñez?",
    "İstanbul’s mayor met NATO’s chief.\u2003“Fine,” he said.\u00a0“Done.” ²3 people × 10,000 euros",
    "Live updates\nThe 5 things to know today\nUkraine war: what happened?\nKyiv said 12 drones were shot down.",
    "",
    "no capitals here at all. 42 is a number",
]


def _texts() -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    dw = (ROOT / "corpus" / "dw-2022-11-29-nato-bucharest.txt").read_text(encoding="utf-8")
    return [(r["title"], r["text"]) for r in rows] + [("NATO in Bucharest", dw)] + [("A title", t) for t in TRICKY]


QUESTIONS = [
    "Which airline will weigh passengers?", "How many free Covid tests can US households order?",
    "Who did NATO ministers meet in Bucharest?", "What did the U.S. say about Ukraine on Tuesday?",
    "How many drones were shot down over Kyiv?", "Who is the mayor of Istanbul?",
]  # fmt: skip


def _profiles(text: str) -> list[QuestionProfile]:
    words = text.split()
    own = " ".join(words[:: max(1, len(words) // 7)][:7])  # words of the text itself: many windows match
    out = []
    for q in [*QUESTIONS, own, f"How many {own}"]:
        terms = list(dict.fromkeys(AN.analyze(q)))
        number, name = answer_type(q)
        weights = {t: 1.0 + (sum(map(ord, t)) % 7) / 3 for t in terms}
        out.append(QuestionProfile(weights, number, name, question_head(q, AN.analyze)))
    return out


def _same_windows(title: str, text: str) -> None:
    old = legacy_index_sentences(text, AN.analyze, AN.word_terms)
    new = index_sentences(text, AN, title)
    assert new.starts.tolist() == old.starts.tolist() and new.ends.tolist() == old.ends.tolist()
    title_terms = set(AN.analyze(title))
    for prof in _profiles(text):
        a = legacy_window_features(old, prof, title_terms, max_sentences=4, max_chars=600)
        b = window_features(new, prof, title_terms, max_sentences=4, max_chars=600)
        assert a.lo.tolist() == b.lo.tolist() and a.hi.tolist() == b.hi.tolist()
        assert a.features.tobytes() == b.features.tobytes(), "window features differ in some bit"
        assert a.shown_cov.tobytes() == b.shown_cov.tobytes() and a.article_cov == b.article_cov


@pytest.mark.parametrize("n", range(len(_texts())))
def test_window_features_equal_the_per_question_analysis_bit_for_bit(n: int) -> None:
    _same_windows(*_texts()[n])


def test_tricky_texts_take_the_sentence_by_sentence_way() -> None:
    assert not analyse("t", TRICKY[0], AN).chunked  # a chunk straddles ended.”\u00a0Then
    assert not analyse("t", TRICKY[1], AN).chunked
    assert analyse("t", TRICKY[4], AN).chunked


@pytest.mark.skipif(not (SHARED / "articles.jsonl.gz").exists(), reason="shared corpus absent (../shared)")
def test_window_features_equal_on_a_sample_of_the_shared_corpus() -> None:
    with gzip.open(SHARED / "articles.jsonl.gz", "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for _, line in zip(range(2000), fh)][::40]
    for row in rows:
        _same_windows(row["title"], row["text"])


# -- the store on disk ----------------------------------------------------------------------------------


def _store_with_sample(path: Path) -> Store:
    store = Store(path / "db.sqlite3")
    ingest([SAMPLE, ROOT / "corpus"], store)
    return store


@pytest.fixture
def corpus(tmp_path: Path) -> Iterator[tuple[Store, Path]]:
    store = _store_with_sample(tmp_path)
    yield store, tmp_path / "index"
    store.close()


def _answers(answerer: Answerer) -> list:
    out = []
    for q in [*QUESTIONS, "Biden administration Covid tests", "What did Stoltenberg say about air defense?"]:
        ranked = answerer.rank(q, as_of=date(2023, 1, 1))
        out.append([(c.article.id, c.selection.quote, c.extra.quote if c.extra else None, c.score, c.features)
                    for c in ranked.candidates] + [ranked.no_answer, ranked.kind])  # fmt: skip
    return out


def _answerer(store: Store, sentences: SentenceStore | None) -> Answerer:
    retriever = IndexRetriever(store, None)
    retriever.open()
    return Answerer(store, retriever, sentences=sentences)


def test_answers_with_the_store_equal_answers_without(corpus: tuple[Store, Path]) -> None:
    store, index_dir = corpus
    sentences = SentenceStore.open(index_dir / STORE_DIR)
    assert sentences.sync(store) == store.articles.count()
    reader = SentenceStore.open(index_dir / STORE_DIR, writable=False)
    assert len(reader) == store.articles.count()
    with_store, live = _answerer(store, reader), _answerer(store, None)
    assert _answers(with_store) == _answers(live)
    assert any(a for a in _answers(live)[0][:-2])  # the questions do find something
    for article in store.articles.get_many(range(1, 20)).values():
        if article.flagged or article.deleted:
            assert reader.get(article) is None  # never indexed, never quoted
            continue
        stored = reader.get(article)
        fresh = analyse(article.title, article.text, AN)
        assert stored is not None
        for name in ("starts", "ends", "first_chunks", "flags", "n_names", "n_names_untitled", "n_numbers"):
            assert np.array_equal(getattr(stored, name), getattr(fresh, name)), name
        assert stored.chunked == fresh.chunked


def _saved(store: Store, index_dir: Path) -> Path:
    SentenceStore.open(index_dir / STORE_DIR).sync(store)
    return index_dir / STORE_DIR


def _loads(root: Path) -> bool:
    return SentenceStore.open(root, writable=False).trusted


def _rebuilds(store: Store, root: Path) -> None:
    """A damaged store is not trusted: every article is analysed live, and the writer rebuilds it."""
    reader = SentenceStore.open(root, writable=False)
    assert not reader.trusted and len(reader) == 0
    some = next(iter(store.articles.get_many([1]).values()))
    assert reader.get(some) is None  # the answer path analyses it live
    live = _answerer(store, reader)
    assert _answers(live) == _answers(_answerer(store, None))
    writer = SentenceStore.open(root)
    assert writer.sync(store) == store.articles.count()
    assert _loads(root)


def test_missing_store_is_built(corpus: tuple[Store, Path]) -> None:
    store, index_dir = corpus
    _rebuilds(store, index_dir / STORE_DIR)


def test_truncated_file_is_rebuilt(corpus: tuple[Store, Path]) -> None:
    store, index_dir = corpus
    root = _saved(store, index_dir)
    victim = next(root.glob("seg-*.starts.npy"))
    victim.write_bytes(victim.read_bytes()[:-7])
    _rebuilds(store, root)


def test_corrupt_file_is_rebuilt(corpus: tuple[Store, Path]) -> None:
    store, index_dir = corpus
    root = _saved(store, index_dir)
    victim = next(root.glob("seg-*.flags.npy"))
    data = bytearray(victim.read_bytes())
    data[-1] ^= 0xFF
    victim.write_bytes(bytes(data))
    _rebuilds(store, root)


def test_missing_file_is_rebuilt(corpus: tuple[Store, Path]) -> None:
    store, index_dir = corpus
    root = _saved(store, index_dir)
    next(root.glob("seg-*.names.npy")).unlink()
    _rebuilds(store, root)


@pytest.mark.parametrize("change", ["format", "rules"])
def test_older_format_or_other_rules_are_rebuilt(corpus: tuple[Store, Path], change: str) -> None:
    store, index_dir = corpus
    root = _saved(store, index_dir)
    manifest = root / (root / "CURRENT").read_text().strip()
    data = json.loads(manifest.read_text())
    data[change] = 0 if change == "format" else "an older version of the rules"
    manifest.write_text(json.dumps(data))
    _rebuilds(store, root)


def test_rules_fingerprint_is_stable() -> None:
    assert rules_fingerprint() == rules_fingerprint()


def test_new_and_updated_articles_are_added_and_stale_rows_never_used(corpus: tuple[Store, Path]) -> None:
    store, index_dir = corpus
    root = _saved(store, index_dir)
    writer = SentenceStore.open(root)
    reader = SentenceStore.open(root, writable=False)
    new = Article(url="https://example.com/new", title="Volcano erupts", published=date(2022, 12, 1),
                  text="A volcano erupted in Iceland on Monday. Flights were cancelled.", source="example.com")  # fmt: skip
    store.articles.upsert_many([new])
    added = store.articles.get_by_url(new.url)
    assert added is not None and reader.get(added) is None
    assert writer.sync(store) == 1 and writer.get(added) is not None
    reader._polled = 0.0
    reader.poll()
    assert reader.get(added) is not None
    # the article changes: its old row is never used for the new text
    store.articles.upsert_many([Article(url=new.url, title=new.title, published=new.published, source=new.source,
                                        text=new.text + " The airport reopened on Tuesday.")])  # fmt: skip
    changed = store.articles.get_by_url(new.url)
    assert changed is not None and reader.get(changed) is None and writer.get(changed) is None
    writer.sync(store)
    assert writer.get(changed) is not None and writer.get(changed).size == 3


def test_store_survives_many_saves_and_compacts(corpus: tuple[Store, Path]) -> None:
    store, index_dir = corpus
    root = _saved(store, index_dir)
    writer = SentenceStore.open(root)
    for i in range(12):
        store.articles.upsert_many([Article(url=f"https://example.com/{i}", title=f"Story {i}", published=date(2022, 12, 1),
                                            text=f"Story number {i} happened. It was news.", source="example.com")])  # fmt: skip
        writer.sync(store)
    reader = SentenceStore.open(root, writable=False)
    assert reader.trusted and len(reader) == store.articles.count()
    assert len(list(root.glob("manifest-*.json"))) <= 2


@pytest.mark.parametrize("n", range(len(_texts())))
def test_quotes_ranked_without_highlights_get_the_same_highlights(n: int) -> None:
    from bot.answer.quote import with_highlights
    from bot.answer.rank import quote_window

    title, text = _texts()[n]
    idx = index_sentences(text, AN, title)
    for prof in _profiles(text):
        found = window_features(idx, prof, set(AN.analyze(title)), max_sentences=4, max_chars=600)
        for lo, hi in zip(found.lo.tolist(), found.hi.tolist()):
            for chars in (600, 400, 120):
                eager = quote_window(text, idx, lo, hi, prof, AN.analyze_with_spans, chars)
                lazy = quote_window(text, idx, lo, hi, prof, AN.analyze_with_spans, chars, highlight=False)
                assert lazy.quote.text == eager.quote.text
                done = with_highlights(text, lazy, prof.weights, AN.analyze_with_spans)
                assert (done.quote, done.start, done.end, done.score) == (
                    eager.quote, eager.start, eager.end, eager.score)


def test_a_long_sync_analyses_in_worker_processes_with_the_same_rows() -> None:
    from bot.answer.sentence_store import _analysed

    rows = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    articles = [Article(url=r["url"], title=r["title"], text=r["text"], published=date(2022, 5, 1), id=i + 1,
                        seq=i + 1) for i, r in enumerate(rows)]  # fmt: skip
    chunks = [articles[:3], articles[3:]]
    here = [r for _, found in _analysed(iter(chunks), 0, AN) for r in found]
    there = [r for _, found in _analysed(iter(chunks), 2, AN) for r in found]
    assert [(r.id, r.seq, r.length) for r in here] == [(r.id, r.seq, r.length) for r in there]
    for a, b in zip(here, there):
        for name in ("starts", "ends", "first_chunks", "flags", "n_names", "n_names_untitled", "n_numbers"):
            assert np.array_equal(getattr(a.sentences, name), getattr(b.sentences, name))


def test_a_service_builds_in_the_background_and_close_waits_for_it(corpus: tuple[Store, Path]) -> None:
    store, index_dir = corpus
    writer = SentenceStore.open(index_dir / STORE_DIR)
    assert writer.sync(store, wait=False) == 0  # a service does not wait: answers analyse live meanwhile
    writer.close()  # stops the thread after its batch, saving what it did: nothing reads the store later
    assert writer._builder is not None and not writer._builder.is_alive()
    writer.sync(store)  # carries on from where it stopped
    assert len(SentenceStore.open(index_dir / STORE_DIR, writable=False)) == store.articles.count()


def test_two_writers_of_one_directory_never_leave_a_manifest_with_missing_files(corpus: tuple[Store, Path]) -> None:
    store, index_dir = corpus
    root = _saved(store, index_dir)
    first, second = SentenceStore.open(root), SentenceStore.open(root)
    for i in range(MAX_SEGMENTS + 3):  # each save of one collects the other's older generations
        store.articles.upsert_many([Article(url=f"https://example.com/w{i}", title=f"Item {i}", published=date(2022, 12, 2),
                                            text=f"Item {i} was reported. Officials confirmed it.", source="example.com")])  # fmt: skip
        (first if i % 2 else second).sync(store)
        assert _loads(root)
    assert len(SentenceStore.open(root, writable=False)) == store.articles.count()
