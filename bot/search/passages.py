"""Split an article into passages: the unit the bot quotes from (and the evaluation's context of a quote).

A passage is a verbatim slice of ``article.text`` (``text == article.text[start:end]``), so a quote is
exactly what the article says and the answer layer can highlight inside it by offsets. Passages follow
paragraphs: short paragraphs (a dateline, a heading, a one-line teaser) are merged with what follows so no
passage is a lone heading, and long paragraphs are cut at sentence ends (at word boundaries for a single
runaway sentence) so a passage stays quotable. The target is roughly 40–150 words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from bot.models import Article

MIN_WORDS = 40
MAX_WORDS = 150

_WORDS = re.compile(r"\S+")
# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace and an
# opening capital, digit or quote. Abbreviations ("U.S. officials") may cut early; harmless for passages.
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9])")


_ABBREVIATION_LIST = (
    "Mr Mrs Ms Dr Jr Sr St Mt Ft Gov Sen Rep Lt Gen Col Capt Sgt Maj Adm Prof Rev Hon Pres Supt Det No Nos "
    "Inc Corp Co Ltd Bros vs Vs Jan Feb Mar Apr Aug Sept Sep Oct Nov Dec Ave Blvd Rd Dept Univ Calif Fla "
    "Mass Wash Penn Conn Ill Mich Minn Ariz Colo Tenn Ky La Md Mo Nev Okla Ore Va Wis Wyo"
)
_ABBREVIATIONS = frozenset(_ABBREVIATION_LIST.split())


@dataclass(slots=True)
class Passage:
    """A quotable slice of one article: ``text == article.text[start:end]``."""

    article_id: int
    position: int
    start: int
    end: int
    text: str

    @property
    def words(self) -> int:
        """Whitespace-separated word count."""
        return len(self.text.split())


def split_passages(article: Article, min_words: int = MIN_WORDS, max_words: int = MAX_WORDS) -> list[Passage]:
    """Passages of an article, in reading order, positions 0, 1, 2, ..."""
    text = article.text
    aid = int(article.id or 0)
    return [Passage(aid, i, s, e, text[s:e]) for i, (s, e) in enumerate(passage_spans(text, min_words, max_words))]


def passage_spans(text: str, min_words: int = MIN_WORDS, max_words: int = MAX_WORDS) -> list[tuple[int, int]]:
    """``(start, end)`` of each passage of a cleaned article body (the index builder needs only these)."""
    return _pack(list(_units(text, max_words)), min_words, max_words)


def paragraph_spans(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each non-blank paragraph (split on blank lines), trimmed of whitespace."""
    pos = 0
    for para in text.split("\n\n"):
        stripped = para.strip()
        if stripped:
            lead = len(para) - len(para.lstrip())
            yield pos + lead, pos + lead + len(stripped)
        pos += len(para) + 2


def word_count(text: str, start: int = 0, end: int | None = None) -> int:
    """Approximate words of a trimmed slice: separators + 1, counted in C without building a list.

    Cleaned text has single spaces, so this is exact there; a double space only overcounts slightly,
    which is harmless for sizing passages.
    """
    end = len(text) if end is None else end
    if end <= start:
        return 0
    return text.count(" ", start, end) + text.count("\n", start, end) + 1


def _units(text: str, max_words: int) -> Iterator[tuple[int, int, int]]:
    """``(start, end, words)`` pieces no longer than ``max_words``: paragraphs, or sentence groups of one."""
    for start, end in paragraph_spans(text):
        n = word_count(text, start, end)
        if n <= max_words:
            yield start, end, n
        else:
            yield from _split_long(text, start, end, max_words)


def _split_long(text: str, start: int, end: int, max_words: int) -> Iterator[tuple[int, int, int]]:
    """Cut a long paragraph at sentence ends into near-equal pieces of at most ``max_words`` words."""
    sentences = list(_sentences(text, start, end, max_words))
    total = sum(n for _, _, n in sentences)
    pieces = -(-total // max_words)
    target = total / pieces
    cur_start, cur_end, cur_n = sentences[0]
    for s, e, n in sentences[1:]:
        if cur_n + n > max_words or (cur_n >= target and cur_n + n / 2 > target):
            yield cur_start, cur_end, cur_n
            cur_start, cur_end, cur_n = s, e, n
        else:
            cur_end, cur_n = e, cur_n + n
    yield cur_start, cur_end, cur_n


def _sentences(text: str, start: int, end: int, max_words: int) -> Iterator[tuple[int, int, int]]:
    """Sentences of ``text[start:end]`` as ``(start, end, words)``; runaway sentences cut at words."""
    pos = start
    bounds = [m.end() for m in _SENTENCE_END.finditer(text, start, end) if not _abbreviation(text, m.start())]
    bounds.append(end)
    for b in bounds:
        piece = text[pos:b]
        stripped = piece.strip()
        if stripped:
            s = pos + len(piece) - len(piece.lstrip())
            e = s + len(stripped)
            n = word_count(text, s, e)
            if n <= max_words:
                yield s, e, n
            else:  # a runaway sentence: cut at words (only here are word positions needed)
                words = [m.span() for m in _WORDS.finditer(text, s, e)]
                for i in range(0, len(words), max_words):
                    group = words[i : i + max_words]
                    yield group[0][0], group[-1][1], len(group)
        pos = b


def _abbreviation(text: str, dot: int) -> bool:
    """True when the period at ``dot`` ends an abbreviation or an initial ("St.", "Gov.", "J.", "U.S.")."""
    if text[dot] != ".":
        return False
    begin = dot
    while begin > 0 and not text[begin - 1].isspace():
        begin -= 1
    word = text[begin:dot].lstrip("\"'\u201c\u2018(")
    return len(word) <= 1 or "." in word or word in _ABBREVIATIONS


def _pack(units: list[tuple[int, int, int]], min_words: int, max_words: int) -> list[tuple[int, int]]:
    """Greedily merge consecutive units until a passage has ``min_words``; merge a short tail backwards."""
    spans: list[list[int]] = []  # [start, end, words]
    for start, end, n in units:
        if spans and spans[-1][2] < min_words:
            spans[-1][1] = end
            spans[-1][2] += n
        else:
            spans.append([start, end, n])
    if len(spans) > 1 and spans[-1][2] < min_words:
        tail = spans.pop()
        spans[-1][1] = tail[1]
        spans[-1][2] += tail[2]
    return [(s, e) for s, e, _ in spans]
