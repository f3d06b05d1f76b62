"""Renderers: Telegram HTML and plain terminal text for answers, article lists, cards, digests, sources.

Telegram's HTML mode accepts a handful of tags and refuses the whole message on one stray ``<``, so every
piece of article text goes through :func:`esc` and the only tags we emit are ``b``, ``i``, ``a`` and
``blockquote`` (``expandable`` for a result's second excerpt). A message may hold at most 4096 characters
*after* entity parsing (the visible text, counted in UTF-16 units), so messages are assembled from blocks: whole blocks while they fit, then the
block that does not fit is rebuilt with its text cut at a sentence boundary — never cut as HTML, so a tag
is never split.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date

from bot.models import Article

from .quote import ELLIPSIS, lead_sentences, split_sentences
from .types import DAY, NEWEST, RELATED, Answer, AnswerItem, ParsedQuestion, Quote

TELEGRAM_LIMIT = 4096
NO_ANSWER_HINT = "Try /latest for the newest articles, or rephrase with the names, places or words a news story would use."
_TAG = re.compile(r"<[^>]*>")
_TELEGRAM_LATEST = re.compile(r"(?<![\w/])/latest\b")
_HTTP = re.compile(r"^https?://[^\s<>\"]+\.[^\s<>\"]+$", re.IGNORECASE)


# -- measuring and escaping --------------------------------------------------------------------------


def esc(text: str) -> str:
    """Escape text for Telegram HTML (``&``, ``<``, ``>``; quotes too, harmless in text)."""
    return html.escape(text, quote=True)


def visible_length(message_html: str) -> int:
    """Length Telegram counts for an HTML message: the text after entity parsing, in UTF-16 units."""
    plain = html.unescape(_TAG.sub("", message_html)).strip()
    return len(plain.encode("utf-16-le")) // 2


def fmt_date(day: date) -> str:
    """``29 Nov 2022``: unambiguous for every reader, short enough for a phone."""
    return f"{day.day} {day.strftime('%b')} {day.year}"


def fmt_window(start: date, end: date) -> str:
    """``29 Nov 2022`` or ``24–30 Nov 2022``: the days a question's date words were understood as."""
    one = f"{start.day} {start:%b} {start.year}"
    if start == end:
        return one
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {end:%b} {end.year}"
    if start.year == end.year:
        return f"{start.day} {start:%b} – {end.day} {end:%b} {end.year}"
    return f"{one} – {end.day} {end:%b} {end.year}"


def is_web_link(url: str) -> bool:
    """Only http(s) URLs become links; a local file path would be dropped or refused by Telegram."""
    return bool(_HTTP.match(url or ""))


def _link(url: str, label_html: str) -> str:
    if is_web_link(url):
        return f'<a href="{esc(url)}">{label_html}</a>'
    return label_html


def _cut_at_sentence(text: str, budget: int) -> str:
    """``text`` cut to at most ``budget`` characters at a sentence end (else a word), with "…"."""
    if len(text) <= budget:
        return text
    budget = max(budget - 2, 0)
    ends = [e for _, e in split_sentences(text) if e <= budget]
    if ends and ends[-1] >= budget // 3:
        cut = ends[-1]
    else:
        space = text.rfind(" ", 0, budget)
        cut = space if space > 0 else budget
    return text[:cut].rstrip() + " " + ELLIPSIS if cut else ELLIPSIS


