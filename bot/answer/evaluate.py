"""Answer recall@k, built into the product: `python -m bot eval QUESTIONS.jsonl [--baseline]`.

Definition (see the data README): each question is answered *as of its date* (nothing published later
is searchable) and counts as answered at k when the normalized answer occurs in what the user is shown
for one of the top-k results — the quoted sentences and the title. Recall on the full passage around
each quote is reported beside it as a diagnostic (how much the quote trimming costs). Recall and MRR are
over questions with ``answer_in_corpus: true``; on the others we report how often the bot says plainly
that it has no answer.

``--baseline`` runs, in the same process, plain BM25Okapi (rank-bm25's formula, k1 1.5, b 0.75) over
whole *uncleaned* passages (the raw corpus's paragraphs merged to ≥ 200 characters), with no date
handling at all, so every figure has its reference beside it. The baseline's scores are computed from
rank-bm25's own statistics through a sparse matrix, because calling ``get_scores`` on 585k passages
takes seconds per question.
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path

from bot.search.passages import passage_spans

from .pipeline import Answerer, Ranked
from .rank import passes_floor
from .types import ANSWERS

KS = (1, 3, 5, 10)
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'",
                         "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"'})  # fmt: skip
_WS = re.compile(r"\s+")


def normalize(text: str) -> str:
    """The README's normalization: straight quotes, one space per whitespace run, trimmed, lower-case."""
    return _WS.sub(" ", text.translate(_QUOTES)).strip().lower()


def normalize_answer(answer: str) -> str:
    """Answers also lose quote characters at both ends (“Squid Game” matches squid game)."""
    return normalize(answer).strip("'\"").strip()


@dataclass
class QuestionResult:
    """One question's outcome, written to the per-question report."""

    id: str
    date: str
    question: str
    answer: str
    answerable: bool
    rank: int | None  # rank of the first result whose shown text holds the answer
    passage_rank: int | None  # same on the full passage around each quote (diagnostic)
    no_answer: bool
    ms: float
    shown: list[dict] = field(default_factory=list)
    rank_no_floor: int | None = None  # ``rank`` had the no-answer floor been off
    passage_rank_no_floor: int | None = None
    no_answer_no_floor: bool = False
    # rank of the first *distinct article* among the results (floor off) whose title + full text holds the
    # answer: how often retrieval put the right article in front of the quoting (diagnostic)
    article_rank: int | None = None
    # rank (floor off) had each result shown its first quote only, without the collapsed second excerpt
    first_quote_rank: int | None = None


@dataclass
class Summary:
    """The figures printed at the end of an eval."""

    n: int
    recall: dict[int, float]
    mrr: float
    passage_recall: dict[int, float]
    no_answer_rate_unanswerable: float
    no_answer_rate_answerable: float
    p50_ms: float
    n_unanswerable: int
    article_recall: dict[int, float] = field(default_factory=dict)
    first_quote_recall: dict[int, float] = field(default_factory=dict)

    def line(self, prefix: str = "") -> str:
        """One line of key=value figures."""
        parts = [f"n={self.n}"] + [f"recall@{k}={self.recall[k]:.3f}" for k in KS]
        parts += [f"mrr={self.mrr:.3f}", f"no_answer_rate_unanswerable={self.no_answer_rate_unanswerable:.3f}",
                  f"p50_ms={self.p50_ms:.0f}"]  # fmt: skip
        return prefix + " ".join(parts)


def load_questions(path: Path | str, limit: int | None = None, sample: int | None = None) -> list[dict]:
    """Questions from a JSON Lines file; ``sample`` takes every n-th one for a spread over time."""
    with open(path, encoding="utf-8") as f:
        questions = [json.loads(line) for line in f if line.strip()]
    if sample and sample < len(questions):
        step = len(questions) / sample
        questions = [questions[int(i * step)] for i in range(sample)]
    return questions[:limit] if limit else questions


def first_hit(texts: Sequence[str], answer: str) -> int | None:
    """1-based rank of the first text containing the normalized answer."""
    for i, text in enumerate(texts, start=1):
        if answer and answer in normalize(text):
            return i
    return None


def _passage_around(text: str, start: int, end: int) -> str:
    """The search passages covering ``text[start:end]`` (the quote's context, for the diagnostic)."""
    spans = [(s, e) for s, e in passage_spans(text) if s < max(end, start + 1) and e > start]
    if not spans:
        return text[start:end]
    return text[spans[0][0] : spans[-1][1]]


