"""`python -m bot eval QUESTIONS.jsonl [--baseline]`: answer recall@k as the data README defines it."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `eval` subcommand."""
    p = sub.add_parser("eval", help="measure answer recall@1/3/5/10, MRR and the no-answer rate",
                       description="Evaluate each question as of its date against the configured store.")
    p.add_argument("questions", type=Path, help="JSON Lines questions (schema of questions-dev.jsonl)")
    p.add_argument("--baseline", action="store_true",
                   help="also run plain rank-bm25 over raw passages, no date handling (needs --corpus)")
    p.add_argument("--corpus", type=Path, default=None,
                   help="raw articles.jsonl.gz for the baseline (default: articles.jsonl.gz beside QUESTIONS)")
    p.add_argument("--report", type=Path, default=Path("eval-report.json"),
                   help="per-question JSON report (default %(default)s)")
    p.add_argument("--limit", type=int, default=None, help="only the first N questions")
    p.add_argument("--sample", type=int, default=None, help="N questions spread evenly over the file")
    p.add_argument("--floor", default=None, metavar="SCORE",
                   help="no-answer floor on the best result's score to evaluate instead of the shipped one "
                        "('none' = off)")
    p.add_argument("--curve", action="store_true",
                   help="also print the refusal trade-off: recall against refusals for a range of floors, per year")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate, print the table and the key=value line, write the report."""
    from bot.answer.coverage import coverage, question_dates
    from bot.answer.evaluate import (
        Baseline,
        format_curve,
        format_table,
        load_questions,
        run_eval,
        summarize,
        without_floor,
        write_report,
    )
    from bot.cli import notice
    from bot.services import open_services

    if not args.questions.exists():
        print(f"error: no such file: {args.questions}")
        return 2
    questions = load_questions(args.questions, limit=args.limit, sample=args.sample)
    config = None
    if args.floor is not None:
        from dataclasses import replace

        from bot.answer.rank import RankConfig

        try:
            floor = None if args.floor.lower() in ("none", "off") else float(args.floor)
        except ValueError:
            print(f"error: --floor takes a number or 'none', not {args.floor!r}")
            return 2
        config = replace(RankConfig(), min_score=floor)
    services = open_services(config=config, report=None if args.quiet else notice)
    try:
        gap = coverage(question_dates(questions), services.store.articles.per_day()).warning()
        if gap:
            notice(gap)  # before the run, so a long evaluation against the wrong store can be stopped
        results = run_eval(services.answerer, questions, progress=not args.quiet)
    finally:
        services.close()
    summary = summarize(results)
    open_summary = summarize(without_floor(results))
    floor = services.answerer.config.min_score
    rows = [("answers, no-answer floor off", open_summary),
            (f"answers, floor {floor} (shipped)" if floor is not None else "answers (shipped, no floor)", summary)]
    baseline_results = None
    if args.baseline:
        corpus = args.corpus or args.questions.parent / "articles.jsonl.gz"
        if not corpus.exists():
            print(f"error: baseline needs the raw corpus; not found: {corpus} (use --corpus)")
            return 2
        if not args.quiet:
            print("building the baseline (rank-bm25 over raw passages)...", flush=True)
        baseline_results = Baseline(corpus).evaluate(questions)
        rows.insert(0, ("baseline: rank-bm25, raw, no dates", summarize(baseline_results)))
    if floor is None:
        rows = [r for r in rows if not r[0].startswith("answers, no-answer floor off")]
    print(format_table(rows))
    print(f"answerable n={summary.n}, unanswerable n={summary.n_unanswerable}; full-passage recall "
          + " ".join(f"R@{k}={v:.3f}" for k, v in summary.passage_recall.items())
          + f"; no-answer on answerable {summary.no_answer_rate_answerable:.3f}")
    print("article recall (answer anywhere in the title + text of the top-k distinct quoted articles, floor off) "
          + " ".join(f"R@{k}={v:.3f}" for k, v in summary.article_recall.items()))
    print("first quote only (the collapsed second excerpt of each result not counted, floor off) "
          + " ".join(f"R@{k}={v:.3f}" for k, v in summary.first_quote_recall.items()))
    if args.curve:
        print(format_curve(results))
    write_report(args.report, results, summary, baseline_results)
    print(f"report: {args.report}")
    if baseline_results is not None:
        print(summarize(baseline_results).line("baseline: "))
    print(open_summary.line("floor off: "))
    print(summary.line())
    if gap:
        notice(gap)  # again below the figures it explains
    return 0
