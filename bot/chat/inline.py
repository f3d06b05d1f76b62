"""Inline mode: `@thebot question` in any chat offers one result per article, paged with `next_offset`.

An empty query offers the newest articles instead, so the inline menu is useful before typing.
"""

from __future__ import annotations

import asyncio

from telegram import (
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode

from bot.answer.render import (
    TELEGRAM_LIMIT,
    article_card_html,
    esc,
    fmt_date,
    highlight_html,
    is_web_link,
    more_html,
    visible_length,
)
from bot.answer.types import RELATED, AnswerItem
from bot.models import Article

from .commands import parse_count
from .context import BotContext

MAX_OFFSET = 1000  # deeper pages are never useful and would only cost BM25 time
QUOTE_BUDGET = 3000  # characters of quote in a chosen result; keeps the message far below 4096
MORE_BUDGET = 600  # characters of its second excerpt (collapsed)
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


async def inline_query(update: Update, context: BotContext) -> None:
    """Answer an inline query with up to ``inline_results`` articles and a ``next_offset`` for more."""
    query = update.inline_query
    services, options = context.services, context.options
    offset = parse_offset(query.offset)
    text = query.query.strip()
    size = options.inline_results
    if text:
        answer = await context.workers.answer(text, offset=offset, limit=size)
        results = [item_result(item, related=answer.kind == RELATED) for item in _unique(answer.items)]
        more, shown = answer.has_more, len(answer.items)
    else:
        articles, more = await asyncio.to_thread(services.answerer.latest, n=size, offset=offset)
        results = [article_result(a) for a in articles if a.id is not None]
        shown = len(articles)
    # None, not "": PTB 22.8's Defaults handling turns an empty-string argument into "[]" (an empty
    # string is a Sequence whose items are all InputPollOptions), and omitting it means "no more".
    next_offset = str(offset + shown) if more and shown and offset + shown < MAX_OFFSET else None
    await query.answer(
        results, next_offset=next_offset, cache_time=options.inline_cache_seconds, is_personal=False
    )


def parse_offset(raw: str | None) -> int:
    """The page offset we put in ``next_offset`` (anything else, "²" included, counts as the first page)."""
    offset = parse_count(raw)
    return offset if offset is not None and offset < MAX_OFFSET else 0


def _unique(items: list[AnswerItem]) -> list[AnswerItem]:
    """One result per article (result ids must be unique within an answer)."""
    seen: set[int] = set()
    out = []
    for item in items:
        if item.article_id not in seen:
            seen.add(item.article_id)
            out.append(item)
    return out


def item_html(item: AnswerItem) -> str:
    """The message a chosen result sends: linked title, source and date, the quote, the link."""
    title = esc((item.title or item.url)[:300])
    if is_web_link(item.url):
        title = f'<a href="{esc(item.url)}">{title}</a>'
    meta = esc(" · ".join(x for x in (item.source, fmt_date(item.published)) if x))
    quote = highlight_html(item.quote, QUOTE_BUDGET)
    html = f"<b>{title}</b>\n<i>{meta}</i>"
    if quote:
        html += f"\n<blockquote>{quote}</blockquote>"
    link = f"\n{esc(item.url)}" if is_web_link(item.url) else ""
    if item.more:
        more = f"\n{more_html(item.more, MORE_BUDGET)}"
        if visible_length(html + more + link) <= TELEGRAM_LIMIT:
            html += more
    return html + link


def item_result(item: AnswerItem, related: bool = False) -> InlineQueryResultArticle:
    """One inline result for an answer item: title, date and quote shown in the menu ("only related" first
    when nothing answered the query and this is one of the closest stories)."""
    marker = "only related · " if related else ""
    return InlineQueryResultArticle(
        id=f"a{item.article_id}",
        title=(item.title or item.url)[:200],
        description=f"{marker}{fmt_date(item.published)} · {item.quote.text[:180]}",
        input_message_content=InputTextMessageContent(
            item_html(item), parse_mode=ParseMode.HTML, link_preview_options=_NO_PREVIEW
        ),
        url=item.url if is_web_link(item.url) else None,
    )


def article_result(article: Article) -> InlineQueryResultArticle:
    """One inline result for a newest article (empty query)."""
    lead = article.text.strip().split("\n", 1)[0][:180]
    return InlineQueryResultArticle(
        id=f"a{article.id}",
        title=(article.title or article.url)[:200],
        description=f"{fmt_date(article.published)} · {lead}",
        input_message_content=InputTextMessageContent(
            article_card_html(article), parse_mode=ParseMode.HTML, link_preview_options=_NO_PREVIEW
        ),
        url=article.url if is_web_link(article.url) else None,
    )