def evaluate_one(answerer: Answerer, q: dict, floor: float | None = None) -> QuestionResult:
    """Rank one question as of its date and score what would be shown, with and without ``floor``.

    ``answerer`` must have its own floor off; ``floor`` (the shipped one) is applied here to the same
    candidates, exactly as the pipeline applies it, so one ranking gives both figures.
    """
    day = date.fromisoformat(q["date"])
    t0 = time.perf_counter()
    ranked: Ranked = answerer.rank(q["question"], as_of=day)
    ms = (time.perf_counter() - t0) * 1000
    answer = normalize_answer(q["answer"])
    top = ranked.candidates[: max(KS)]
    firsts = [f"{c.article.title}\n{c.selection.quote.text}" for c in top]
    shown = [f"{first}\n{c.extra.quote.text}" if c.extra else first for first, c in zip(firsts, top)]
    passages = [
        "\n".join([c.article.title] + [_passage_around(c.article.text, sel.start, sel.end)
                                       for sel in (c.selection, c.extra) if sel is not None])
        for c in top
    ]  # fmt: skip
    open_rank = first_hit(shown, answer)
    open_passage_rank = first_hit(passages, answer)
    open_no_answer = ranked.no_answer is not None or ranked.kind != ANSWERS  # the newest stories answer nothing
    distinct = list({c.article.id: c.article for c in ranked.candidates}.values())[: max(KS)]
    article_rank = first_hit([f"{a.title}\n{a.text}" for a in distinct], answer)
    refused = open_no_answer or not passes_floor(ranked.candidates, floor)
    return QuestionResult(
        id=q["id"], date=q["date"], question=q["question"], answer=q["answer"],
        answerable=bool(q.get("answer_in_corpus", True)), rank=None if refused else open_rank,
        passage_rank=None if refused else open_passage_rank, no_answer=refused, ms=round(ms, 1),
        shown=[{"article_id": c.article.id, "title": c.article.title, "url": c.article.url,
                "published": c.article.published.isoformat(), "quote": c.selection.quote.text,
                "more": c.extra.quote.text if c.extra else None,
                "score": round(c.score, 4), "confidence": round(c.confidence, 3)} for c in top],
        rank_no_floor=open_rank, passage_rank_no_floor=open_passage_rank, no_answer_no_floor=open_no_answer,
        article_rank=article_rank, first_quote_rank=first_hit(firsts, answer),
    )  # fmt: skip


def without_floor(results: Sequence[QuestionResult]) -> list[QuestionResult]:
    """The same results as if the no-answer floor were off (for the floor-off row of the table)."""
    return [replace(r, rank=r.rank_no_floor, passage_rank=r.passage_rank_no_floor, no_answer=r.no_answer_no_floor)
            for r in results]  # fmt: skip


def summarize(results: Sequence[QuestionResult]) -> Summary:
    """Recall@k and MRR over answerable questions, no-answer rates, median latency."""
    answerable = [r for r in results if r.answerable]
    others = [r for r in results if not r.answerable]
    n = len(answerable) or 1

    def recall(ranks: Iterable[int | None]) -> dict[int, float]:
        ranks = list(ranks)
        return {k: sum(1 for r in ranks if r is not None and r <= k) / n for k in KS}

    return Summary(
        n=len(answerable),
        recall=recall(r.rank for r in answerable),
        mrr=sum(1 / r.rank for r in answerable if r.rank) / n,
        passage_recall=recall(r.passage_rank for r in answerable),
        no_answer_rate_unanswerable=sum(r.no_answer for r in others) / (len(others) or 1),
        no_answer_rate_answerable=sum(r.no_answer for r in answerable) / n,
        p50_ms=statistics.median([r.ms for r in results]) if results else 0.0,
        n_unanswerable=len(others),
        article_recall=recall(r.article_rank for r in answerable),
        first_quote_recall=recall(r.first_quote_rank for r in answerable),
    )


def run_eval(answerer: Answerer, questions: Sequence[dict], progress: bool = False) -> list[QuestionResult]:
    """Evaluate every question with ``answerer``'s configuration (its no-answer floor included).

    Questions are ranked by a twin answerer with the floor off and the floor applied afterwards, so the
    results also carry the floor-off figures (:func:`without_floor`) at no extra cost.
    """
    floor = answerer.config.min_score
    twin = Answerer(answerer.store, answerer.retriever, config=replace(answerer.config, min_score=None),
                    analyzer=answerer.analyzer, sentences=answerer.sentences)  # fmt: skip
    results = []
    for i, q in enumerate(questions, 1):
        results.append(evaluate_one(twin, q, floor))
        if progress and i % 250 == 0:
            print(f"  {i}/{len(questions)} questions", flush=True)
    return results


