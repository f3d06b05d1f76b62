"""`eval` against a store that lacks the questions' period says so instead of printing bare zeros."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.answer.coverage import coverage, question_dates

from .ingest_support import SEED


def write_questions(path: Path, dates: list[str]) -> Path:
    rows = [{"id": f"q{i}", "date": d, "question": "Why did NATO ministers meet in Bucharest?",
             "answer": "Ukraine", "answer_in_corpus": True} for i, d in enumerate(dates)]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def bundled_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory holding only the bundled article (29 Nov 2022), as on a fresh clone."""
    for name in list(os.environ):
        if name.startswith("NEWSBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NEWSBOT_ANSWER_WORKERS", "0")
    assert main(["ingest", "--no-progress", str(SEED)]) == 0
    return tmp_path


def test_eval_against_a_store_without_the_questions_period_warns(
    bundled_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = write_questions(bundled_store / "q.jsonl", ["2024-03-01", "2024-05-10", "2025-01-03", "2022-12-01"])
    capsys.readouterr()
    assert main(["eval", str(questions), "--quiet", "--report", str(bundled_store / "r.json")]) == 0
    err = capsys.readouterr().err
    assert "warning: the store lacks most of the questions' period: 1 of 4 questions (25%)" in err
    assert "The questions run 2022-12-01 to 2025-01-03; the store holds 1 article, 2022-11-29 to 2022-11-29" in err


def test_eval_against_a_store_that_covers_the_questions_says_nothing(
    bundled_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = write_questions(bundled_store / "q.jsonl", ["2022-11-30", "2022-12-05"])
    capsys.readouterr()
    assert main(["eval", str(questions), "--quiet", "--report", str(bundled_store / "r.json")]) == 0
    out, err = capsys.readouterr()
    assert "warning" not in err and "warning" not in out
    assert "recall@1=1.000" in out  # the store really answers these


def test_coverage_counts_questions_with_an_article_in_their_window() -> None:
    per_day = {date(2022, 1, 1): 3, date(2022, 3, 1): 1}
    dates = question_dates([{"date": "2022-01-01"}, {"date": "2022-01-15"}, {"date": "2022-01-16"},
                            {"date": "2021-12-31"}, {"date": "not a date"}, {}])  # fmt: skip
    cov = coverage(dates, per_day)
    assert (cov.questions, cov.covered) == (4, 2)  # the day itself and 14 days after count; before does not
    assert cov.warning() is None  # half covered is not "most lacking"
    assert coverage([date(2023, 1, 1)], per_day).warning() is not None
    assert coverage([date(2023, 1, 1)], {}).warning() is not None
    assert coverage([], {}).warning() is None  # no dated questions: nothing to compare
