"""tools/compare_eval.py: two eval reports are the same answers when only their timings differ."""

from __future__ import annotations

import json
from pathlib import Path

from tools.compare_eval import main


def _report(path: Path, quote: str, ms: float) -> Path:
    data = {"summary": {"n": 1, "recall": {"1": 1.0}, "p50_ms": ms},
            "questions": [{"id": "q1", "rank": 1, "ms": ms, "shown": [{"quote": quote, "score": 7.1}]}]}  # fmt: skip
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_only_timings_may_differ(tmp_path: Path, capsys) -> None:
    before = _report(tmp_path / "a.json", "The airline weighs passengers.", 40.0)
    assert main([str(before), str(_report(tmp_path / "b.json", "The airline weighs passengers.", 9.0))]) == 0
    assert "differing=0 summary_equal=yes" in capsys.readouterr().out
    assert main([str(before), str(_report(tmp_path / "c.json", "Another quote.", 9.0))]) == 1
    assert "differs: q1" in capsys.readouterr().out
