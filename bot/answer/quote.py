"""Quote selection: the one to three sentences of a passage that carry the question's terms, verbatim.

A whole passage is a wall of text; the user wants the sentence that answers. We split the passage into
sentences, score each by the (IDF-weighted) question terms it contains, and take the best window of up to
three consecutive sentences within a character budget. What we cut is marked with "…", so the quote never
pretends to be a complete paragraph, and every word of it is the article's own. Matched words are returned
as highlight spans (the renderer bolds them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.ingest.furniture import HEADER_SPAN, header_byline, line_class
from bot.search.analyzer import default_analyzer

from .sentences import split_sentences
from .types import Quote

ELLIPSIS = "…"
MAX_SENTENCES = 3
MAX_QUOTE_CHARS = 480  # about three news sentences; long enough for context, short enough to read on a phone
REPEAT_BONUS = 0.05
EXTRA_SENTENCE_COST = 0.08  # a run-on "sentence" (a list, a scraped table) is trimmed around its matches

Tokenizer = Callable[[str], list[tuple[str, int, int]]]


@dataclass(frozen=True, slots=True)
class Selection:
    """A chosen quote and where it came from in the passage (for scoring and diagnostics)."""

    quote: Quote
    start: int
    end: int
    score: float
    pending: bool = False  # the quote's highlights are not computed yet (see :func:`plain_quote`)


def _sentence_scores(
    text: str, spans: list[tuple[int, int]], tokens: list[tuple[str, int, int]], weights: Mapping[str, float]
) -> list[set[str]]:
    """The set of query terms each sentence contains."""
    found: list[set[str]] = [set() for _ in spans]
    i = 0
    for term, s, _e in tokens:
        if term not in weights:
            continue
        while i < len(spans) and spans[i][1] <= s:
            i += 1
        if i < len(spans):
            found[i].add(term)
    return found


def _window_score(terms: list[set[str]], lo: int, hi: int, weights: Mapping[str, float]) -> float:
    covered: set[str] = set().union(*terms[lo:hi])
    # Distinct terms covered, plus a little for repeats across sentences (a sentence that re-uses the
    # topic word is more likely on topic than a neighbour about something else), minus a little per
    # extra sentence so that a window only grows for terms it adds.
    repeat = sum(weights[t] for s in terms[lo:hi] for t in s) - sum(weights[t] for t in covered)
    return sum(weights[t] for t in covered) + REPEAT_BONUS * repeat - EXTRA_SENTENCE_COST * (hi - lo - 1)


def _windows(
    text: str, weights: Mapping[str, float], tokenize: Tokenizer | None, max_sentences: int, max_chars: int
) -> tuple[list[tuple[int, int]], list[set[str]], list[tuple[float, int, int]], list[tuple[str, int, int]]]:
    """Sentence spans, their query terms, every in-budget window as (score, lo, hi), and the tokens."""
    tokens = (tokenize or default_analyzer().analyze_with_spans)(text)
    spans = split_sentences(text)
    terms = _sentence_scores(text, spans, tokens, weights)
    windows = []
    for lo in range(len(spans)):
        if not terms[lo]:
            continue  # a window starting on a sentence without terms is dominated by the one after it
        for hi in range(lo + 1, min(len(spans), lo + max_sentences) + 1):
            if hi - lo > 1 and spans[hi - 1][1] - spans[lo][0] > max_chars:
                break
            windows.append((_window_score(terms, lo, hi, weights), lo, hi))
    if not windows and spans:
        windows.append((0.0, 0, 1))
    return spans, terms, windows, tokens


def best_window(
    text: str,
    weights: Mapping[str, float],
    *,
    tokenize: Tokenizer | None = None,
    max_sentences: int = MAX_SENTENCES,
    max_chars: int = MAX_QUOTE_CHARS,
) -> tuple[int, int, float, list[tuple[str, int, int]]]:
    """The character span of the best run of sentences, its score, and the passage's tokens.

    Among windows within the budget, the highest term score wins; ties go to the earlier one (the lead
    of a passage usually states the news). Sentences around the best one are added while they fit the
    budget and carry a query term, or while the quote is still short.
    """
    found, tokens = best_windows(
        text, weights, n=1, tokenize=tokenize, max_sentences=max_sentences, max_chars=max_chars
    )
    if not found:
        return 0, 0, 0.0, tokens
    start, end, score = found[0]
    return start, end, score, tokens


def best_windows(
    text: str,
    weights: Mapping[str, float],
    *,
    n: int = 1,
    tokenize: Tokenizer | None = None,
    max_sentences: int = MAX_SENTENCES,
    max_chars: int = MAX_QUOTE_CHARS,
) -> tuple[list[tuple[int, int, float]], list[tuple[str, int, int]]]:
    """Up to ``n`` non-overlapping windows as (start, end, score), best first, and the text's tokens.

    The tokens come back so that callers highlighting several places of one article tokenize once.
    """
    spans, terms, windows, tokens = _windows(text, weights, tokenize, max_sentences, max_chars)
    if not spans:
        return [], tokens
    windows.sort(key=lambda w: (-w[0], w[1], w[2]))
    used = [False] * len(spans)
    chosen: list[tuple[int, int, float]] = []
    for score, lo, hi in windows:
        if len(chosen) >= n:
            break
        if any(used[lo:hi]):
            continue
        glo, ghi = _grow(text, spans, terms, lo, hi, max_sentences, max_chars, used)
        for i in range(glo, ghi):
            used[i] = True
        chosen.append((spans[glo][0], spans[ghi - 1][1], score))
    return chosen, tokens


def _grow(
    text: str,
    spans: list[tuple[int, int]],
    terms: list[set[str]],
    lo: int,
    hi: int,
    max_sentences: int,
    max_chars: int,
    used: list[bool] | None = None,
) -> tuple[int, int]:
    """Add neighbouring sentences while the quote is short: context helps, the budget caps it.

    A neighbour without query terms is only taken from the same paragraph (the next line of a scraped
    page is often a caption or a link, not context).
    """
    while hi - lo < max_sentences:
        length = spans[hi - 1][1] - spans[lo][0]
        options = []
        free_after = hi < len(spans) and not (used and used[hi])
        free_before = lo > 0 and not (used and used[lo - 1])
        if free_after and (terms[hi] or "\n" not in text[spans[hi - 1][1] : spans[hi][0]]):
            options.append((bool(terms[hi]), 1, lo, hi + 1))
        if free_before and terms[lo - 1]:
            options.append((True, 0, lo - 1, hi))
        options = [o for o in options if spans[o[3] - 1][1] - spans[o[2]][0] <= max_chars]
        if not options:
            break
        options.sort(reverse=True)
        has_terms, _, nlo, nhi = options[0]
        if not has_terms and length >= max_chars // 2:
            break
        lo, hi = nlo, nhi
    return lo, hi


def select_quote(
    text: str,
    weights: Mapping[str, float],
    *,
    tokenize: Tokenizer | None = None,
    max_sentences: int = MAX_SENTENCES,
    max_chars: int = MAX_QUOTE_CHARS,
) -> Selection:
    """Quote the best sentences of ``text`` for a question whose terms have the given weights.

    ``weights`` maps analyzed query terms to their importance (IDF works well); words of the quote whose
    term is in ``weights`` are highlighted. "…" marks text cut before or after the quote.
    """
    found = select_quotes(text, weights, n=1, tokenize=tokenize, max_sentences=max_sentences, max_chars=max_chars)
    return found[0] if found else Selection(Quote(""), 0, 0, 0.0)


def select_quotes(
    text: str,
    weights: Mapping[str, float],
    *,
    n: int = 1,
    tokenize: Tokenizer | None = None,
    max_sentences: int = MAX_SENTENCES,
    max_chars: int = MAX_QUOTE_CHARS,
) -> list[Selection]:
    """Up to ``n`` non-overlapping quotes of ``text``, best first (see :func:`select_quote`)."""
    found, tokens = best_windows(
        text, weights, n=n, tokenize=tokenize, max_sentences=max_sentences, max_chars=max_chars
    )
    return [make_quote(text, start, end, score, tokens, weights, max_chars) for start, end, score in found]


def make_quote(
    text: str,
    start: int,
    end: int,
    score: float,
    tokens: list[tuple[str, int, int]],
    weights: Mapping[str, float],
    max_chars: int = MAX_QUOTE_CHARS,
) -> Selection:
    """The quote of ``text[start:end]``: ellipses where cut, matched words as highlight spans."""
    marks = [(s, e) for term, s, e in tokens if start <= s and e <= end and term in weights]
    if end - start > max_chars:
        start, end = _trim_long(text, start, end, marks, max_chars)
        marks = [(s, e) for s, e in marks if start <= s and e <= end]
    prefix = ELLIPSIS + " " if text[:start].strip() else ""
    suffix = " " + ELLIPSIS if text[end:].strip() else ""
    shift = len(prefix) - start
    highlights = _merge_spans([(s + shift, e + shift) for s, e in marks])
    return Selection(Quote(prefix + text[start:end] + suffix, tuple(highlights)), start, end, score)


def plain_quote(text: str, start: int, end: int) -> Selection:
    """The quote of ``text[start:end]`` (which fits the budget) without its highlights, for ranking: the
    text is what :func:`make_quote` gives; :func:`with_highlights` adds the highlights to those shown."""
    prefix = ELLIPSIS + " " if text[:start].strip() else ""
    suffix = " " + ELLIPSIS if text[end:].strip() else ""
    return Selection(Quote(prefix + text[start:end] + suffix), start, end, 0.0, pending=True)


def with_highlights(text: str, selection: Selection, weights: Mapping[str, float], tokenize: Tokenizer) -> Selection:
    """``selection`` with its highlights, as :func:`make_quote` makes them (only the quote is tokenized)."""
    if not selection.pending:
        return selection
    start, end = selection.start, selection.end
    tokens = [(t, s + start, e + start) for t, s, e in tokenize(text[start:end])]
    return make_quote(text, start, end, selection.score, tokens, weights, max(end - start, 1))


def _trim_long(text: str, start: int, end: int, marks: list[tuple[int, int]], max_chars: int) -> tuple[int, int]:
    """Cut an over-long sentence to ``max_chars`` around its densest matches, at word boundaries."""
    centre = marks[len(marks) // 2][0] if marks else start
    lo = max(start, min(centre - max_chars // 3, end - max_chars))
    hi = min(end, lo + max_chars)
    if lo > start:
        space = text.find(" ", lo, hi)
        lo = space + 1 if space != -1 else lo
    if hi < end:
        space = text.rfind(" ", lo, hi)
        hi = space if space > lo else hi
    return lo, hi


def _merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping spans (a word can yield two terms with the same span)."""
    merged: list[tuple[int, int]] = []
    for s, e in sorted(set(spans)):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def lead_sentences(text: str, max_chars: int = 300, max_sentences: int = 2) -> str:
    """The first sentences of ``text`` (for an article card), with "…" when more follows.

    Page furniture at the top (an author block, an editor's note, a related link) is skipped: a card's
    lead is the story's first words.
    """
    text = text[_lead_start(text) :]
    spans = split_sentences(text)
    if not spans:
        return ""
    hi = 0
    while hi < min(len(spans), max_sentences) and (hi == 0 or spans[hi][1] - spans[0][0] <= max_chars):
        hi += 1
    start, end = spans[0][0], spans[hi - 1][1]
    if end - start > max_chars:
        cut = text.rfind(" ", start, start + max_chars)
        end = cut if cut > start else start + max_chars
    more = " " + ELLIPSIS if text[end:].strip() else ""
    return text[start:end] + more


def _lead_start(text: str) -> int:
    """Offset of the first line of ``text`` that is not page furniture (0 when all of it is)."""
    offset = 0
    for i, line in enumerate(text.split("\n")):
        stripped = line.strip()
        if stripped and not (line_class(stripped) or (i < 2 * HEADER_SPAN and header_byline(stripped))):
            return offset
        offset += len(line) + 1
        if i > 4 * HEADER_SPAN:
            break
    return 0
