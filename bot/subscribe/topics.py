"""Subscription topics: what a user types after /subscribe, parsed once and matched against new articles.

Semantics (the same analyzer as search, so "elections" follows what "election" finds):

* every word must occur in the article (title or body), compared as stems with stopwords removed;
* ``"quoted phrases"`` must occur as consecutive terms (stopwords inside are skipped on both sides);
* ``-word`` and ``-"a phrase"`` exclude articles containing them;
* a word the analyzer splits into several terms ("covid-19") is treated as a phrase;
* no topic at all means every new article.

The canonical form (:attr:`Topic.text`) is what the store keeps, so ``/unsubscribe Ukraine`` finds the
subscription made with ``/subscribe  ukraine``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

MAX_TOPIC_CHARS = 200

_QUOTES = str.maketrans(
    {"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"', "\u2033": '"'}
)
_DASHES = ("-", "\u2212", "\u2013", "\u2014")
_BOUNDARY = "\x00"  # never a term: keeps a phrase from matching across the title/body boundary
_PART = re.compile(r'(?P<neg>[-\u2212\u2013\u2014]?)"(?P<phrase>[^"]*)"?|(?P<word>\S+)')


class TextAnalyzer(Protocol):
    """What a topic needs from the search analyzer."""

    def analyze(self, text: str) -> list[str]: ...


class TopicError(ValueError):
    """The topic cannot be used; the message is a plain sentence for the user."""


def default_analyzer() -> TextAnalyzer:
    """The search analyzer (one shared instance, so its word cache is shared too)."""
    from bot.search.analyzer import default_analyzer as search_analyzer

    return search_analyzer()


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed topic: required terms and phrases, excluded terms and phrases."""

    text: str
    terms: frozenset[str] = frozenset()
    phrases: tuple[tuple[str, ...], ...] = ()
    excluded: frozenset[str] = frozenset()
    excluded_phrases: tuple[tuple[str, ...], ...] = ()

    @property
    def is_everything(self) -> bool:
        """True for the empty topic: every new article."""
        return not (self.terms or self.phrases or self.excluded or self.excluded_phrases)

    def matches(self, tokens: Sequence[str], token_set: frozenset[str] | set[str] | None = None) -> bool:
        """Whether an article with these analyzed tokens (title + body, in order) matches.

        Pass ``token_set`` when matching many topics against one article, to build the set once.
        """
        present = token_set if token_set is not None else set(tokens)
        if not self.terms <= present or self.excluded & present:
            return False
        if any(not _has_phrase(tokens, present, p) for p in self.phrases):
            return False
        return not any(_has_phrase(tokens, present, p) for p in self.excluded_phrases)


def parse_topic(raw: str, analyzer: TextAnalyzer | None = None) -> Topic:
    """Parse what the user typed into a :class:`Topic`; raises :class:`TopicError` if it is unusable."""
    analyzer = analyzer or default_analyzer()
    text = unicodedata.normalize("NFKC", raw or "").translate(_QUOTES).strip()
    if len(text) > MAX_TOPIC_CHARS:
        raise TopicError(f"That topic is too long: please keep it under {MAX_TOPIC_CHARS} characters.")
    terms: set[str] = set()
    excluded: set[str] = set()
    phrases: list[tuple[str, ...]] = []
    excluded_phrases: list[tuple[str, ...]] = []
    shown: list[str] = []
    for match in _PART.finditer(text):
        negative, surface, quoted = _split_part(match)
        stems = tuple(analyzer.analyze(surface))
        if not stems:
            continue  # stopwords, punctuation: carry no meaning for matching
        label = " ".join(surface.casefold().split())
        if quoted or len(stems) > 1:
            (excluded_phrases if negative else phrases).append(stems)
            label = f'"{label}"' if quoted else label
        else:
            (excluded if negative else terms).add(stems[0])
        label = ("-" if negative else "") + label
        if label not in shown:
            shown.append(label)
    if text and not shown:
        raise TopicError("That topic has only very common words; please add a word that names the subject.")
    return Topic(
        text=" ".join(shown),
        terms=frozenset(terms),
        phrases=tuple(dict.fromkeys(phrases)),
        excluded=frozenset(excluded),
        excluded_phrases=tuple(dict.fromkeys(excluded_phrases)),
    )


def _split_part(match: re.Match[str]) -> tuple[bool, str, bool]:
    """``(negative, surface text, quoted)`` of one matched part of a topic."""
    if match.group("phrase") is not None:
        return bool(match.group("neg")), match.group("phrase"), True
    word = match.group("word")
    if word.startswith(_DASHES) and len(word) > 1:
        return True, word[1:], False
    return False, word, False


def _has_phrase(tokens: Sequence[str], present: set[str] | frozenset[str], phrase: tuple[str, ...]) -> bool:
    """Whether ``phrase`` occurs as consecutive tokens (a quick set check first)."""
    if not all(t in present for t in phrase):
        return False
    n, first = len(phrase), phrase[0]
    for i, token in enumerate(tokens):
        if token == first and tuple(tokens[i : i + n]) == phrase:
            return True
    return False


def article_tokens(title: str, text: str, analyzer: TextAnalyzer | None = None) -> list[str]:
    """The analyzed tokens a topic is matched against: title, a separator no phrase can span, then body."""
    analyzer = analyzer or default_analyzer()
    return [*analyzer.analyze(title), _BOUNDARY, *analyzer.analyze(text)]
