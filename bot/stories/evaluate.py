"""Precision and recall of the story grouping on hand-labelled article pairs.

The pairs (``tests/fixtures/stories/pairs.jsonl``) were drawn from the shared corpus by
``bench/story_pairs_draw.py`` and labelled by reading them: same story (the same event, reported by
different outlets within about 48 hours) or not. The evaluation runs the bot's real path on the part of
the corpus around the pairs: the ingest (cleaning included), the article index, then
:class:`~bot.stories.StoryGrouper` over the store in the order the corpus is written; a pair counts as
grouped when both its articles end up with the same story id.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAIRS = ROOT / "tests" / "fixtures" / "stories" / "pairs.jsonl"


@dataclass(frozen=True, slots=True)
class LabelledPair:
    """Two corpus articles (by corpus id) and whether a reader found them to be the same story."""

    n: int
    a: str
    b: str
    days: tuple[date, date]
    same_story: bool


@dataclass(frozen=True, slots=True)
class PairScores:
    """Confusion counts of the grouping on labelled pairs."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def line(self, prefix: str = "") -> str:
        """``precision=… recall=… tp=… fp=… fn=… tn=…`` (keys prefixed)."""
        return (
            f"{prefix}precision={self.precision:.3f} {prefix}recall={self.recall:.3f} "
            f"{prefix}tp={self.tp} {prefix}fp={self.fp} {prefix}fn={self.fn} {prefix}tn={self.tn}"
        )


def load_pairs(path: Path = PAIRS) -> list[LabelledPair]:
    """The labelled pairs."""
    pairs = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                days = (date.fromisoformat(row["a"]["published"]), date.fromisoformat(row["b"]["published"]))
                pairs.append(
                    LabelledPair(row["n"], row["a"]["id"], row["b"]["id"], days, bool(row["same_story"]))
                )
    return pairs


def score(pairs: list[LabelledPair], story_of: Callable[[str], int | None]) -> PairScores:
    """Count agreements; ``story_of`` maps a corpus id to its story (None: the bot does not keep it)."""
    tp = fp = fn = tn = 0
    for pair in pairs:
        a, b = story_of(pair.a), story_of(pair.b)
        grouped = a is not None and a == b
        tp += grouped and pair.same_story
        fp += grouped and not pair.same_story
        fn += not grouped and pair.same_story
        tn += not grouped and not pair.same_story
    return PairScores(tp, fp, fn, tn)


def window_lines(corpus: Path, pairs: list[LabelledPair], days: int = 2) -> Iterator[str]:
    """Corpus lines published within ``days`` days of a pair's article: all a pair's grouping can see."""
    wanted = {d + timedelta(days=k) for p in pairs for d in p.days for k in range(-days, days + 1)}
    keys = {d.isoformat() for d in wanted}
    with gzip.open(corpus, "rt", encoding="utf-8") as f:
        for line in f:
            at = line.find('"published": "')
            if at >= 0 and line[at + 14 : at + 24] in keys:
                yield line


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Scores on every pair, and on the pairs of which the bot keeps both articles, with timings."""

    all: PairScores
    kept: PairScores
    articles: int
    ingest_s: float
    index_s: float
    group_s: float

    def line(self) -> str:
        """One key=value line (the grouping's time is also given as a ratio to building the index)."""
        ratio = self.group_s / self.index_s if self.index_s else 0.0
        return (
            f"{self.all.line()} {self.kept.line('kept_')} articles={self.articles} "
            f"ingest_s={self.ingest_s:.1f} "
            f"index_s={self.index_s:.1f} group_s={self.group_s:.1f} group_to_index={ratio:.2f}"
        )


def evaluate_on_corpus(
    corpus: Path, workdir: Path, pairs_path: Path = PAIRS, progress: bool = False
) -> Evaluation:
    """Ingest the corpus around the pairs into a store in ``workdir``, index, group, and score."""
    from bot.ingest import ingest
    from bot.search.retriever import IndexRetriever
    from bot.store import Store

    from .grouping import StoryGrouper
    from .similarity import TermWeights

    pairs = load_pairs(pairs_path)
    workdir.mkdir(parents=True, exist_ok=True)
    records = workdir / "pairs-window.jsonl"
    with records.open("w", encoding="utf-8") as out:
        out.writelines(window_lines(corpus, pairs))
    store = Store(workdir / "newsbot.sqlite3")
    try:
        t0 = time.monotonic()
        ingest([records], store, progress=progress)
        t1 = time.monotonic()
        retriever = IndexRetriever(store, None)
        retriever.rebuild()
        t2 = time.monotonic()
        StoryGrouper(store, TermWeights.of_retriever(retriever)).update()
        t3 = time.monotonic()
        uids = {p.a for p in pairs} | {p.b for p in pairs}
        kept = store.stories.live_ids_by_uid(uids)
        stories = store.stories.story_of(kept.values())
        all_scores = score(pairs, lambda uid: stories.get(kept[uid]) if uid in kept else None)
        kept_pairs = [p for p in pairs if p.a in kept and p.b in kept]
        kept_scores = score(kept_pairs, lambda uid: stories.get(kept[uid]))
        articles = store.articles.count(include_flagged=True)
        return Evaluation(all_scores, kept_scores, articles, t1 - t0, t2 - t1, t3 - t2)
    finally:
        store.close()