def fit_blocks(
    head: str, blocks: Sequence[Callable[[int | None], str]], foot: str = "", limit: int = TELEGRAM_LIMIT
) -> str:
    """Join ``head``, as many blocks as fit, and ``foot`` within ``limit`` visible characters.

    A block is a function of a text budget (None = unlimited) returning complete HTML, so the one that
    does not fit whole can be rebuilt shorter at a sentence boundary instead of being cut mid-tag.
    """
    parts = [head] if head else []
    used = visible_length("\n\n".join(parts + ([foot] if foot else [])))
    for block in blocks:
        full = block(None)
        cost = visible_length(full) + 2
        if used + cost <= limit:
            parts.append(full)
            used += cost
            continue
        room = limit - used - 2
        if room > 120:
            budget = room
            while budget > 60:
                short = block(budget)
                if used + visible_length(short) + 2 <= limit:
                    parts.append(short)
                    break
                budget -= max(20, budget // 10)
        break
    if foot:
        parts.append(foot)
    message = "\n\n".join(parts).strip()
    while visible_length(message) > limit and parts:  # last resort; cannot happen with sane blocks
        parts.pop(-2 if foot and len(parts) > 1 else -1)
        message = "\n\n".join(parts).strip()
    return message


# -- answers -------------------------------------------------------------------------------------------


def highlight_html(quote: Quote, budget: int | None = None) -> str:
    """The quote escaped, matched words in ``<b>``, cut to ``budget`` characters at a sentence."""
    text = quote.text if budget is None else _cut_at_sentence(quote.text, budget)
    out, last = [], 0
    for s, e in quote.highlights:
        if e > len(text) or s < last:
            continue
        if text[s:e] == quote.text[s:e]:
            out.append(esc(text[last:s]))
            out.append(f"<b>{esc(text[s:e])}</b>")
            last = e
    out.append(esc(text[last:]))
    return "".join(out)


def more_html(quote: Quote, budget: int | None = None) -> str:
    """A result's second excerpt, collapsed: Telegram shows its first lines and expands it on a tap."""
    return f"<blockquote expandable>{highlight_html(quote, budget)}</blockquote>"


def _item_meta(item: AnswerItem, kind: str = "") -> str:
    """``source · date``, preceded by "only related" for a refusal's closest stories, followed by the number
    of sources for a story card."""
    covered = f"{item.sources} sources" if item.sources > 1 else ""
    marker = "only related" if kind == RELATED else ""
    return " · ".join(x for x in (marker, item.source, fmt_date(item.published), covered) if x)


def understood_date(q: ParsedQuestion) -> str:
    """The date words as understood: ``yesterday = 29 Nov 2022`` (just the days when the words were a date)."""
    if q.date_from is None or q.date_to is None:
        return q.date_label
    days = fmt_window(q.date_from, q.date_to)
    if not q.date_label or is_explicit(q.date_label):
        return days
    return f"{q.date_label} = {days}"


def is_explicit(label: str) -> bool:
    """Whether date words named the days themselves ("on 29 November 2022", "in March 2022"), not relative
    ones ("yesterday", "this week"): then the days alone say it."""
    return label.startswith(("on ", "in ")) and any(ch.isdigit() for ch in label)


def _echo(q: ParsedQuestion) -> str:
    """The user's own words (without /ask and mentions), as they typed them."""
    return q.shown or q.original.strip() or q.text


#: The line that introduces the results of each kind of answer (see :data:`bot.answer.types.ANSWERS`).
INTROS = {
    RELATED: "I found nothing{when} that answers this. The closest stories, only related:",
    NEWEST: "Your question names no topic, so here are the newest stories:",
    DAY: "The top stories{when}, the most widely covered first:",
}


def intro(answer: Answer) -> str:
    """The plain-text line above the results: why these results (empty for ordinary answers)."""
    if answer.note:
        return answer.note
    template = INTROS.get(answer.kind, "")
    q = answer.question
    when = ""
    if q.date_from is not None and q.date_to is not None:
        when = f" of {fmt_window(q.date_from, q.date_to)}" if answer.kind == DAY else f" {q.date_label}".rstrip()
    return template.format(when=when)


def _answer_header_html(answer: Answer) -> str:
    q = answer.question
    shown = _echo(q)
    header = f"🔎 <b>{esc(_cut_at_sentence(shown, 300))}</b>" if shown else "🔎"
    if q.date_label:
        header += f" <i>({esc(understood_date(q))})</i>"
    return header


def _answer_item_html(number: int, item: AnswerItem, kind: str = "") -> Callable[[int | None], str]:
    def block(budget: int | None) -> str:
        title = _cut_at_sentence(item.title or item.url, 200)
        head = f"{number}. {_link(item.url, f'<b>{esc(title)}</b>')}\n<i>{esc(_item_meta(item, kind))}</i>"
        quote_budget = None if budget is None else max(budget - visible_length(head) - 2, 40)
        quote = highlight_html(item.quote, quote_budget)
        out = f"{head}\n<blockquote>{quote}</blockquote>" if quote else head
        if item.more and budget is None and kind != RELATED:  # squeezed or only related: no second excerpt
            out += f"\n{more_html(item.more)}"
        return out

    return block


def answer_html(answer: Answer) -> str:
    """An answer as one Telegram HTML message: header, numbered results with quotes, or a plain no-answer.

    A refusal that found related stories says so first and marks each of them "only related"; a question
    without a topic, or only a date, is introduced as the newest or the day's top stories.
    """
    head = _answer_header_html(answer)
    if answer.no_answer or not answer.items:
        reason = answer.no_answer or "I found nothing in the news that answers this."
        return fit_blocks(head, [lambda b: esc(_cut_at_sentence(reason, b or 10_000))])
    line = intro(answer)
    if line:
        head += f"\n\n<i>{esc(line)}</i>"
    blocks = [_answer_item_html(answer.offset + i + 1, item, answer.kind) for i, item in enumerate(answer.items)]
    foot = ""
    if answer.total > len(answer.items):
        first, last = answer.offset + 1, answer.offset + len(answer.items)
        foot = f"<i>Results {first}–{last} of {answer.total}.</i>"
    if answer.kind == RELATED:
        foot = "\n".join(x for x in (foot, f"<i>{esc(NO_ANSWER_HINT)}</i>") if x)
    return fit_blocks(head, blocks, foot)


def answer_text(answer: Answer, *, bold: Callable[[str], str] | None = None,
                latest: str = "python -m bot latest") -> str:  # fmt: skip
    """An answer as plain terminal text; ``bold`` may wrap matched words (e.g. in ANSI codes).

    No-answer texts point at Telegram's ``/latest``; in a terminal that is the command ``latest`` names.
    """
    q = answer.question
    lines = [f"Q: {_echo(q)}" + (f" ({understood_date(q)})" if q.date_label else "")]
    if answer.no_answer or not answer.items:
        reason = answer.no_answer or "I found nothing in the news that answers this."
        lines += ["", _TELEGRAM_LATEST.sub(f"`{latest}`", reason)]
        return "\n".join(lines)
    if intro(answer):
        lines += ["", intro(answer)]
    for i, item in enumerate(answer.items, start=answer.offset + 1):
        lines += ["", f"{i}. {item.title}", f"   {_item_meta(item, answer.kind)}"]
        if is_web_link(item.url) or item.url:
            lines.append(f"   {item.url}")
        more = item.more if answer.kind != RELATED else None
        for n, excerpt in enumerate(q for q in (item.quote, more) if q):
            text = _plain_highlight(excerpt, bold) if bold else excerpt.text
            lines += ["   >"] if n else []  # the second excerpt of the same article, after a blank quote line
            lines += ["   > " + line for line in text.splitlines() if line.strip()]
    if answer.has_more:
        lines += ["", f"(results {answer.offset + 1}–{answer.offset + len(answer.items)} of {answer.total})"]
    if answer.kind == RELATED:
        lines += ["", _TELEGRAM_LATEST.sub(f"`{latest}`", NO_ANSWER_HINT)]
    return "\n".join(lines)


def _plain_highlight(quote: Quote, bold: Callable[[str], str]) -> str:
    out, last = [], 0
    for s, e in quote.highlights:
        if s < last:
            continue
        out += [quote.text[last:s], bold(quote.text[s:e])]
        last = e
    out.append(quote.text[last:])
    return "".join(out)


# -- articles ------------------------------------------------------------------------------------------


def _article_meta(article: Article) -> str:
    return " · ".join(x for x in (article.source, fmt_date(article.published)) if x)


def _article_line_html(number: int | None, article: Article, lead: bool) -> Callable[[int | None], str]:
    def block(budget: int | None) -> str:
        title = _cut_at_sentence(article.title or article.url, 200)
        prefix = f"{number}. " if number is not None else ""
        text = f"{prefix}{_link(article.url, f'<b>{esc(title)}</b>')}\n<i>{esc(_article_meta(article))}</i>"
        if lead:
            summary = lead_sentences(article.text, max_chars=220, max_sentences=1)
            if budget is not None:
                summary = _cut_at_sentence(summary, max(budget - visible_length(text) - 1, 0))
            if summary and summary != ELLIPSIS:
                text += f"\n{esc(summary)}"
        return text

    return block


def also_html(first: Article, others: Sequence[Article], limit: int = 5) -> str:
    """ "also: Source B, Source C": links to the other outlets that reported the story (one per source,
    the first article's own source left out); empty when there are none."""
    seen, links = {first.source}, []
    for a in others:
        if a.source in seen or not is_web_link(a.url) or len(links) >= limit:
            continue
        seen.add(a.source)
        links.append(_link(a.url, esc(a.source or "another source")))
    return f"<i>also:</i> {', '.join(links)}" if links else ""


def also_text(first: Article, others: Sequence[Article], limit: int = 5) -> str:
    """Plain-text version of :func:`also_html`: ``also: Source B (url), …``."""
    seen, parts = {first.source}, []
    for a in others:
        if a.source in seen or len(parts) >= limit:
            continue
        seen.add(a.source)
        parts.append(f"{a.source or 'another source'} ({a.url})")
    return f"also: {', '.join(parts)}" if parts else ""


def _with_also(block: Callable[[int | None], str], tail: str) -> Callable[[int | None], str]:
    """A block followed by an "also:" line, which is kept whole when the block is cut."""
    if not tail:
        return block
    room = visible_length(tail) + 1
    return lambda budget: block(None if budget is None else max(budget - room, 0)) + "\n" + tail


def latest_html(
    articles: Sequence[Article],
    *,
    topic: str | None = None,
    offset: int = 0,
    also: Mapping[int, Sequence[Article]] | None = None,
) -> str:
    """The newest articles (optionally on a topic), numbered from ``offset + 1``, with a lead line each;
    ``also`` maps an article id to the other outlets' articles on its story ("also:" links)."""
    title = f"🗞 <b>Latest on {esc(_cut_at_sentence(topic, 100))}</b>" if topic else "🗞 <b>Latest news</b>"
    if not articles:
        what = f" about {esc(topic)}" if topic else ""
        return f"{title}\n\nNo articles{what} yet." + (" Try a broader topic." if topic else "")
    also = also or {}
    blocks = [
        _with_also(_article_line_html(offset + i + 1, a, lead=True), also_html(a, also.get(a.id or 0, ())))
        for i, a in enumerate(articles)
    ]
    return fit_blocks(title, blocks)


def latest_text(
    articles: Sequence[Article],
    *,
    topic: str | None = None,
    offset: int = 0,
    also: Mapping[int, Sequence[Article]] | None = None,
) -> str:
    """Plain-text version of :func:`latest_html`."""
    also = also or {}
    lines = [f"Latest on {topic}" if topic else "Latest news"]
    if not articles:
        lines.append(f"No articles{' about ' + topic if topic else ''} yet.")
    for i, a in enumerate(articles, start=offset + 1):
        lines += ["", f"{i}. {a.title}", f"   {_article_meta(a)}", f"   {a.url}"]
        lead = lead_sentences(a.text, max_chars=220, max_sentences=1)
        if lead:
            lines.append(f"   {lead}")
        more = also_text(a, also.get(a.id or 0, ()))
        if more:
            lines.append(f"   {more}")
    return "\n".join(lines)


def article_card_html(article: Article, *, topic: str | None = None, also: Sequence[Article] = ()) -> str:
    """A pushed new article: title (linked), source and date, its lead sentences, the link; with ``also``
    (the story's articles from other outlets) an "also: Source B, Source C" line of links."""
    head = f"📰 {_link(article.url, f'<b>{esc(_cut_at_sentence(article.title or article.url, 300))}</b>')}"
    meta = f"<i>{esc(_article_meta(article))}" + (f" · topic: {esc(topic)}" if topic else "") + "</i>"

    def lead(budget: int | None) -> str:
        text = lead_sentences(article.text, max_chars=600, max_sentences=3)
        return esc(text if budget is None else _cut_at_sentence(text, budget))

    link = esc(article.url) if is_web_link(article.url) else ""
    foot = "\n".join(x for x in (also_html(article, also), link) if x)
    return fit_blocks(f"{head}\n{meta}", [lead], foot)


def digest_html(
    articles: Sequence[Article],
    *,
    topic: str | None = None,
    also: Mapping[int, Sequence[Article]] | None = None,
    total: int | None = None,
) -> str:
    """A compact list for a burst of new articles: one line each instead of one message each.

    ``articles`` are the stories' first articles, ``also`` their other outlets' articles (an "also:" line
    under each) and ``total`` the new articles they stand for (the head's count; default: one each).
    When even the one-liners overflow a message, as many as fit are listed and the rest counted.
    """
    also = also or {}
    what = f" on {esc(topic)}" if topic else ""
    count = total if total is not None else len(articles)
    head = f"🗞 <b>{count} new article{'s' if count != 1 else ''}{what}</b>"
    lines = [
        _with_also(_article_line_html(None, a, lead=False), also_html(a, also.get(a.id or 0, ())))(None)
        for a in articles
    ]
    used = visible_length(head)
    shown = 0
    for line in lines:
        rest = len(articles) - shown - 1
        more = visible_length(f"…and {rest} more: /latest") + 2 if rest else 0
        if used + visible_length(line) + 2 + more > TELEGRAM_LIMIT:
            break
        used += visible_length(line) + 2
        shown += 1
    parts = [head, *lines[:shown]]
    if shown < len(articles):
        parts.append(f"<i>…and {len(articles) - shown} more: /latest</i>")
    return "\n\n".join(parts)


def story_digest_html(stories: Sequence[Sequence[Article]], *, title: str, subtitle: str = "") -> str:
    """A scheduled digest: one numbered card per story (its first article: title, source and date, lead),
    with "also:" links to the other outlets that covered it; as many as fit one message."""
    head = f"🗓 <b>{esc(title)}</b>" + (f"\n<i>{esc(subtitle)}</i>" if subtitle else "")

    def card(number: int, story: Sequence[Article]) -> Callable[[int | None], str]:
        first = _article_line_html(number, story[0], lead=True)
        also = also_html(story[0], story[1:])

        def block(budget: int | None) -> str:
            tail = f"\n{also}" if also else ""
            room = None if budget is None else max(budget - visible_length(tail), 0)
            return first(room) + tail

        return block

    return fit_blocks(head, [card(i, story) for i, story in enumerate(stories, start=1)])


def sources_html(stats: object) -> str:
    """What the corpus covers (a :class:`bot.store.CorpusStats`): counts, date range, sources."""
    count = getattr(stats, "articles", 0)
    lines = ["📚 <b>Sources</b>", f"{count:,} article{'s' if count != 1 else ''}"]
    first, last = getattr(stats, "first", None), getattr(stats, "last", None)
    if first and last:
        lines[-1] += f", {fmt_date(first)} – {fmt_date(last)}"
    flagged = getattr(stats, "flagged", 0)
    if flagged:
        lines.append(f"<i>{flagged:,} pages without article text are kept out of answers</i>")
    last_ingest = getattr(stats, "last_ingest", None)
    if last_ingest:
        lines.append(f"<i>last updated {esc(str(last_ingest))}</i>")
    head = "\n".join(lines)
    blocks = [
        (lambda b, s=source, n=count: f"• {esc(s or 'unknown')}: {n:,}")
        for source, count in getattr(stats, "sources", [])
    ]
    return fit_blocks(head, blocks)


def sources_text(stats: object) -> str:
    """Plain-text version of :func:`sources_html`: one line each, bullets without blank lines between."""
    head, _, bullets = html.unescape(_TAG.sub("", sources_html(stats))).partition("\n\n")
    return "\n".join([head, "", *(line for line in bullets.splitlines() if line.strip())]).rstrip()
