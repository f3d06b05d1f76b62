"""Which signals separate answerable from unanswerable questions? The no-answer floor's alternatives, measured.

    python -m bot eval ../shared/data/news/questions-dev.jsonl --report /tmp/report.json
    NEWSBOT_DATA_DIR=... python bench/refusal_signals.py --report /tmp/report.json

Reads the per-question report of `eval` (its results with the floor off) and the store/index it ran on, and
computes, for each question, signals that issue #15 suggests besides the best result's score: the share
of the question's IDF mass in the top result's title + quote (a question word unknown to the corpus counts
at the largest IDF), whether the question's rarest word is in the top result or in any of the top five
articles, whether the question's capitalised names are in the top article, and how rare the rarest word it
shares with the top result is ("shares only common words"). It prints each signal's AUC (answerable vs
unanswerable), a few refusal rules beside the score floor, and logistic models over several signals
fitted on one year and checked on the other, at the same refusal rate of unanswerable questions as the
shipped floor in that year. Ends with one key=value line. See docs/ranking.md for what it showed.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from datetime import date
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.stats import mannwhitneyu

from bot.answer.question import parse_question
from bot.services import open_services

_CAPITALISED = re.compile(r"(?<![\w'’])[A-Z][\w'’.-]*")
FLOOR = 6.7


def question_signals(q: dict, analyze, idf, get_article, max_idf: float) -> dict[str, float]:
    """The signals of one question from its report entry (floor off)."""
    parsed = parse_question(q["question"], date.fromisoformat(q["date"]))
    weights = {t: (idf(t) or max_idf) for t in dict.fromkeys(analyze(parsed.text))}  # unknown: the rarest
    total = sum(weights.values()) or 1.0
    shown = q["shown"][:5]
    scores = [s["score"] for s in shown] + [-5.0] * (3 - len(shown))
    if not shown or not weights:
        return {"score": scores[0], "score2": scores[1], "score3": scores[2], "confidence": 0.0, "cov_shown": 0.0,
                "cov_article": 0.0, "rarest_shown": 0.0, "rarest_top5": 0.0, "names_article": 0.0,
                "rarest_shared": 0.0}  # fmt: skip
    top_terms = set(analyze(f"{shown[0]['title']}\n{shown[0]['quote']}"))
    articles = [get_article(s["article_id"]) for s in shown]
    art_terms = [set(analyze(f"{a.title}\n{a.text}")) if a else set() for a in articles]
    rarest = max(weights, key=weights.get)
    names = {t for w in _CAPITALISED.findall(parsed.text)[1:] for t in analyze(w) if t in weights}
    shared = [weights[t] for t in weights if t in top_terms]
    return {
        "score": scores[0], "score2": scores[1], "score3": scores[2], "confidence": shown[0]["confidence"],
        "cov_shown": sum(w for t, w in weights.items() if t in top_terms) / total,
        "cov_article": sum(w for t, w in weights.items() if t in art_terms[0]) / total,
        "rarest_shown": float(rarest in top_terms), "rarest_top5": float(any(rarest in t for t in art_terms)),
        "names_article": float(all(t in art_terms[0] for t in names)) if names else 1.0,
        "rarest_shared": max(shared, default=0.0) / max(weights.values()),
    }  # fmt: skip


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0):
    """A small L2 logistic regression (standardised inputs); returns the decision function."""
    mu, sd = x.mean(0), x.std(0) + 1e-9
    z = np.c_[(x - mu) / sd, np.ones(len(x))]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        p = z @ w
        grad = ((1 / (1 + np.exp(-p)) - y) @ z) / len(z) + np.r_[2 * l2 * w[:-1] / len(z), 0]
        return float((np.logaddexp(0, p) - y * p).mean() + l2 * (w[:-1] ** 2).sum() / len(z)), grad

    w = minimize(loss, np.zeros(z.shape[1]), jac=True, method="L-BFGS-B").x
    return lambda x2: np.c_[(x2 - mu) / sd, np.ones(len(x2))] @ w


def at_rate(refuse_score: np.ndarray, unanswerable: np.ndarray, hit5: np.ndarray, rate: float) -> tuple[float, float]:
    """Refusing the ``rate`` share of unanswerable questions with the highest ``refuse_score``: (R@5, refused
    share of answerable)."""
    threshold = np.quantile(refuse_score[unanswerable], 1 - rate)
    refused = refuse_score >= threshold
    answerable = ~unanswerable
    return float((hit5 & ~refused)[answerable].mean()), float(refused[answerable].mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--report", type=Path, default=Path("eval-report.json"), help="the per-question report of eval")
    args = ap.parse_args()
    report = json.loads(args.report.read_text(encoding="utf-8"))["questions"]
    services = open_services()
    try:
        index = services.retriever.articles  # type: ignore[attr-defined]
        analyze = services.answerer.analyzer.analyze
        n = services.store.articles.count()
        max_idf = math.log((n - 0.5) / 1.5)  # rank-bm25's idf of a word in one article: the rarest there is
        rows = [question_signals(q, analyze, index.idf, services.store.articles.get, max_idf) for q in report]
    finally:
        services.close()
    names = list(rows[0])
    x = np.array([[r[n] for n in names] for r in rows], dtype=float)
    unanswerable = np.array([not q["answerable"] for q in report])
    hit5 = np.array([bool(q["rank_no_floor"] and q["rank_no_floor"] <= 5) for q in report])
    year = np.array([q["date"][:4] for q in report])

    print("signal AUC (answerable above unanswerable; 0.5 = no separation)")
    for i, n in enumerate(names):
        a, u = x[~unanswerable, i], x[unanswerable, i]
        print(f"  {n:14s} {mannwhitneyu(a, u).statistic / (len(a) * len(u)):.3f}")

    col = {n: i for i, n in enumerate(names)}
    floor = x[:, col["score"]] < FLOOR
    print("\nrules (all years): refused unanswerable / refused answerable / R@5")
    rules = {f"floor {FLOOR}": floor, "rarest word not in the top result": x[:, col["rarest_shown"]] == 0,
             f"floor {FLOOR} or rarest word not in the top result": floor | (x[:, col["rarest_shown"]] == 0),
             f"floor {FLOOR} or rarest word in none of the top 5 articles": floor | (x[:, col["rarest_top5"]] == 0),
             f"floor {FLOOR} or a name missing from the top article": floor | (x[:, col["names_article"]] == 0),
             "title + quote hold < 50 % of the IDF mass": x[:, col["cov_shown"]] < 0.5}  # fmt: skip
    for name, refused in rules.items():
        print(f"  {name:58s} {refused[unanswerable].mean():.3f} / {refused[~unanswerable].mean():.3f} / "
              f"{(hit5 & ~refused)[~unanswerable].mean():.3f}")  # fmt: skip

    sets = {"score": ["score"], "top-3 scores": ["score", "score2", "score3"],
            "scores + coverage": ["score", "score2", "score3", "confidence", "cov_shown", "cov_article"],
            "all signals": names}  # fmt: skip
    print("\nheld out across years, at the shipped floor's refusal rate of unanswerable questions in that year:"
          "\n  model: R@5 / refused answerable (fitted on the other year; the score alone needs no fit)")  # fmt: skip
    gains = []
    for test, train in (("2023", "2022"), ("2022", "2023")):
        te, tr = year == test, year == train
        rate = float(floor[te & unanswerable].mean())
        print(f" {test} (shipped floor refuses {rate:.3f} of unanswerable, {floor[te & ~unanswerable].mean():.3f} "
              f"of answerable; R@5 {(hit5 & ~floor)[te & ~unanswerable].mean():.3f})")  # fmt: skip
        base = None
        for name, cols in sets.items():
            xs = x[:, [col[c] for c in cols]]
            refuse = -xs[:, 0] if name == "score" else fit_logistic(xs[tr], unanswerable[tr].astype(float))(xs)
            r5, ref_a = at_rate(refuse[te], unanswerable[te], hit5[te], rate)
            base = r5 if base is None else base
            if name == "all signals":
                gains.append(r5 - base)
            print(f"  {name:18s} {r5:.3f} / {ref_a:.3f}")
    print("signals=" + ",".join(names) + f" questions={len(report)} "
          + " ".join(f"all_signals_r5_gain_{y}={g:+.3f}" for y, g in zip(("2023", "2022"), gains)))  # fmt: skip


if __name__ == "__main__":
    main()
