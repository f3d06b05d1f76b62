"""Questions without a topic: the newest stories ("what's going on?") and a day's top stories ("what
happened yesterday?").

BM25 needs content words. "what's going on", "news" or "anything new?" have none that name a subject, so a
search quotes whatever article happens to say "going" (a Kum & Go store sale, the Go-Go's). Such a question
asks for what ``/latest`` shows, so it gets the newest stories; a question that is only a date asks for that
day's news, so it gets the day's top stories, ranked by how many distinct sources covered each.

"One per story": articles about the same event are grouped by the similarity of their title and lead
(IDF-weighted cosine of their terms, linked when ≥ :data:`SAME_STORY`), so a story reprinted or followed
up by three outlets is one card that says "3 sources" instead of three cards. This is a small, local
grouping for these two lists; it is not a general story index.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from bot.models import Article

from .quote import lead_sentences
from .rank import story_key

Analyze = Callable[[str], list[str]]

#: Words that ask for news without naming a subject. A question whose terms are all among these (after
#: stopwords) has no topic: "what's going on", "any news today?", "tell me what happened".
VAGUE_WORDS = """
    news new newest latest happen happens happening happened going go goes anything something everything whats
    headline headlines story stories top current events event update updates recent recently lately world tell
    show give know let hey hi hello please thanks thank interesting important big biggest major day week today
    report brief briefing summary digest recap catch miss missed breaking thing things stuff worth read there
    me us everyone anybody nothing much lot
"""

#: Two articles are the same story when the IDF-weighted cosine of their title + lead terms reaches this.
#: Read on a few busy days of the shared corpus: 0.3 joins "Senate passes bill to protect same-sex
#: marriage" with "Senate passes landmark legislation protecting same-sex marriage" and keeps the Mauna
#: Loa eruption apart from a tornado watch; 0.2 started to chain unrelated stories through shared words.
SAME_STORY = 0.3
MAX_GROUPED = 1000  # articles grouped at most (a day of a large feed); the rest are left out
_LEAD_WINDOW = 1000  # characters of an article read for its 400-character lead (splitting is per character)


def vague_terms(analyze: Analyze) -> frozenset[str]:
    """The index terms of :data:`VAGUE_WORDS` under ``analyze`` (stems, as the question's terms are)."""
    return frozenset(analyze(VAGUE_WORDS))


def has_topic(terms: Sequence[str], vague: frozenset[str]) -> bool:
    """Whether a question's terms name a subject (at least one term is not a vague news word)."""
    return any(t not in vague for t in terms)


@dataclass(frozen=True, slots=True)
class Story:
    """Articles about one event; the first is the one to show."""

    articles: tuple[Article, ...]

    @property
    def lead(self) -> Article:
        """The article shown for the story."""
        return self.articles[0]

    @property
    def sources(self) -> int:
        """How many distinct sources covered the story."""
        return len({a.source or a.url for a in self.articles})


def group_stories(
    articles: Sequence[Article], analyze: Analyze, weight: Callable[[str], float], threshold: float = SAME_STORY
) -> list[Story]:
    """``articles`` grouped into stories, in the order of each story's first article.

    Within a story, the article most similar to the others leads (the most typical telling of it).
    """
    articles = list(articles)[:MAX_GROUPED]
    if not articles:
        return []
    matrix = _term_matrix(articles, analyze, weight)
    similar = (matrix @ matrix.T).tocoo()
    keep = (similar.data >= threshold) & (similar.row != similar.col)
    links = sp.coo_matrix((np.ones(int(keep.sum())), (similar.row[keep], similar.col[keep])),
                          shape=similar.shape)  # fmt: skip
    keys: dict[str, int] = {}
    rows, cols = [], []
    for i, a in enumerate(articles):  # the same title is the same story whatever the text says
        key = story_key(a)
        if key:
            rows.append(keys.setdefault(key, i))
            cols.append(i)
    links = links + sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=similar.shape)
    _, labels = connected_components(links, directed=False)
    members: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        members.setdefault(int(label), []).append(i)
    dense = similar.tocsr()
    stories = []
    for idx in sorted(members.values(), key=lambda m: m[0]):
        if len(idx) > 1:
            centrality = np.asarray(dense[idx][:, idx].sum(axis=1)).ravel()
            idx = [idx[j] for j in sorted(range(len(idx)), key=lambda j: (-centrality[j], j))]
        stories.append(Story(tuple(articles[i] for i in idx)))
    return stories


def _term_matrix(articles: Sequence[Article], analyze: Analyze, weight: Callable[[str], float]) -> sp.csr_matrix:
    """Rows: each article's title + lead terms, IDF-weighted and L2-normalised."""
    vocab: dict[str, int] = {}
    weights: dict[str, float] = {}  # the same words recur across a day's articles: look each up once
    rows, cols, vals = [], [], []
    for i, a in enumerate(articles):
        lead = lead_sentences(a.text[:_LEAD_WINDOW], max_chars=400, max_sentences=2)  # not the whole article
        counts = Counter(analyze(f"{a.title}\n{lead}"))
        for t in counts.keys() - weights.keys():
            weights[t] = max(weight(t), 0.0)
        entries = [(vocab.setdefault(t, len(vocab)), (1 + np.log(n)) * weights[t]) for t, n in counts.items()]
        norm = float(np.sqrt(sum(v * v for _, v in entries))) or 1.0
        for col, value in entries:
            rows.append(i)
            cols.append(col)
            vals.append(value / norm)
    return sp.csr_matrix((vals, (rows, cols)), shape=(len(articles), max(len(vocab), 1)))


def top_stories(stories: Sequence[Story]) -> list[Story]:
    """A day's stories, most covered first: distinct sources, then articles, then the newest."""
    order = {id(s): i for i, s in enumerate(stories)}
    return sorted(stories, key=lambda s: (-s.sources, -len(s.articles), -max(a.published for a in s.articles).toordinal(),
                                          order[id(s)]))  # fmt: skip
