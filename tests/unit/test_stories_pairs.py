"""The story grouping's precision and recall on the 200 hand-labelled pairs, on the real path (ingest,
index, grouping) over the part of the shared corpus around them (about 9k articles, ~30-90 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.stories.evaluate import evaluate_on_corpus

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "data" / "news" / "articles.jsonl.gz"


@pytest.mark.shared
def test_grouping_meets_its_targets_on_the_labelled_pairs(tmp_path: Path) -> None:
    if not CORPUS.exists():
        pytest.skip(f"needs the shared corpus at {CORPUS} (../shared/data/news/articles.jsonl.gz)")
    result = evaluate_on_corpus(CORPUS, tmp_path)
    print(result.line())
    assert result.all.tp + result.all.fn == 67  # the labels: 67 same-story pairs of 200
    assert result.all.precision >= 0.95, result.line()
    assert result.all.recall >= 0.8, result.line()
