"""The listwise fit behind the ranking weights: it learns which feature marks the right row."""

from __future__ import annotations

import numpy as np

from bot.answer.rank import RESULT_FEATURES, RESULT_WEIGHTS, WINDOW_WEIGHTS
from bot.answer.windows import WINDOW_FEATURES
from tools.fit_weights import fit_listwise, top1


def test_weights_match_their_features() -> None:
    assert len(WINDOW_WEIGHTS) == len(WINDOW_FEATURES)
    assert len(RESULT_WEIGHTS) == len(RESULT_FEATURES)


def test_listwise_fit_finds_the_informative_feature() -> None:
    rng = np.random.default_rng(0)
    groups = []
    for _ in range(200):
        x = rng.normal(size=(6, 3))
        y = np.zeros(6)
        right = int(np.argmax(x[:, 1] + 0.1 * rng.normal(size=6)))  # feature 1 marks the right row
        y[right] = 1.0
        groups.append((x, y))
    w = fit_listwise(groups, l2=0.1)
    assert w[1] > 5 * max(abs(w[0]), abs(w[2]))
    assert top1(groups, w) > 0.8 > top1(groups, [1.0, 0.0, 0.0])
    assert top1([], w) == 0.0
