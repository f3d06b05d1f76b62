"""Page furniture in shown results: a labelled random sample, and the rate measured on it.

    # once: draw 300 shown results of a full dev run (fixed seed) for labelling by hand
    python bench/furniture.py draw eval-report.json --out bench/furniture/sample.jsonl
    # any time: the rate on the labelled slots for a new run of the same questions
    python -m bot eval ../shared/data/news/questions-dev.jsonl --report /tmp/after.json
    python bench/furniture.py measure bench/furniture/sample.jsonl /tmp/after.json

A *shown result* is one entry of a question's ``shown`` list in the eval report (title, quote and the
collapsed second excerpt of one of the top-10 results, floor off). The labels in the sample were made
by reading each result (never with the recognizer under test): ``furniture`` says whether the shown
text carries a furniture line, ``lines`` lists each furniture line (or part of a line) with its class.

``measure`` reports, for the sampled (question, rank) slots of a new run: how many show the same text
as when labelled (their label stands), how many show the labelled furniture again, and how many show
new text (those must be read again: they are printed for labelling, and labels for them can be added
as ``relabels`` in a JSONL file given with ``--relabels``). With ``--store`` (the data
directory the sample was drawn from) it also reports the recognizer's precision and recall on the
labelled paragraphs: every paragraph a sampled result shows is a furniture one when it holds a labelled
furniture span, else a clean one. The last line is ``key=value``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CLASSES = ("byline", "credit", "caption", "related", "note", "prompt")
"""Bylines/datelines, photo/video credits, gallery captions, related-link lines, contributor/editor
notes, newsletter/subscription prompts."""


def _slots(report: dict) -> dict[str, dict]:
    slots = {}
    for q in report["questions"]:
        for rank, item in enumerate(q.get("shown") or [], start=1):
            slots[f"{q['id']}#{rank}"] = {"slot": f"{q['id']}#{rank}", "question": q["question"],
                                         "article_id": item["article_id"], "url": item["url"],
                                         "title": item["title"], "quote": item["quote"],
                                         "more": item.get("more")}  # fmt: skip
    return slots


def draw(report_path: Path, out: Path, n: int, seed: int) -> int:
    """Write ``n`` shown results drawn at random (fixed seed) for labelling."""
    report = json.loads(report_path.read_text(encoding="utf-8"))
    slots = _slots(report)
    keys = sorted(slots)
    picked = random.Random(seed).sample(keys, n)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for key in picked:
            f.write(json.dumps({**slots[key], "furniture": None, "lines": []}, ensure_ascii=False) + "\n")
    print(f"drew {n} of {len(keys)} shown results (seed {seed}) -> {out}")
    return 0


def shown_text(item: dict) -> str:
    """What the user reads for one result: the title, the quote and the second excerpt."""
    return "\n".join(x for x in (item["title"], item["quote"], item.get("more") or "") if x)


def _lines(item: dict) -> list[str]:
    """The title, then every line of the quote and the second excerpt, without the "…" marks."""
    return [ln.strip(" …") for ln in shown_text(item).split("\n") if ln.strip(" …")]


def load_sample(path: Path) -> list[dict]:
    """The labelled sample (every item must carry a label)."""
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    missing = [i["slot"] for i in items if i.get("furniture") is None]
    if missing:
        raise SystemExit(f"{len(missing)} items are not labelled yet, e.g. {missing[:3]}")
    return items


def _recognizer(text: str) -> list[tuple[str, bool]]:
    """Each paragraph of an article's text and whether the deployed rules recognise it as furniture:
    at ingest (:func:`bot.ingest.furniture.classify_lines`, a closing signature, a dateline opening one of
    the first five paragraphs) or at quote time (the sentence mask of :func:`bot.answer.windows.index_sentences`,
    which adds related headlines without a label)."""
    from bot.answer.windows import index_sentences
    from bot.ingest.clean import strip_wire_dateline
    from bot.ingest.furniture import classify_lines, signed_off
    from bot.search.analyzer import default_analyzer

    paragraphs = text.split("\n\n")
    found = [cls is not None for cls in classify_lines(paragraphs)]
    for i, para in enumerate(paragraphs):
        found[i] = (
            found[i] or signed_off(para) is not None or (i < 5 and strip_wire_dateline(para) is not None)
        )
    analyzer = default_analyzer()
    index = index_sentences(text, analyzer)
    offset = 0
    for i, para in enumerate(paragraphs):
        inside = (index.starts >= offset) & (index.ends <= offset + len(para))
        found[i] = found[i] or bool(index.furniture is not None and index.furniture[inside].any())
        offset += len(para) + 2
    return list(zip(paragraphs, found))


def recognizer_scores(items: list[dict], data_dir: Path) -> tuple[int, int, int, int]:
    """(tp, fp, fn, tn) of the recognizer over the article paragraphs the sampled results show.

    Each shown line (a quote may cut a paragraph) is traced back to its whole paragraph in the store
    the sample was drawn from (before cleaning with these rules); a paragraph is furniture when it holds
    a labelled furniture span, or is part of one.
    """
    from bot.store import Store

    store = Store(data_dir / "newsbot.sqlite3")
    articles = store.articles.get_many(item["article_id"] for item in items)
    tp = fp = fn = tn = 0
    for item in items:
        article = articles.get(item["article_id"])
        if article is None:
            continue
        judged = _recognizer(article.text)
        spans = [entry["text"].strip(" …") for entry in item["lines"]]
        seen: set[int] = set()
        for line in _lines(item)[1:]:
            hit = next((k for k, (para, _) in enumerate(judged) if line in para), None)
            if hit is None or hit in seen:
                continue
            seen.add(hit)
            para, found = judged[hit]
            truth = any(span in para[:60] or para.endswith(span) or para in span or (len(span) > 40 and span in para)
                        for span in spans)  # fmt: skip
            tp += truth and found
            fp += found and not truth
            fn += truth and not found
            tn += not truth and not found
    store.close()
    return tp, fp, fn, tn


def measure(
    sample_path: Path, report_path: Path | None, relabels_path: Path | None, data_dir: Path | None
) -> int:
    """Furniture rate on the labelled slots, before (labels) and after (a new report), and P/R."""
    items = load_sample(sample_path)
    n = len(items)
    before = sum(1 for i in items if i["furniture"])
    classes = Counter(c for i in items for c in {e["cls"] for e in i["lines"]})
    print(f"labelled sample: {n} shown results, {before} carry furniture ({before / n:.1%})")
    print("  per class (results): " + ", ".join(f"{c} {classes.get(c, 0)}" for c in CLASSES))
    figures: dict[str, object] = {"n": n, "before": before, "before_rate": round(before / n, 4)}
    if data_dir is not None:
        tp, fp, fn, tn = recognizer_scores(items, data_dir)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        print(f"recognizer on the shown paragraphs: tp={tp} fp={fp} fn={fn} tn={tn} "
              f"precision={precision:.3f} recall={recall:.3f}")  # fmt: skip
        figures.update(precision=round(precision, 3), recall=round(recall, 3))
    if report_path is not None:
        figures.update(_after(items, report_path, relabels_path))
    print(" ".join(f"{k}={v}" for k, v in figures.items()))
    return 0


def _after(items: list[dict], report_path: Path, relabels_path: Path | None) -> dict:
    """Compare the sampled slots with a new run: unchanged text keeps its label, new text is read."""
    slots = _slots(json.loads(report_path.read_text(encoding="utf-8")))
    relabels = {}
    if relabels_path is not None and relabels_path.exists():
        for line in relabels_path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                entry = json.loads(line)
                relabels[(entry["slot"], entry["shown"])] = entry
    same = changed = gone = furniture = unread = 0
    classes: Counter = Counter()
    to_read = []
    for item in items:
        new = slots.get(item["slot"])
        if new is None:
            gone += 1  # the question now shows fewer results: nothing shown in this slot
            continue
        if shown_text(new) == shown_text(item):
            same += 1
            label = item
        else:
            changed += 1
            label = relabels.get((item["slot"], shown_text(new)))
            if label is None:
                unread += 1
                to_read.append(new)
                continue
        furniture += bool(label["furniture"])
        classes.update({entry["cls"] for entry in label["lines"]})
    shown = same + changed - unread
    print(f"after: {same} slots show the same text, {changed} new text ({unread} not read yet), {gone} empty;"
          f" {furniture} of {shown} read results carry furniture")  # fmt: skip
    print("  per class (results): " + ", ".join(f"{c} {classes.get(c, 0)}" for c in CLASSES))
    for new in to_read:
        print(json.dumps({"slot": new["slot"], "shown": shown_text(new), "furniture": None, "lines": []},
                         ensure_ascii=False))  # fmt: skip
    return {"after": furniture, "after_read": shown, "after_unread": unread,
            "after_rate": round(furniture / shown, 4) if shown else 0.0}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("draw", help="draw a random sample of shown results from an eval report")
    p.add_argument("report", type=Path)
    p.add_argument("--out", type=Path, default=Path("bench/furniture/sample.jsonl"))
    p.add_argument("-n", type=int, default=300)
    p.add_argument("--seed", type=int, default=15)
    p = sub.add_parser("measure", help="furniture rate on the labelled sample (and a new run's slots)")
    p.add_argument("sample", type=Path)
    p.add_argument("report", type=Path, nargs="?", default=None)
    p.add_argument("--relabels", type=Path, default=None)
    p.add_argument(
        "--store",
        type=Path,
        default=None,
        help="data directory the sample was drawn from (uncleaned by these rules): precision/recall "
        "of the recognizer on the shown paragraphs",
    )
    args = parser.parse_args(argv)
    if args.cmd == "draw":
        return draw(args.report, args.out, args.n, args.seed)
    return measure(args.sample, args.report, args.relabels, args.store)


if __name__ == "__main__":
    raise SystemExit(main())