def write_report(path: Path | str, results: Sequence[QuestionResult], summary: Summary,
                 baseline: Sequence[QuestionResult] | None = None) -> None:  # fmt: skip
    """The per-question JSON report (rank of first hit, quoted passages) for error analysis."""
    base = {r.id: r for r in baseline or []}
    data = {
        "summary": asdict(summary),
        "questions": [
            {**asdict(r), **({"baseline_rank": base[r.id].rank} if r.id in base else {})} for r in results
        ],
    }
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def format_table(rows: Sequence[tuple[str, Summary]]) -> str:
    """A small table: one row per system, recall on shown text plus the full-passage diagnostic."""
    head = f"{'system':38s} " + " ".join(f"R@{k:<4d}" for k in KS) + "  MRR    R@5(passage) no-answer(unans) p50 ms"
    lines = [head]
    for name, s in rows:
        lines.append(
            f"{name:38s} " + " ".join(f"{s.recall[k]:.3f} " for k in KS)
            + f" {s.mrr:.3f}  {s.passage_recall[5]:.3f}        {s.no_answer_rate_unanswerable:.3f}"
            + f"            {s.p50_ms:.0f}"
        )  # fmt: skip
    return "\n".join(lines)


# -- the refusal trade-off ------------------------------------------------------------------------------

#: Floors on the best result's score swept by ``eval --curve`` (None = no floor).
CURVE_FLOORS: tuple[float | None, ...] = (None, 5.0, 5.5, 6.0, 6.4, 6.7, 7.0, 7.3, 7.6, 8.0, 8.5, 9.0)


@dataclass(frozen=True)
class CurvePoint:
    """What one no-answer floor does on a set of questions: recall kept against refusals."""

    floor: float | None
    recall1: float
    recall5: float
    refused_unanswerable: float
    refused_answerable: float


def top_score(result: QuestionResult) -> float | None:
    """The best result's score (what the floor is compared with), None when nothing was found."""
    return result.shown[0]["score"] if result.shown else None


def refused_at(result: QuestionResult, floor: float | None) -> bool:
    """Whether the question is refused with ``floor`` (found nothing, or the best result scores below it)."""
    score = top_score(result)
    return result.no_answer_no_floor or score is None or (floor is not None and score < floor)


def curve_point(results: Sequence[QuestionResult], floor: float | None) -> CurvePoint:
    """Recall@1/5 on answerable questions and both refusal rates, with ``floor`` applied to ``results``."""
    answerable = [r for r in results if r.answerable]
    others = [r for r in results if not r.answerable]
    n, u = len(answerable) or 1, len(others) or 1

    def kept(k: int) -> float:
        return sum(1 for r in answerable if r.rank_no_floor and r.rank_no_floor <= k and not refused_at(r, floor)) / n

    return CurvePoint(floor, kept(1), kept(5), sum(refused_at(r, floor) for r in others) / u,
                      sum(refused_at(r, floor) for r in answerable) / n)  # fmt: skip


def by_year(results: Sequence[QuestionResult]) -> dict[str, list[QuestionResult]]:
    """Results grouped by the year of the question's date (for the held-out check across years)."""
    out: dict[str, list[QuestionResult]] = {}
    for r in results:
        out.setdefault(r.date[:4], []).append(r)
    return dict(sorted(out.items()))


def floor_for(results: Sequence[QuestionResult], refused_unanswerable: float) -> float | None:
    """The lowest floor refusing at least ``refused_unanswerable`` of the unanswerable ``results``."""
    scores = sorted({s for r in results if not r.answerable and (s := top_score(r)) is not None})
    for s in scores:
        floor = s + 1e-6  # refuses this one and every lower one
        if curve_point(results, floor).refused_unanswerable >= refused_unanswerable:
            return floor
    return None


