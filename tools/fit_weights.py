"""Refit the two linear models of :mod:`bot.answer.rank` on questions with known answers.

    NEWSBOT_DATA_DIR=... python -m tools.fit_weights ../shared/data/news/questions-dev.jsonl

Prints a held-out check across time (fit on the questions of the earliest year, measure on the later
ones, and the other way round; even/odd questions when the file holds one year) and then the weights
fitted on all questions, to paste into ``WINDOW_WEIGHTS`` and ``RESULT_WEIGHTS``. Only general
features are fitted (see :mod:`bot.answer.windows`); a label is "the normalized answer occurs in the
title + quote the user would be shown", exactly as the eval counts it. The quiz choices are never read.

Both fits are listwise — a softmax over the windows of one article (stage 1), over the results of one
question (stage 2) — because what matters is which window wins, not a calibrated probability. Stage 1
learns only from articles that hold the answer outside their title (otherwise every window is right or
every window is wrong, and nothing is learned about choosing one).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np

from bot.answer.evaluate import load_questions, normalize, normalize_answer
from bot.answer.pipeline import Answerer
from bot.answer.question import parse_question
from bot.answer.rank import RESULT_FEATURES, WINDOW_WEIGHTS, quote_window, window_candidates
from bot.answer.windows import WINDOW_FEATURES, window_features
from bot.services import open_services

Group = tuple[np.ndarray, np.ndarray]  # (feature rows, 0/1 labels)


@dataclass
class Sample:
    """One question's material: stage-1 groups (per article) and its ranked articles for stage 2."""

    windows: list[Group]
    question: dict


def window_groups(answerer: Answerer, q: dict) -> list[Group]:
    """Stage-1 groups of one question: the windows of each top article that holds the answer in its text."""
    day = date.fromisoformat(q["date"])
    parsed = parse_question(q["question"], day)
    if not answerer.analyzer.analyze(parsed.text):
        return []
    profile = answerer.profile(parsed)
    answer = normalize_answer(q["answer"])
    cfg = answerer.config
    groups = []
    for article, _ in answerer.ranked_articles(parsed, profile, day)[: cfg.articles]:
        if answer in normalize(article.title) or answer not in normalize(article.text):
            continue
        index = answerer.sentence_index(article)
        found = window_features(index, profile, set(answerer.analyzer.analyze(article.title)),
                                max_sentences=cfg.quote_sentences, max_chars=cfg.max_quote_chars)  # fmt: skip
        labels = []
        for lo, hi in zip(found.lo.tolist(), found.hi.tolist()):
            text = article.text[index.starts[lo] : index.ends[hi - 1]]
            if len(text) > cfg.max_quote_chars:  # trimmed when shown: label what is shown
                text = quote_window(article.text, index, lo, hi, profile, answerer.analyzer.analyze_with_spans,
                                    cfg.max_quote_chars).quote.text  # fmt: skip
            labels.append(answer in normalize(text))
        y = np.asarray(labels, dtype=np.float64)
        if 0 < y.sum() < len(y):
            groups.append((found.features, y))
    return groups


def result_group(answerer: Answerer, q: dict, window_weights: Sequence[float]) -> Group | None:
    """Stage-2 group of one question: every candidate result (with these stage-1 weights) and its label."""
    day = date.fromisoformat(q["date"])
    parsed = parse_question(q["question"], day)
    if not answerer.analyzer.analyze(parsed.text):
        return None
    profile = answerer.profile(parsed)
    ranked = answerer.ranked_articles(parsed, profile, day)
    an = answerer.analyzer
    found = window_candidates(ranked, profile, answerer.config, answerer.sentence_index, an.analyze,
                              an.analyze_with_spans, (), day, window_weights=window_weights)  # fmt: skip
    if not found:
        return None
    answer = normalize_answer(q["answer"])
    y = np.asarray(
        [answer in normalize(f"{c.article.title}\n{c.selection.quote.text}") for c in found], float
    )
    if not y.any():
        return None
    return np.asarray([c.features for c in found], dtype=np.float64), y