def format_curve(results: Sequence[QuestionResult], floors: Sequence[float | None] = CURVE_FLOORS,
                 target: float = 0.5) -> str:  # fmt: skip
    """The refusal trade-off: one row per floor, on all questions and per year; then a floor chosen on one
    year to refuse ``target`` of its unanswerable questions, checked on the other years (held out)."""
    years = by_year(results)
    head = (f"{'floor':>6s} | {'R@1':>5s} {'R@5':>5s} {'ref.un':>6s} {'ref.ans':>7s} | "
            + " | ".join(f"{y}: {'R@5':>5s} {'ref.un':>6s} {'ref.ans':>7s}" for y in years))  # fmt: skip
    title = "refusal trade-off (floor on the best result's score; R@k on answerable questions, a refusal is a miss)"
    lines = [title, head]
    for floor in floors:
        p = curve_point(results, floor)
        row = (f"{'off' if floor is None else f'{floor:.1f}':>6s} | {p.recall1:.3f} {p.recall5:.3f} "
               f"{p.refused_unanswerable:6.3f} {p.refused_answerable:7.3f} | ")  # fmt: skip
        cells = []
        for y, rs in years.items():
            q = curve_point(rs, floor)
            cells.append(f"{y}: {q.recall5:.3f} {q.refused_unanswerable:6.3f} {q.refused_answerable:7.3f}")
        lines.append(row + " | ".join(cells))
    for year, rs in years.items():
        floor = floor_for(rs, target)
        if floor is None:
            continue
        checks = []
        for other, held in years.items():
            if other != year:
                q = curve_point(held, floor)
                checks.append(f"{other}: R@5 {q.recall5:.3f}, refused {q.refused_unanswerable:.3f} of "
                              f"unanswerable and {q.refused_answerable:.3f} of answerable")  # fmt: skip
        if checks:
            lines.append(f"floor {floor:.2f} refuses {target:.0%} of {year}'s unanswerable questions; held out, "
                         + "; ".join(checks))  # fmt: skip
    return "\n".join(lines)


# -- the baseline ---------------------------------------------------------------------------------------


class Baseline:
    """rank-bm25's BM25Okapi over raw (uncleaned) passages, no date handling: the reference figures."""

    def __init__(self, corpus_path: Path | str, min_chars: int = 200) -> None:
        import numpy as np
        import scipy.sparse as sp
        from rank_bm25 import BM25Okapi

        from bot.search.analyzer import default_analyzer

        self.analyzer = default_analyzer()
        self.titles: list[str] = []
        self.texts: list[str] = []
        self.published: list[int] = []
        docs: list[list[str]] = []
        opener = gzip.open if str(corpus_path).endswith(".gz") else open
        with opener(corpus_path, "rt", encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                day = date.fromisoformat(rec["published"]).toordinal()
                for passage in _merge_lines(rec.get("text", ""), min_chars):
                    self.titles.append(rec.get("title", ""))
                    self.texts.append(passage)
                    self.published.append(day)
                    docs.append(self.analyzer.analyze(passage))
        bm25 = BM25Okapi(docs)
        vocab = {t: i for i, t in enumerate(bm25.idf)}
        rows, cols, vals = [], [], []
        avg = bm25.avgdl
        for row, (freqs, length) in enumerate(zip(bm25.doc_freqs, bm25.doc_len)):
            norm = bm25.k1 * (1 - bm25.b + bm25.b * length / avg)
            for term, tf in freqs.items():
                rows.append(row)
                cols.append(vocab[term])
                vals.append(tf * (bm25.k1 + 1) / (tf + norm))
        self.vocab = vocab
        self.idf = np.array([bm25.idf[t] for t in vocab], dtype=np.float64)
        self.matrix = sp.csc_matrix((vals, (rows, cols)), shape=(len(docs), len(vocab)))
        self.np = np

    def top(self, question: str, k: int = 10) -> list[int]:
        """Passage rows of the top-k for the raw question (no date parsing, no as-of cut)."""
        np = self.np
        scores = np.zeros(self.matrix.shape[0])
        for term in self.analyzer.analyze(question):
            col = self.vocab.get(term)
            if col is None:
                continue
            lo, hi = self.matrix.indptr[col], self.matrix.indptr[col + 1]
            scores[self.matrix.indices[lo:hi]] += self.idf[col] * self.matrix.data[lo:hi]
        top = np.argpartition(-scores, min(k, len(scores) - 1))[:k]
        return sorted(top.tolist(), key=lambda i: -scores[i])

    def evaluate(self, questions: Sequence[dict]) -> list[QuestionResult]:
        """Baseline results; the shown text is the whole passage (no title), as in the README table."""
        out = []
        for q in questions:
            t0 = time.perf_counter()
            rows = self.top(q["question"], max(KS))
            ms = (time.perf_counter() - t0) * 1000
            shown = [self.texts[i] for i in rows]
            rank = first_hit(shown, normalize_answer(q["answer"]))
            out.append(QuestionResult(q["id"], q["date"], q["question"], q["answer"],
                                      bool(q.get("answer_in_corpus", True)), rank, rank, False, round(ms, 1)))  # fmt: skip
        return out


def _merge_lines(text: str, min_chars: int) -> list[str]:
    """Paragraphs (lines) merged until each has at least ``min_chars`` characters."""
    out, buf = [], []
    for line in (ln.strip() for ln in text.split("\n")):
        if not line:
            continue
        buf.append(line)
        if sum(len(x) for x in buf) >= min_chars:
            out.append("\n".join(buf))
            buf = []
    if buf:
        out.append("\n".join(buf))
    return out