def fit_listwise(groups: Sequence[Group], l2: float = 1.0) -> np.ndarray:
    """Weights maximizing Σ log(softmax mass of the positives) per group, with an L2 penalty."""
    from scipy.optimize import minimize

    x = np.vstack([g[0] for g in groups])
    y = np.concatenate([g[1] for g in groups])
    gid = np.concatenate([np.full(len(g[1]), i) for i, g in enumerate(groups)])
    n = len(groups)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        s = x @ w
        top = np.full(n, -np.inf)
        np.maximum.at(top, gid, s)
        e = np.exp(s - top[gid])
        den = np.zeros(n)
        np.add.at(den, gid, e)
        num = np.zeros(n)
        np.add.at(num, gid, e * y)
        value = -np.sum(np.log(num) - np.log(den)) + l2 * float(w @ w)
        grad = x.T @ (e / den[gid] - e * y / num[gid]) + 2 * l2 * w
        return value, grad

    return minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 1000}).x


def top1(groups: Sequence[Group], w: Sequence[float]) -> float:
    """Share of groups whose best-scoring row is a positive (ties: first row)."""
    if not groups:
        return 0.0
    return sum(float(y[int(np.argmax(x @ np.asarray(w)))] > 0) for x, y in groups) / len(groups)


def fit_both(answerer: Answerer, questions: Sequence[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Stage-1 weights, then stage-2 weights on the candidates those produce."""
    w1 = fit_listwise([g for q in questions for g in window_groups(answerer, q)])
    groups = [g for q in questions if (g := result_group(answerer, q, w1)) is not None]
    return w1, fit_listwise(groups)


def splits(questions: Sequence[dict]) -> list[tuple[str, list[dict], list[dict]]]:
    """Held-out splits across time: the first year against the rest and back (even/odd for one year).

    A held-out set of later years judges the shipped weights, so a feature must carry over in time.
    """
    first = min(q["date"][:4] for q in questions)
    early = [q for q in questions if q["date"][:4] == first]
    late = [q for q in questions if q["date"][:4] != first]
    if not late:
        return [("fit even, check odd", questions[::2], questions[1::2])]
    return [(f"fit {first}, check later", early, late), (f"fit later, check {first}", late, early)]


def main(argv: Sequence[str] | None = None) -> int:
    """Fit on one year and report on the others (both ways), then fit on all and print the weights."""
    p = argparse.ArgumentParser(prog="python -m tools.fit_weights", description=__doc__.split("\n\n")[0])
    p.add_argument("questions", type=Path)
    p.add_argument("--sample", type=int, default=None, help="N questions spread over the file")
    args = p.parse_args(argv)
    questions = [q for q in load_questions(args.questions, sample=args.sample) if q.get("answer_in_corpus")]
    services = open_services(ingest_bundled=False)
    try:
        answerer = services.answerer
        answerer = Answerer(answerer.store, answerer.retriever, config=replace(answerer.config, min_score=None),
                            analyzer=answerer.analyzer)  # fmt: skip
        for name, train, test in splits(questions):
            w1, w2 = fit_both(answerer, train)
            held = [g for q in test for g in window_groups(answerer, q)]
            print(f"{name}: stage 1 first window right {top1(held, w1):.3f} (shipped weights "
                  f"{top1(held, WINDOW_WEIGHTS):.3f}) over {len(held)} articles")  # fmt: skip
            held2 = [g for q in test if (g := result_group(answerer, q, w1)) is not None]
            print(f"{name}: stage 2 first result right {top1(held2, w2):.3f} of questions with a right "
                  f"candidate")  # fmt: skip
        w1, w2 = fit_both(answerer, questions)
    finally:
        services.close()
    print("WINDOW_WEIGHTS =", "(" + ", ".join(f"{v:.3f}" for v in w1) + ")", "#", ", ".join(WINDOW_FEATURES))
    print("RESULT_WEIGHTS =", "(" + ", ".join(f"{v:.3f}" for v in w2) + ")", "#", ", ".join(RESULT_FEATURES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
